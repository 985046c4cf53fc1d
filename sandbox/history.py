"""The sandbox's past: one incident told consistently by every source, for the Timeline.

The story, relative to the sandbox's start (``ctx.started``), the service restart being the
first entry of the journal's backlog (about 40 minutes ago):

- hours of ordinary warnings in the journal (missed gateway pings, failed tasks);
- an RDS snapshot taken by the operator (audit log, RDS event) a quarter of an hour before…
- …a stack update that changes the EC2 instance type (``t3.small`` → ``t3.medium``): the
  instance stops, so the service stops; it starts again with the instance;
- two minutes after the restart, Redis connection errors appear in the journal (new: never
  seen before), and ElastiCache reports a failover of the replication group;
- uplinks fall by half in CloudWatch ``AWS/IoT`` from the restart on;
- the console's health history saw SSH fail during the update and recover.

moto has no ``DescribeEvents`` for ElastiCache and keeps no RDS events for what it did not do,
so :class:`EventsMiddleware` answers ``DescribeEvents`` of both services around moto, in their
own XML, from the story; stack events are appended to moto's stack with backdated timestamps.
"""

from __future__ import annotations

import json
import os
import time
import urllib.parse
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from sandbox.journal_gen import BACKLOG_SPACING, UNIT, _tts

BACKLOG = 3000  # the SSH part's default backlog: the restart is its first entry
PRELUDE_HOURS = 8
REDIS_ERROR_AFTER = 150  # backlog entries after the restart (2 minutes at BACKLOG_SPACING)
REDIS_ERROR_EVERY = 20
REDIS_GROUP = "ttes-demo-redis"
DB_INSTANCE = "ttes-demo-database"
NEW_INSTANCE_TYPE = "t3.medium"  # the update changed the EC2 instance type from the template's t3.small

_ROUTINE = [
    ("WARN", "Gateway missed too many pings", "gatewayserver/io/ws", {"gateway_uid": "kerlink-roof"}),
    *[
        (level, message, ns, {"error": f"error:{pkg}:{name} ({desc})", "error_name": name, "error_namespace": pkg})
        for level, message, ns in (("WARN", "Task failed", "events/cloud"), ("ERROR", "Task failed", "events/cloud"))
        for pkg, name, desc in (
            ("pkg/redis", "store", "store error"),
            ("pkg/networkserver", "device_not_found", "device not found"),
            ("pkg/gatewayserver/io/udp", "rate_exceeded", "gateway traffic exceeded allowed rate"),
            ("pkg/identityserver/bunstore", "driver", "driver error"),
        )
    ],
    *[
        ("ERROR", "Server error", "grpc", {"error": f"error:{pkg}:{name} ({desc})"})
        for pkg, name, desc in (
            ("pkg/redis", "store", "store error"),
            ("pkg/networkserver", "device_not_found", "device not found"),
            ("pkg/gatewayserver/io/udp", "rate_exceeded", "gateway traffic exceeded allowed rate"),
            ("pkg/identityserver/bunstore", "driver", "driver error"),
        )
    ],
]
REDIS_ERROR = (
    "ERROR",
    "Task failed",
    "networkserver",
    {
        "error": "error:pkg/redis:connection (connection to Redis failed)",
        "error_cause": "dial tcp 10.0.2.15:6379: connect: connection refused",
        "error_name": "connection",
        "error_namespace": "pkg/redis",
    },
)


@dataclass
class Story:
    """When each thing happened (epoch seconds), and the names moto gave the stack's databases."""

    started: float  # the sandbox's start
    database: str = DB_INSTANCE
    redis: str = REDIS_GROUP

    @property
    def restart(self) -> float:
        return self.started - (BACKLOG - 1) * BACKLOG_SPACING

    @property
    def snapshot(self) -> float:
        return self.restart - 22 * 60

    @property
    def update_start(self) -> float:
        return self.restart - 6 * 60

    @property
    def stop(self) -> float:
        return self.update_start + 75

    @property
    def update_end(self) -> float:
        return self.restart + 90

    @property
    def redis_errors(self) -> float:
        return self.restart + REDIS_ERROR_AFTER * BACKLOG_SPACING

    @property
    def failover(self) -> float:
        return self.redis_errors + 40


def _us(epoch: float) -> int:
    return int(epoch * 1_000_000)


