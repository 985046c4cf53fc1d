"""One row per profile: the stack's state, its health, its uplink rate and its last snapshot.

Rows are built concurrently under a bound (``concurrency``) and each within its own time
(``stack_timeout``); throttling is left to botocore's adaptive retries (``AwsClients``). A stack
that cannot be read is a row that says why, never an exception.

The fleet runs every health check but the live ``iot`` one (it listens for uplinks for seconds,
per stack, on an MQTT connection of its own): the uplink rate comes from CloudWatch instead and
becomes the ``uplinks`` mark.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from services.core.concurrent import as_they_finish
from services.core.config import Profile
from services.core.errors import ConsoleError
from services.core.safe_text import safe_text
from services.fleet.shared import UPLINK_MINUTES, FleetCache
from services.health.run import Check, CheckResult, Status, all_checks, run_checks, worst
from services.stack.model import Stack, load_stack

CONCURRENCY = 8
STACK_TIMEOUT = 30.0
SKIPPED_CHECKS = frozenset({"iot"})


@dataclass(frozen=True)
class FleetRow:
    """What the Fleet screen shows for one profile; ``error`` says why the stack could not be read."""

    profile: str
    stack: str
    region: str
    account: str = ""
    status: str = ""
    status_reason: str = ""
    health: Status = Status.UNKNOWN
    checks: tuple[CheckResult, ...] = ()
    uplinks_per_minute: float | None = None
    last_change: datetime | None = None
    last_snapshot: datetime | None = None
    error: str = ""
    seconds: float = 0.0
    details: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def readable(self) -> bool:
        return not self.error

    def as_json(self) -> dict[str, Any]:
        """The ``fleet --json`` line; remote text through the safe-text rule."""
        return {
            "profile": self.profile,
            "stack": self.stack,
            "region": self.region,
            "account": self.account,
            "status": safe_text(self.status),
            "status_reason": safe_text(self.status_reason),
            "health": self.health.value,
            "checks": {c.name: {"status": c.status.value, "summary": safe_text(c.summary)} for c in self.checks},
            "uplinks_per_minute": None if self.uplinks_per_minute is None else round(self.uplinks_per_minute, 1),
            "last_change": self.last_change.isoformat() if self.last_change else None,
            "last_snapshot": self.last_snapshot.isoformat() if self.last_snapshot else None,
            "error": safe_text(self.error) if self.error else None,
        }


def fleet_checks() -> tuple[Check, ...]:
    """The health checks a fleet row runs (all but the live-listening ones)."""
    return tuple(c for c in all_checks() if c.name not in SKIPPED_CHECKS)


def account_of(stack_id: str) -> str:
    """The AWS account from a stack ARN (``arn:aws:cloudformation:<region>:<account>:stack/…``)."""
    parts = stack_id.split(":")
    return parts[4] if len(parts) > 5 else ""


def uplinks_mark(stack: Stack, per_minute: float | None) -> CheckResult:
    """The fleet's uplink mark: CloudWatch's ``PublishIn.Success`` in the stack's region."""
    from services.health.iot_check import telemetry_enabled

    if telemetry_enabled(stack) is False:
        return CheckResult("uplinks", Status.WARN, "AWS IoT Telemetry is off: no uplinks are published.", figure="off")
    if per_minute is None:
        return CheckResult("uplinks", Status.UNKNOWN, "CloudWatch did not give the AWS/IoT publish count in time.")
    if per_minute <= 0:
        return CheckResult(
            "uplinks",
            Status.WARN,
            f"No uplink was published to AWS IoT in {stack.region} in the last {UPLINK_MINUTES} min.",
            figure="0/min",
        )
    return CheckResult(
        "uplinks", Status.OK, f"{per_minute:.0f} uplinks a minute published to AWS IoT in {stack.region}.",
        figure=f"{per_minute:.0f}/min",
    )  # fmt: skip


async def fleet_row(
    profile: Profile, checks: Sequence[Check] | None = None, cache: FleetCache | None = None
) -> FleetRow:
    """Read one profile's stack and run its checks; failures become the row's ``error``."""
    started = time.monotonic()
    cache = cache or FleetCache()
    clients = cache.clients(profile)
    base = FleetRow(profile=profile.name, stack=profile.stack, region=profile.region)
    try:
        stack = await load_stack(clients)
    except ConsoleError as exc:
        return _replace(base, error=str(exc), seconds=time.monotonic() - started)
    results, per_minute, snapshot = await asyncio.gather(
        run_checks(profile, stack=stack, checks=list(checks if checks is not None else fleet_checks())),
        asyncio.shield(cache.uplinks_per_minute(clients)),
        cache.last_snapshot(clients, stack),
    )
    marks = (*results, uplinks_mark(stack, per_minute))
    return _replace(
        base,
        account=account_of(stack.stack_id),
        status=stack.status,
        status_reason=stack.status_reason,
        health=worst([r.status for r in marks]),
        checks=marks,
        uplinks_per_minute=per_minute,
        last_change=stack.last_updated,
        last_snapshot=snapshot,
        seconds=time.monotonic() - started,
    )


def _replace(row: FleetRow, **changes: Any) -> FleetRow:
    from dataclasses import replace

    return replace(row, **changes)


async def iter_fleet(
    profiles: Sequence[Profile],
    *,
    concurrency: int = CONCURRENCY,
    stack_timeout: float = STACK_TIMEOUT,
    checks: Sequence[Check] | None = None,
) -> AsyncIterator[FleetRow]:
    """Every profile's row, as soon as it is known (not in profile order)."""
    gate = asyncio.Semaphore(max(1, concurrency))
    todo = list(checks) if checks is not None else list(fleet_checks())
    cache = FleetCache()

    async def bounded(profile: Profile) -> FleetRow:
        async with gate:
            try:
                return await asyncio.wait_for(fleet_row(profile, todo, cache), stack_timeout)
            except TimeoutError:
                return FleetRow(
                    profile.name, profile.stack, profile.region,
                    error=f"Stack {profile.stack} in {profile.region} did not answer within {stack_timeout:g} s; "
                    "try it alone with `ttes-console -p " + profile.name + " check`.",
                    seconds=stack_timeout,
                )  # fmt: skip
            except Exception as exc:  # one broken stack must not take the fleet down
                return FleetRow(
                    profile.name, profile.stack, profile.region,
                    error=f"Reading stack {profile.stack} failed unexpectedly: {type(exc).__name__}: {exc}",
                )  # fmt: skip

    try:
        async with contextlib.aclosing(as_they_finish(bounded(p) for p in profiles)) as rows:
            async for row in rows:
                yield row
    finally:
        await cache.aclose()


async def load_fleet(profiles: Sequence[Profile], **kwargs: Any) -> list[FleetRow]:
    """Every row, in profile order."""
    order = {p.name: i for i, p in enumerate(profiles)}
    rows = [row async for row in iter_fleet(profiles, **kwargs)]
    return sorted(rows, key=lambda r: order.get(r.profile, len(order)))


def age(when: datetime | None, now: datetime | None = None) -> float | None:
    """Seconds since ``when`` (``None`` when unknown)."""
    if when is None:
        return None
    moment = when if when.tzinfo else when.replace(tzinfo=UTC)
    return ((now or datetime.now(UTC)) - moment).total_seconds()
