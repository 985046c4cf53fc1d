"""The AWS parts of the timeline: stack events, RDS/ElastiCache/EC2 events, AWS IoT traffic."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from services.core.aws import AwsClients, all_pages
from services.stack.model import Stack
from services.timeline.model import TimelineItem, item
from services.uplinks.metrics import IOT_METRICS, load_iot_metrics

DROP_WINDOW = 15  # minutes compared with the same minutes of the day before
DROP_STEP = 5  # windows overlap: a drop is placed within five minutes of its start
DROP_BELOW = 0.6  # a window under 60 % of yesterday's is a drop…
RECOVERED_AT = 0.8  # …which ends when traffic is back above 80 %


def _stack_kind(status: str, stack_level: bool) -> tuple[str, str]:
    if "ROLLBACK" in status:
        return "rollback", "error" if status.endswith(("IN_PROGRESS", "FAILED")) else "warning"
    if status.endswith("_FAILED"):
        return "failed", "error"
    if stack_level and status.startswith("UPDATE_"):
        return "update", "notice"
    return "resource", "info"


async def stack_event_items(clients: AwsClients, since: datetime) -> list[TimelineItem]:
    """Every stack event since ``since``: pages are read back until one reaches older events."""
    kwargs: dict[str, Any] = {"StackName": clients.profile.stack}
    items: list[TimelineItem] = []
    while True:
        page = await clients.call("cloudformation", "describe_stack_events", **kwargs)
        reached = False
        for raw in page.get("StackEvents", []):
            when: datetime = raw["Timestamp"]
            if when < since:
                reached = True
                continue
            items.append(_stack_item(raw))
        token = page.get("NextToken")
        if reached or not token:
            return items
        kwargs["NextToken"] = token


def _stack_item(raw: Mapping[str, Any]) -> TimelineItem:
    status = str(raw.get("ResourceStatus", ""))
    logical = str(raw.get("LogicalResourceId", ""))
    rtype = str(raw.get("ResourceType", ""))
    stack_level = rtype == "AWS::CloudFormation::Stack"
    kind, severity = _stack_kind(status, stack_level)
    reason = str(raw.get("ResourceStatusReason") or "")
    what = f"Stack {logical}" if stack_level else f"{logical} ({rtype})"
    summary = f"{what} {status}" + (f": {reason}" if reason else "")
    props = str(raw.get("ResourceProperties") or "")
    return item(
        raw["Timestamp"],
        "stack",
        kind,
        severity,
        summary,
        f"stack-event:{raw.get('EventId', '')}",
        details={
            "logical id": logical,
            "type": rtype,
            "status": status,
            "reason": reason,
            "physical id": raw.get("PhysicalResourceId", ""),
            "properties": props,
        },
    )


def _resources(stack: Stack, *types: str) -> list[str]:
    return [r.physical_id for r in stack.resources if r.type in types and r.physical_id]


async def _describe_events(
    clients: AwsClients, service: str, since: datetime, until: datetime, **filters: Any
) -> list[dict[str, Any]]:
    return await all_pages(clients, service, "describe_events", "Events", StartTime=since, EndTime=until, **filters)


_CATEGORY_WORDS = (
    ("failover", "failover"),
    ("reboot", "restart"),
    ("restart", "restart"),
    ("recover", "restart"),
    ("maintenance", "maintenance"),
    ("snapshot", "backup"),
    ("backup", "backup"),
)


def _event_kind(message: str) -> tuple[str, str]:
    low = message.lower()
    kind = next((k for word, k in _CATEGORY_WORDS if word in low), "event")
    severity = (
        "warning" if kind in ("failover", "restart") or "fail" in low else "notice" if kind == "maintenance" else "info"
    )
    return kind, severity


async def rds_items(clients: AwsClients, stack: Stack, since: datetime, until: datetime) -> list[TimelineItem]:
    """RDS events of the stack's database instances (backups, failovers, maintenance, restarts)."""
    items: list[TimelineItem] = []
    for db in _resources(stack, "AWS::RDS::DBInstance"):
        for ev in await _describe_events(clients, "rds", since, until, SourceType="db-instance", SourceIdentifier=db):
            items.append(_db_event("rds", ev))
    for cluster in _resources(stack, "AWS::RDS::DBCluster"):
        for ev in await _describe_events(
            clients, "rds", since, until, SourceType="db-cluster", SourceIdentifier=cluster
        ):
            items.append(_db_event("rds", ev))
    return items


async def elasticache_items(clients: AwsClients, stack: Stack, since: datetime, until: datetime) -> list[TimelineItem]:
    """ElastiCache events of the stack's replication groups and their member clusters."""
    groups = _resources(stack, "AWS::ElastiCache::ReplicationGroup", "AWS::ElastiCache::CacheCluster")
    if not groups:
        return []
    events = await _describe_events(clients, "elasticache", since, until)
    # Member clusters are named after their group (<group>-001…): keep those and the groups.
    return [
        _db_event("elasticache", ev)
        for ev in events
        if any(str(ev.get("SourceIdentifier", "")).startswith(g) for g in groups)
    ]