def journal_prelude(story: Story) -> list[tuple[int, object, int, str]]:
    """Hours of routine warnings, then systemd stopping the service for the update and starting it."""
    entries: list[tuple[int, object, int, str]] = []
    first = story.stop - PRELUDE_HOURS * 3600
    step = 47.0
    n = int((story.stop - 5 - first) // step)
    for i in range(n):
        level, message, ns, fields = _ROUTINE[i % len(_ROUTINE)]
        entries.append((_us(first + i * step), _tts(level, message, ns, fields), 6, "tti-lw-stack"))
    entries += [
        (_us(story.stop), "Stopping The Things Stack...", 6, "systemd"),
        (
            _us(story.stop + 1),
            _tts("INFO", "Received signal, exiting...", "cmd", {"signal": "terminated"}),
            6,
            "tti-lw-stack",
        ),
        (_us(story.stop + 2), f"{UNIT}: Deactivated successfully.", 6, "systemd"),
        (_us(story.stop + 2.5), "Stopped The Things Stack.", 6, "systemd"),
        (_us(story.restart - 0.5), "Started The Things Stack.", 6, "systemd"),
    ]
    return entries


def journal_overrides(backlog: int) -> dict[int, tuple[object, int, str]]:
    """Redis connection errors every REDIS_ERROR_EVERY backlog entries from two minutes after the restart."""
    return {
        own: (_tts(*REDIS_ERROR), 6, "tti-lw-stack") for own in range(REDIS_ERROR_AFTER, backlog + 1, REDIS_ERROR_EVERY)
    }


# --- CloudFormation ------------------------------------------------------------------------


def add_stack_events(stack: Any, story: Story) -> None:
    """The update that changed the instance type, as backdated events on moto's stack."""
    from moto.cloudformation.models import Event

    instance = next((r for r in stack.resource_map.values() if type(r).__name__ == "Instance"), None)
    instance_id = getattr(instance, "id", "") or ""
    steps = [
        (
            story.update_start,
            stack.name,
            "AWS::CloudFormation::Stack",
            stack.stack_id,
            "UPDATE_IN_PROGRESS",
            "User Initiated",
        ),
        (story.update_start + 20, "Instance", "AWS::EC2::Instance", instance_id, "UPDATE_IN_PROGRESS", None),
        (story.update_end - 20, "Instance", "AWS::EC2::Instance", instance_id, "UPDATE_COMPLETE", None),
        (
            story.update_end - 10,
            stack.name,
            "AWS::CloudFormation::Stack",
            stack.stack_id,
            "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS",
            None,
        ),
        (story.update_end, stack.name, "AWS::CloudFormation::Stack", stack.stack_id, "UPDATE_COMPLETE", None),
    ]
    for when, lid, rtype, physical, status, reason in steps:
        event = Event(
            stack_id=stack.stack_id,
            stack_name=stack.name,
            logical_resource_id=lid,
            physical_resource_id=physical,
            resource_type=rtype,
            resource_status=status,
            resource_status_reason=reason,
            resource_properties=json.dumps({"InstanceType": NEW_INSTANCE_TYPE})
            if rtype == "AWS::EC2::Instance"
            else None,
        )
        event.timestamp = datetime.fromtimestamp(when, UTC)
        stack.events.append(event)
    stack.events.sort(key=lambda e: e.timestamp)


def seed_stack(ctx: Any, story: Story) -> None:
    """Backdate the stack's creation before the story and add the update's events."""
    from moto.cloudformation.models import cloudformation_backends

    from sandbox.aws import ACCOUNT_ID

    backend = cloudformation_backends[ACCOUNT_ID][ctx.region]
    stack = next(s for s in backend.stacks.values() if s.name == ctx.stack_name)
    for logical, resource in stack.resource_map.items():
        physical = str(getattr(resource, "physical_resource_id", "") or "")
        if logical == "Database" and physical:
            story.database = physical
        elif logical == "Redis" and physical:
            story.redis = physical
    created = datetime.fromtimestamp(story.started - 30 * 86400, UTC)
    stack.creation_time = created
    for event in stack.events:
        event.timestamp = created
    add_stack_events(stack, story)
    # What the update left behind: the new instance type, and the stack's status.
    stack.resource_map.resolved_parameters["InstanceType"] = NEW_INSTANCE_TYPE
    if isinstance(stack.parameters, dict) and "InstanceType" in stack.parameters:
        stack.parameters["InstanceType"] = NEW_INSTANCE_TYPE
    stack.status = "UPDATE_COMPLETE"


# --- RDS and ElastiCache events -------------------------------------------------------------


def rds_events(story: Story) -> list[dict[str, Any]]:
    return [
        {
            "SourceIdentifier": story.database,
            "SourceType": "db-instance",
            "time": story.snapshot,
            "Message": "Manual snapshot created",
            "EventCategories": ["backup"],
        },
        {
            "SourceIdentifier": story.database,
            "SourceType": "db-instance",
            "time": story.started - 5 * 3600,
            "Message": "Automated backup completed",
            "EventCategories": ["backup"],
        },
    ]


def elasticache_events(story: Story) -> list[dict[str, Any]]:
    node = f"{story.redis}-001"
    return [
        {
            "SourceIdentifier": story.redis,
            "SourceType": "replication-group",
            "time": story.failover,
            "Message": f"Failover from primary node {node} to replica node {story.redis}-002 completed",
        },
        {
            "SourceIdentifier": node,
            "SourceType": "cache-cluster",
            "time": story.failover + 180,
            "Message": "Recovering cache nodes 0001",
        },
    ]


class EventsMiddleware:
    """Answers RDS and ElastiCache ``DescribeEvents`` from the story; everything else goes to moto."""

    def __init__(self, app: Any, story: Story) -> None:
        self.app = app
        self.story = story

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        auth = environ.get("HTTP_AUTHORIZATION", "")
        service = next((s for s in ("elasticache", "rds") if f"/{s}/aws4_request" in auth), "")
        if not service or not environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded"):
            return self.app(environ, start_response)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(length)
        form = dict(urllib.parse.parse_qsl(raw.decode()))
        if form.get("Action") != "DescribeEvents":
            import io

            environ["wsgi.input"] = io.BytesIO(raw)
            return self.app(environ, start_response)
        body = self._describe(service, form).encode()
        start_response("200 OK", [("Content-Type", "text/xml"), ("Content-Length", str(len(body)))])
        return [body]

    def _describe(self, service: str, form: dict[str, str]) -> str:
        events = rds_events(self.story) if service == "rds" else elasticache_events(self.story)
        start = _parse_time(form.get("StartTime")) or time.time() - 3600
        end = _parse_time(form.get("EndTime")) or time.time()
        ident = form.get("SourceIdentifier")
        kind = form.get("SourceType")
        chosen = [
            e
            for e in events
            if start <= e["time"] <= end
            and (not ident or ident == e["SourceIdentifier"])
            and (not kind or kind == e["SourceType"])
        ]
        items = "".join(_event_xml(service, e) for e in sorted(chosen, key=lambda e: e["time"]))
        ns = (
            "http://rds.amazonaws.com/doc/2014-10-31/"
            if service == "rds"
            else "http://elasticache.amazonaws.com/doc/2015-02-02/"
        )
        return (
            f'<DescribeEventsResponse xmlns="{ns}"><DescribeEventsResult><Events>{items}</Events>'
            f"</DescribeEventsResult><ResponseMetadata><RequestId>sandbox-events</RequestId></ResponseMetadata>"
            f"</DescribeEventsResponse>"
        )


def _parse_time(text: str | None) -> float | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def _event_xml(service: str, event: dict[str, Any]) -> str:
    stamp = datetime.fromtimestamp(event["time"], UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    categories = "".join(f"<EventCategory>{escape(c)}</EventCategory>" for c in event.get("EventCategories", []))
    extra = f"<EventCategories>{categories}</EventCategories>" if service == "rds" else ""
    return (
        f"<Event><SourceIdentifier>{escape(event['SourceIdentifier'])}</SourceIdentifier>"
        f"<SourceType>{escape(event['SourceType'])}</SourceType><Message>{escape(event['Message'])}</Message>"
        f"<Date>{stamp}</Date>{extra}</Event>"
    )


# --- the console's own files ----------------------------------------------------------------


def _append(path: Path, lines: list[dict[str, Any]]) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    with os.fdopen(fd, "a") as fh:
        fh.write("".join(json.dumps(line, sort_keys=True) + "\n" for line in lines))


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="milliseconds")


def seed_audit(path: Path, ctx: Any, story: Story) -> None:
    """The operator's snapshot before the update, as the audit log records it."""
    principal = "arn:aws:iam::123456789012:user/oncall"
    _append(
        path,
        [
            {
                "time": _iso(story.snapshot),
                "os_user": "alice",
                "principal": principal,
                "profile": "sandbox",
                "action": "create_snapshot",
                "target": f"rds:{story.database}",
                "request_id": "5f1c7a2e-sandbox",
                "outcome": "ok",
                "detail": "before changing the instance type",
            }
        ],
    )


def seed_health(path: Path, story: Story) -> None:
    """What the console's checks saw during the update: SSH failed while the instance was stopped."""
    checks = ("stack", "dns", "tls", "https", "plaintext", "ssh", "service", "iot")
    first = story.started - 7 * 3600
    lines = [
        {"time": _iso(first), "check": name, "status": "ok", "previous": None, "summary": "first seen"}
        for name in checks
    ]
    lines += [
        {
            "time": _iso(story.stop + 30),
            "check": "ssh",
            "status": "critical",
            "previous": "ok",
            "summary": "SSH to the instance timed out",
        },
        {
            "time": _iso(story.stop + 30),
            "check": "service",
            "status": "unknown",
            "previous": "ok",
            "summary": "the unit could not be asked: SSH is unreachable",
        },
        {
            "time": _iso(story.restart + 60),
            "check": "ssh",
            "status": "ok",
            "previous": "critical",
            "summary": "SSH answers",
        },
        {
            "time": _iso(story.restart + 60),
            "check": "service",
            "status": "ok",
            "previous": "unknown",
            "summary": f"{UNIT} is active",
        },
    ]
    _append(path, lines)
