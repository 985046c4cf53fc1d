"""Health checks: a registry of named async checks run concurrently, each with its own timeout.

A check is an ``async def check(ctx: CheckContext) -> CheckResult``. The built-in checks (stack,
dns, tls, https, plaintext, ssh) live in their services' modules; later modules add theirs
without editing this file, either by calling :func:`register_check` or by exposing
``HEALTH_CHECKS: Sequence[Check]`` in a module listed in :data:`CHECK_PROVIDERS`.
"""

from __future__ import annotations

import asyncio
import enum
import importlib
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from services.core.config import Profile
from services.core.errors import ConsoleError
from services.stack.model import Stack

# Modules that may expose HEALTH_CHECKS; absent ones are skipped (they arrive with later issues).
CHECK_PROVIDERS: tuple[str, ...] = ("services.health.unit_check", "services.uplinks.feed", "services.host.ssh_check")
STACK_LOAD_TIMEOUT = 20.0


class Status(enum.Enum):
    """A check's verdict, with the Nagios plugin exit code it maps to."""

    OK = "ok"
    WARN = "warn"
    CRITICAL = "critical"
    UNKNOWN = "unknown"

    @property
    def exit_code(self) -> int:
        return _EXIT_CODES[self]

    @property
    def nagios(self) -> str:
        """The Nagios word: OK, WARNING, CRITICAL, UNKNOWN."""
        return _NAGIOS_WORDS[self]

    @property
    def severity(self) -> int:
        """Ordering for the overall verdict: not knowing is worse than a known warning."""
        return _SEVERITY[self]


_EXIT_CODES = {Status.OK: 0, Status.WARN: 1, Status.CRITICAL: 2, Status.UNKNOWN: 3}
_NAGIOS_WORDS = {Status.OK: "OK", Status.WARN: "WARNING", Status.CRITICAL: "CRITICAL", Status.UNKNOWN: "UNKNOWN"}
_SEVERITY = {Status.OK: 0, Status.WARN: 1, Status.UNKNOWN: 2, Status.CRITICAL: 3}


def worst(statuses: Sequence[Status]) -> Status:
    """The overall verdict of several checks (OK when there are none)."""
    return max(statuses, key=lambda s: s.severity, default=Status.OK)


@dataclass(frozen=True)
class CheckResult:
    """One check's outcome: ``summary`` is the reason in words, ``details`` is JSON-ready."""

    name: str
    status: Status
    summary: str
    details: Mapping[str, Any] = field(default_factory=dict)
    figure: str = ""  # the key figure shown beside the status mark, e.g. "89 d" or "12 ms"

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "status": self.status.value, "summary": self.summary, "details": dict(self.details)}


@dataclass(frozen=True)
class CheckContext:
    """What a check runs against: the profile and the loaded stack (or why it is missing)."""

    profile: Profile
    stack: Stack | None
    stack_error: str = ""

    @property
    def domain(self) -> str:
        return self.stack.domain if self.stack else ""

    @property
    def public_ip(self) -> str:
        return self.stack.public_ip if self.stack else ""

    @property
    def web_host(self) -> str:
        """Where the tls, https and plaintext checks connect: ``tls.connect_host``, else the PublicIP."""
        return self.profile.tls.connect_host or self.public_ip

    def missing(self, what: str) -> str:
        """The sentence for a check that cannot run because a stack output is unknown."""
        if self.stack is None:
            return f"No {what} to check: the stack could not be loaded ({self.stack_error.rstrip('.')})."
        return f"No {what} to check: stack {self.stack.name} has no {what} output."


CheckFn = Callable[[CheckContext], Awaitable[CheckResult]]


@dataclass(frozen=True)
class Check:
    """A named check and the time it may take (seconds, or computed from the profile)."""

    name: str
    run: CheckFn
    timeout: float | Callable[[Profile], float] = 10.0

    def timeout_for(self, profile: Profile) -> float:
        return self.timeout(profile) if callable(self.timeout) else self.timeout


_registered: list[Check] = []


def register_check(name: str, run: CheckFn, *, timeout: float | Callable[[Profile], float] = 10.0) -> None:
    """Add (or replace) a check; checks run in registration order after the built-in ones."""
    _registered[:] = [c for c in _registered if c.name != name]
    _registered.append(Check(name, run, timeout))


def unregister_check(name: str) -> None:
    _registered[:] = [c for c in _registered if c.name != name]


def builtin_checks() -> list[Check]:
    """The checks this module's issue defines: stack, dns, tls, https, plaintext, ssh."""
    # Imported here: those modules import this one for Status/CheckResult.
    from services.health import dns, reach, tls, web

    return [
        Check("stack", check_stack, 1.0),
        Check("dns", dns.check, lambda p: p.dns.timeout * 3 + 1),
        Check("tls", tls.check, lambda p: p.tls.timeout * 2 + 1),
        Check("https", web.check_https, lambda p: p.tls.timeout * 2 + 1),
        Check("plaintext", web.check_plaintext, lambda p: p.tls.timeout + 1),
        Check("ssh", reach.check, lambda p: p.ssh.connect_timeout + 1),
    ]