def _db_event(source: str, ev: Mapping[str, Any]) -> TimelineItem:
    message = str(ev.get("Message", ""))
    ident = str(ev.get("SourceIdentifier", ""))
    kind, severity = _event_kind(message)
    when: datetime = ev["Date"]
    return item(
        when,
        source,
        kind,
        severity,
        f"{ident}: {message}",
        f"{source}-event:{ident}@{when.isoformat()}",
        details={
            "source": ident,
            "type": ev.get("SourceType", ""),
            "message": message,
            "categories": ", ".join(ev.get("EventCategories", [])),
        },
    )


async def ec2_items(clients: AwsClients, stack: Stack, until: datetime) -> list[TimelineItem]:
    """The instance's scheduled events (reboots, retirement), placed at their start or at now."""
    instances = _resources(stack, "AWS::EC2::Instance")
    if not instances:
        return []
    page = await clients.call("ec2", "describe_instance_status", InstanceIds=instances, IncludeAllInstances=True)
    items: list[TimelineItem] = []
    for status in page.get("InstanceStatuses", []):
        for ev in status.get("Events", []):
            start = ev.get("NotBefore") or until
            items.append(
                item(
                    min(start, until),
                    "ec2",
                    "scheduled",
                    "warning",
                    f"{status.get('InstanceId', '')}: scheduled {ev.get('Code', '')} from {start:%Y-%m-%d %H:%M} UTC: "
                    f"{ev.get('Description', '')}",
                    f"ec2-event:{status.get('InstanceId', '')}/{ev.get('InstanceEventId', ev.get('Code', ''))}",
                    details={k: v for k, v in ev.items()},
                )
            )
    return items


async def uplink_items(
    clients: AwsClients, since: datetime, until: datetime
) -> tuple[list[TimelineItem], dict[str, Any]]:
    """Per-minute AWS IoT publishes over the range, and drops against the same time the day before."""
    minutes = int((until - since).total_seconds() // 60)
    got = await load_iot_metrics(
        clients, (minutes + 24 * 60) / 60, period=60, metrics=(IOT_METRICS[0],), now=until.timestamp() - 60
    )
    values = spread(got.series[0].values)
    today, yesterday = values[-minutes:], values[-minutes - 24 * 60 : -24 * 60]
    start = got.end - timedelta(minutes=minutes)
    items: list[TimelineItem] = []
    dropping = False
    for lo in range(0, minutes - DROP_WINDOW + 1, DROP_STEP):
        now_sum, then_sum = sum(today[lo : lo + DROP_WINDOW]), sum(yesterday[lo : lo + DROP_WINDOW])
        if then_sum <= 0:
            continue
        ratio = now_sum / then_sum
        when = start + timedelta(minutes=lo)
        ref = f"cloudwatch:AWS/IoT/PublishIn.Success@{when.isoformat(timespec='minutes')}"
        figures = {"this window": f"{now_sum:.0f}", "same window yesterday": f"{then_sum:.0f}", "minutes": DROP_WINDOW}
        if not dropping and ratio < DROP_BELOW:
            dropping = True
            items.append(
                item(
                    when,
                    "uplinks",
                    "drop",
                    "warning",
                    f"Uplinks {100 - ratio * 100:.0f}% below the same time yesterday "
                    f"({now_sum:,.0f} against {then_sum:,.0f} in {DROP_WINDOW} min)",
                    ref,
                    details=figures,
                )
            )
        elif dropping and ratio >= RECOVERED_AT:
            dropping = False
            items.append(
                item(
                    when,
                    "uplinks",
                    "recovered",
                    "notice",
                    f"Uplinks back to {ratio * 100:.0f}% of the same time yesterday "
                    f"({now_sum:,.0f} against {then_sum:,.0f} in {DROP_WINDOW} min)",
                    ref,
                    details=figures,
                )
            )
    figures = {
        "per_minute": tuple(today),
        "total": sum(today),
        "previous_day": sum(yesterday),
        "start": start,
        "dropping": dropping,
    }
    return items, figures


def spread(values: tuple[float, ...], coarse: int = 5) -> tuple[float, ...]:
    """Per-minute values where CloudWatch holds ``coarse``-minute sums (one datum at the start of a
    period, then nothing: metrics published every 5 minutes, or older data): each such sum spread
    evenly over its minutes, so per-minute strips and windows show traffic, not a comb."""
    out = list(values)
    for i, v in enumerate(values):
        tail = values[i + 1 : i + coarse]
        if v and len(tail) == coarse - 1 and not any(tail):
            for j in range(i, i + coarse):
                out[j] = v / coarse
    return tuple(out)


def utc(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)
