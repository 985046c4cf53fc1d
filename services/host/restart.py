"""Restarting the stack's unit: confirmed, refused under ``--read-only``, audited, followed to the end.

``sudo -n systemctl restart lorawan-stack.service``, then ``systemctl show`` until the unit is
``active`` under a new InvocationID (or failed, or out of time), the journal's first lines of
the new invocation, and every health check run again. A unit that does not come back is
reported with its last journal lines and exit status. Progress goes to ``on_step`` as it happens.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from services.core.audit import audited
from services.core.config import Profile
from services.core.errors import ConsoleError, ExecutionRefused
from services.core.safe_text import safe_text
from services.core.ssh import SshConnection, connect, resolve_host
from services.health.run import CheckResult, Status, run_checks, worst
from services.host.facts import parse_unit, unit_argv

POLL_SECONDS = 0.5
FIRST_LINES = 12
LAST_LINES = 20
T = TypeVar("T")


class RestartFailed(ConsoleError):
    """The unit did not come back after the restart."""


@dataclass(frozen=True)
class RestartStep:
    """One step of a restart as it happens: ``phase`` is requested, state, journal, check or done."""

    phase: str
    message: str
    data: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {"phase": self.phase, "message": self.message, **self.data}


@dataclass(frozen=True)
class RestartOutcome:
    """How the restart ended."""

    invocation_before: str
    invocation_after: str
    checks: tuple[CheckResult, ...]

    @property
    def checks_status(self) -> Status:
        return worst([c.status for c in self.checks])


async def audited_host_action(
    profile: Profile, *, read_only: bool, action: str, target: str, act: Callable[[], Awaitable[T]]
) -> T:
    """A host action through the console's one audited path (fail closed, refused under --read-only).

    A host action does not need AWS, but the record names the principal when it can be read.
    """
    from services.core.aws import AwsClients

    async with audited(AwsClients(profile), action, target, read_only=read_only) as rec:
        result = await act()
        rec.detail = ""
    return result


async def restart_service(
    profile: Profile,
    *,
    confirm: str,
    read_only: bool,
    on_step: Callable[[RestartStep], None],
    run_health: bool = True,
) -> RestartOutcome:
    """Restart the unit after the operator typed the stack name; returns when it is back (or raises)."""
    unit = profile.ssh.unit
    target = f"{profile.stack}/{unit}"
    if confirm != profile.stack:
        raise ExecutionRefused(
            f"Not restarted: the confirmation {safe_text(confirm)!r} is not the stack name {profile.stack}; "
            f"type the stack name to confirm (--confirm {profile.stack})."
        )
    host = await resolve_host(profile)
    async with await connect(profile, host) as conn:

        async def act() -> tuple[str, str]:
            return await _restart_and_follow(conn, host, profile, on_step)

        before, after = await audited_host_action(profile, read_only=read_only, action="restart_service", target=target, act=act)
    await _first_lines(host, profile, after, on_step)
    checks: list[CheckResult] = []
    if run_health:
        on_step(RestartStep("check", "Running the health checks again"))
        checks = await run_checks(profile)
        for result in checks:
            on_step(RestartStep("check", f"{result.name}: {result.status.nagios} {result.summary}",
                                {"check": result.name, "status": result.status.value}))  # fmt: skip
    outcome = RestartOutcome(before, after, tuple(checks))
    verdict = outcome.checks_status.nagios if checks else "not run"
    on_step(RestartStep("done", f"{unit} is active again (invocation {after}); health checks: {verdict}",
                        {"invocation_before": before, "invocation_after": after}))  # fmt: skip
    return outcome


async def _show(conn: SshConnection, unit: str) -> tuple[Any, str]:
    result = await conn.run(unit_argv(unit), timeout=20)
    if result.exit_status != 0:
        first = (result.stderr.strip().splitlines() or [f"exit status {result.exit_status}"])[0]
        raise ConsoleError(f"systemctl on {conn.where} could not show {unit}: {safe_text(first)}.")
    return parse_unit(unit, result.stdout)


async def _restart_and_follow(
    conn: SshConnection, host: str, profile: Profile, on_step: Callable[[RestartStep], None]
) -> tuple[str, str]:
    unit = profile.ssh.unit
    status, before = await _show(conn, unit)
    on_step(RestartStep("requested", f"Restarting {unit} on {conn.where} (now {status.summary()})",
                        {"invocation_before": before}))  # fmt: skip
    result = await conn.run(["sudo", "-n", "systemctl", "restart", unit], timeout=profile.host.restart_timeout)
    if result.exit_status != 0:
        first = (result.stderr.strip().splitlines() or [f"exit status {result.exit_status}"])[0]
        raise ConsoleError(
            f"`sudo -n systemctl restart {unit}` failed on {conn.where}: {safe_text(first)}; the SSH user needs "
            "passwordless sudo for systemctl."
        )
    deadline = time.monotonic() + profile.host.restart_timeout
    last = ""
    while True:
        status, invocation = await _show(conn, unit)
        state = f"{status.active_state} ({status.sub_state})"
        if state != last:
            on_step(RestartStep("state", f"{unit} is {state}",
                                {"active_state": status.active_state, "invocation": invocation}))  # fmt: skip
            last = state
        if status.active and invocation and invocation != before:
            return before, invocation
        if status.active_state == "failed" or time.monotonic() > deadline:
            lines = await _last_lines(host, profile)
            for line in lines:
                on_step(RestartStep("journal", line))
            why = (
                "failed"
                if status.active_state == "failed"
                else f"is still {state} after {profile.host.restart_timeout:g} s"
            )
            code = f", exit status {status.exit_status}" if status.exit_status else ""
            raise RestartFailed(
                f"{unit} did not come back: it {why}{code}; its last journal lines are above "
                "(`ttes-console logs -n 50` shows more)."
            )
        await asyncio.sleep(POLL_SECONDS)


async def _journal(profile: Profile, host: str, lines: int) -> list[Any]:
    from services.journal.follow import read_journal

    return await read_journal(profile, host, lines=lines)


async def _last_lines(host: str, profile: Profile) -> list[str]:
    try:
        entries = await _journal(profile, host, LAST_LINES)
    except ConsoleError as exc:
        return [f"(the journal could not be read: {exc})"]
    return [safe_text(e.message) for e in entries]


async def _first_lines(host: str, profile: Profile, invocation: str, on_step: Callable[[RestartStep], None]) -> None:
    """The new invocation's first journal lines (they may take a moment to be written)."""
    deadline = time.monotonic() + 10.0
    found: list[str] = []
    while time.monotonic() < deadline:
        try:
            entries = await _journal(profile, host, 400)
        except ConsoleError as exc:
            on_step(RestartStep("journal", f"The journal could not be read: {exc}"))
            return
        found = [safe_text(e.message) for e in entries if e.journal_fields.get("_SYSTEMD_INVOCATION_ID") == invocation]
        if len(found) >= FIRST_LINES:
            break
        await asyncio.sleep(POLL_SECONDS)
    for line in found[:FIRST_LINES]:
        on_step(RestartStep("journal", line))