def registered_checks() -> tuple[Check, ...]:
    """Every check, in display order: built-ins, providers' HEALTH_CHECKS, then registered ones."""
    checks: dict[str, Check] = {c.name: c for c in builtin_checks()}
    for module_name in CHECK_PROVIDERS:
        try:
            module = importlib.import_module(module_name)
            provided = tuple(getattr(module, "HEALTH_CHECKS", ()))
        except ModuleNotFoundError as exc:
            if exc.name == module_name:
                continue  # that capability is not in this installation
            checks[module_name] = _broken_provider(module_name, exc)
            continue
        except Exception as exc:  # a broken module becomes an UNKNOWN line, not a crash
            checks[module_name] = _broken_provider(module_name, exc)
            continue
        for check in provided:
            checks[check.name] = check
    for extra in _registered:
        checks[extra.name] = extra
    return tuple(checks.values())


def _broken_provider(module_name: str, exc: Exception) -> Check:
    name = module_name.rsplit(".", 1)[-1]
    sentence = f"The {name} checks could not be loaded ({type(exc).__name__}: {exc}); reinstall ttes-console."

    async def report(ctx: CheckContext) -> CheckResult:
        return CheckResult(name, Status.UNKNOWN, sentence)

    return Check(name, report, 1.0)


# --- the stack check ------------------------------------------------------------------------


async def check_stack(ctx: CheckContext) -> CheckResult:
    """*_COMPLETE is OK, *_IN_PROGRESS is a WARNING, anything failed or rolled back is CRITICAL."""
    stack = ctx.stack
    if stack is None:
        return CheckResult("stack", Status.UNKNOWN, ctx.stack_error or "The stack has not been loaded.")
    details = {
        "stack": stack.name,
        "region": stack.region,
        "status": stack.status,
        "status_reason": stack.status_reason,
        "last_updated": stack.last_updated.isoformat() if stack.last_updated else None,
        "Domain": stack.domain,
        "PublicIP": stack.public_ip,
    }
    state = stack.status
    reason = f": {stack.status_reason}" if stack.status_reason else ""
    if "FAILED" in state or "ROLLBACK" in state or state.startswith("DELETE"):
        status, summary = Status.CRITICAL, f"Stack {stack.name} is {state}{reason}"
    elif state.endswith("_IN_PROGRESS"):
        status, summary = Status.WARN, f"Stack {stack.name} is changing ({state})"
    elif state.endswith("_COMPLETE"):
        status, summary = Status.OK, f"Stack {stack.name} is {state}"
    else:
        status, summary = Status.UNKNOWN, f"Stack {stack.name} is in an unexpected state {state or '(none)'}"
    # The figure drops the operation (CREATE_/UPDATE_): the summary names the full state.
    figure = state.split("_", 1)[1] if "_" in state else state
    return CheckResult("stack", status, summary, details, figure=figure)


# --- running ------------------------------------------------------------------------------


async def load_context(profile: Profile, timeout: float = STACK_LOAD_TIMEOUT) -> CheckContext:
    """Load the stack for the checks; a failure becomes the context's ``stack_error``."""
    from services.core.aws import AwsClients
    from services.stack.model import load_stack

    try:
        stack = await asyncio.wait_for(load_stack(AwsClients(profile)), timeout)
    except TimeoutError:
        return CheckContext(profile, None, f"AWS did not describe stack {profile.stack} within {timeout:.0f} s")
    except ConsoleError as exc:
        return CheckContext(profile, None, str(exc))
    return CheckContext(profile, stack)


async def run_one(check: Check, ctx: CheckContext) -> CheckResult:
    """Run one check under its timeout; whatever goes wrong becomes a result, never an exception."""
    limit = check.timeout_for(ctx.profile)
    try:
        result = await asyncio.wait_for(check.run(ctx), limit)
    except TimeoutError:
        return CheckResult(check.name, Status.UNKNOWN, f"The {check.name} check did not finish within {limit:g} s.")
    except ConsoleError as exc:
        return CheckResult(check.name, Status.UNKNOWN, str(exc))
    except Exception as exc:
        return CheckResult(
            check.name, Status.UNKNOWN, f"The {check.name} check failed unexpectedly: {type(exc).__name__}: {exc}"
        )
    return result


async def iter_checks(
    profile: Profile, *, stack: Stack | None = None, checks: Sequence[Check] | None = None
) -> AsyncIterator[CheckResult]:
    """Run every check concurrently and yield each result as soon as it is known."""
    ctx = CheckContext(profile, stack) if stack is not None else await load_context(profile)
    todo = list(checks) if checks is not None else list(registered_checks())
    tasks = [asyncio.ensure_future(run_one(c, ctx)) for c in todo]
    try:
        for next_done in asyncio.as_completed(tasks):
            yield await next_done
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def run_checks(
    profile: Profile, *, stack: Stack | None = None, checks: Sequence[Check] | None = None
) -> list[CheckResult]:
    """Every check once, in registry order (the stack is loaded first unless given)."""
    todo = list(checks) if checks is not None else list(registered_checks())
    order = {c.name: i for i, c in enumerate(todo)}
    results = [r async for r in iter_checks(profile, stack=stack, checks=todo)]
    return sorted(results, key=lambda r: order.get(r.name, len(order)))


def report_json(results: Sequence[CheckResult]) -> dict[str, Any]:
    """The ``check --json`` document."""
    return {"status": worst([r.status for r in results]).value, "checks": [r.as_json() for r in results]}
