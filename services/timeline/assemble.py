"""Every source fetched at once, each with its own timeout, merged into one time-ordered timeline.

A source that fails becomes one item saying so (its sentence), and the others still show. The
stack's description is loaded once and shared: RDS, ElastiCache and EC2 need its resources,
the journal its PublicIP.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from services.core.aws import AwsClients
from services.core.config import Profile
from services.core.errors import ConsoleError
from services.stack.model import Stack, load_stack
from services.timeline import aws_sources, local_sources
from services.timeline.journal_source import journal_items
from services.timeline.model import SOURCES, SourceResult, Timeline, TimelineItem, item

# Seconds each source may take; the journal's may carry 100,000 lines.
TIMEOUTS = {
    "stack": 30.0,
    "journal": 45.0,
    "health": 10.0,
    "uplinks": 30.0,
    "devices": 10.0,
    "rds": 20.0,
    "elasticache": 20.0,
    "ec2": 20.0,
    "audit": 10.0,
}
LOCAL_SOURCES = ("health", "devices", "audit")  # files on this machine: reading them proves nothing about the stack


async def _guard(name: str, fetch: Callable[[], Awaitable[SourceResult]], timeout: float) -> SourceResult:
    try:
        return await asyncio.wait_for(fetch(), timeout)
    except ConsoleError as exc:
        return SourceResult(name, error=str(exc))
    except TimeoutError:
        return SourceResult(name, error=f"no answer within {timeout:.0f} s; try again, or a shorter --since")
    except Exception as exc:  # one sentence, never a traceback: a source's bug must not hide the others
        return SourceResult(name, error=f"it failed unexpectedly ({type(exc).__name__}: {exc})")


async def build_timeline(
    profile: Profile,
    span: timedelta,
    *,
    sources: Sequence[str] = SOURCES,
    now: datetime | None = None,
    clients: AwsClients | None = None,
    timeouts: dict[str, float] | None = None,
) -> Timeline:
    """The timeline of the last ``span`` from ``sources``."""
    until = now or datetime.now(UTC)
    since = until - span
    clients = clients or AwsClients(profile)
    limits = {**TIMEOUTS, **(timeouts or {})}
    stack_task: asyncio.Task[Stack] | None = None

    async def stack() -> Stack:
        nonlocal stack_task
        if stack_task is None:
            stack_task = asyncio.ensure_future(load_stack(clients))
        try:
            return await asyncio.shield(stack_task)
        except ConsoleError as exc:
            raise ConsoleError(f"it needs the stack's description, which failed: {exc}") from None

    async def host() -> str:
        if profile.ssh.host:
            return profile.ssh.host
        ip = (await stack()).public_ip
        if not ip:
            raise ConsoleError("the stack has no PublicIP output and ssh.host is empty")
        return ip

    async def stack_source() -> SourceResult:
        return SourceResult("stack", tuple(await aws_sources.stack_event_items(clients, since)))

    async def journal_source() -> SourceResult:
        items, figures = await journal_items(profile, await host(), since.timestamp(), until.timestamp())
        return SourceResult("journal", tuple(items), figures=figures)

    async def health_source() -> SourceResult:
        items, figures = await asyncio.to_thread(local_sources.health_items, profile, since, until)
        return SourceResult("health", tuple(items), figures=figures)

    async def uplinks_source() -> SourceResult:
        items, figures = await aws_sources.uplink_items(clients, since, until)
        return SourceResult("uplinks", tuple(items), figures=figures)

    async def devices_source() -> SourceResult:
        items, figures = await asyncio.to_thread(local_sources.device_items, profile, since, until)
        return SourceResult("devices", tuple(items), figures=figures)

    async def rds_source() -> SourceResult:
        return SourceResult("rds", tuple(await aws_sources.rds_items(clients, await stack(), since, until)))

    async def elasticache_source() -> SourceResult:
        got = await aws_sources.elasticache_items(clients, await stack(), since, until)
        return SourceResult("elasticache", tuple(got))

    async def ec2_source() -> SourceResult:
        return SourceResult("ec2", tuple(await aws_sources.ec2_items(clients, await stack(), until)))

    async def audit_source() -> SourceResult:
        return SourceResult("audit", tuple(await asyncio.to_thread(local_sources.audit_items, profile, since, until)))

    fetchers: dict[str, Callable[[], Awaitable[SourceResult]]] = {
        "stack": stack_source,
        "journal": journal_source,
        "health": health_source,
        "uplinks": uplinks_source,
        "devices": devices_source,
        "rds": rds_source,
        "elasticache": elasticache_source,
        "ec2": ec2_source,
        "audit": audit_source,
    }
    chosen = [name for name in SOURCES if name in sources]
    try:
        results = await asyncio.gather(*(_guard(name, fetchers[name], limits[name]) for name in chosen))
    finally:
        if stack_task is not None and not stack_task.done():
            stack_task.cancel()
    return merge(results, since, until)


def failure_item(result: SourceResult, when: datetime) -> TimelineItem:
    return item(
        when,
        result.source,
        "unavailable",
        "warning",
        f"{result.source} could not be read: {result.error}",
        f"source:{result.source}",
    )


def merge(results: Sequence[SourceResult], since: datetime, until: datetime) -> Timeline:
    """All items in time order (failures at the end of the range), and the per-minute strips."""
    items: list[TimelineItem] = []
    for result in results:
        items.extend(result.items if not result.failed else (failure_item(result, until),))
    items.sort(key=lambda i: (i.time, SOURCES.index(i.source) if i.source in SOURCES else 99))
    timeline = Timeline(since, until, tuple(items), tuple(results))
    timeline.strips.update(_strips(timeline))
    return timeline


def _strips(timeline: Timeline) -> dict[str, tuple[float, ...]]:
    minutes = timeline.minutes
    errors = [0.0] * minutes
    changes = [0.0] * minutes
    for it in timeline.items:
        if it.kind == "unavailable":
            continue
        index = timeline.minute_of(it.time)
        if it.source == "journal" and it.kind in ("warn", "error", "fatal", "dpanic", "panic", "failed"):
            errors[index] += it.count
        elif it.source in ("stack", "audit", "rds", "elasticache", "ec2") or it.kind in ("start", "stop"):
            changes[index] += 1
    strips: dict[str, tuple[float, ...]] = {"errors": tuple(errors), "changes": tuple(changes)}
    uplinks: Any = timeline.figures("uplinks").get("per_minute")
    if uplinks:
        strips["uplinks"] = tuple(uplinks)[-minutes:]
    changes_seen = timeline.figures("health").get("changes")
    if changes_seen is not None:
        strips["health"] = local_sources.health_strip(changes_seen, timeline.start, minutes)
    return strips


def nothing_read(timeline: Timeline) -> bool:
    """Whether every source that reaches the deployment failed (local files alone prove nothing)."""
    remote = [r for r in timeline.results if r.source not in LOCAL_SOURCES]
    return bool(remote) and all(r.failed for r in remote)
