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
so sandbox/history_aws.py answers ``DescribeEvents`` of both services around moto, in their own
XML, from the story, and appends the update's events to moto's stack with backdated timestamps.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

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
