"""The timeline's shapes: one item per thing that happened, whatever source it came from."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from services.core.errors import ConfigError
from services.core.safe_text import safe_text

# Every source, in the order the operator reads them (and `--source` accepts).
SOURCES = ("stack", "journal", "health", "uplinks", "devices", "rds", "elasticache", "ec2", "audit")
SEVERITIES = ("info", "notice", "warning", "error", "critical")
MAX_RANGE = timedelta(days=7)
RANGES = ("1h", "6h", "24h", "7d")  # the Timeline tab's choices
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(m|min|h|d)?\s*$")


def parse_range(text: str) -> timedelta:
    """``90m``, ``2h``, ``7d`` (a bare number is hours); at most seven days."""
    match = _DURATION.match(text)
    if not match:
        raise ConfigError(f"--since {text!r} is not a duration; use minutes, hours or days, like 90m, 2h or 7d.")
    value = float(match.group(1))
    unit = match.group(2) or "h"
    span = (
        timedelta(minutes=value)
        if unit in ("m", "min")
        else timedelta(hours=value)
        if unit == "h"
        else timedelta(days=value)
    )
    if span <= timedelta(0):
        raise ConfigError(f"--since {text!r} is empty; give a duration longer than zero, like 2h.")
    if span > MAX_RANGE:
        raise ConfigError(f"--since {text!r} is longer than the 7 days the timeline covers; use 7d or less.")
    return span


@dataclass(frozen=True)
class TimelineItem:
    """One thing that happened. ``summary`` is safe text; ``ref`` says where the item lives."""

    time: datetime
    source: str
    kind: str
    severity: str
    summary: str
    ref: str
    count: int = 1  # journal groups: how many entries in that minute
    new: bool = False  # journal groups: first seen in this range, never in the range before
    details: tuple[tuple[str, str], ...] = ()  # (name, safe value) pairs for the detail view

    def as_json(self) -> dict[str, Any]:
        """The NDJSON shape every source shares."""
        return {
            "time": self.time.isoformat(timespec="seconds"),
            "source": self.source,
            "kind": self.kind,
            "severity": self.severity,
            "summary": self.summary,
            "ref": self.ref,
            "count": self.count,
            "new": self.new,
        }


def item(
    time: datetime,
    source: str,
    kind: str,
    severity: str,
    summary: str,
    ref: str,
    *,
    count: int = 1,
    new: bool = False,
    details: dict[str, Any] | None = None,
) -> TimelineItem:
    """A timeline item with every remote string made safe (the one place sources go through)."""
    return TimelineItem(
        time=time,
        source=source,
        kind=kind,
        severity=severity,
        summary=safe_text(summary),
        ref=safe_text(ref),
        count=count,
        new=new,
        details=tuple((safe_text(str(k)), safe_text(str(v))) for k, v in (details or {}).items()),
    )


@dataclass(frozen=True)
class SourceResult:
    """What one source gave: items and per-minute figures, or the sentence saying why it failed."""

    source: str
    items: tuple[TimelineItem, ...] = ()
    error: str = ""
    figures: dict[str, Any] = field(default_factory=dict)

    @property
    def failed(self) -> bool:
        return bool(self.error)


@dataclass(frozen=True)
class Timeline:
    """Every source merged in time order over ``start``..``end``, with per-minute strips."""

    start: datetime
    end: datetime
    items: tuple[TimelineItem, ...]
    results: tuple[SourceResult, ...]
    strips: dict[str, tuple[float, ...]] = field(default_factory=dict)  # name -> one value per minute

    @property
    def failed(self) -> tuple[SourceResult, ...]:
        return tuple(r for r in self.results if r.failed)

    @property
    def minutes(self) -> int:
        return max(1, int((self.end - self.start).total_seconds() // 60))

    def figures(self, source: str) -> dict[str, Any]:
        return next((r.figures for r in self.results if r.source == source), {})

    def minute_of(self, when: datetime) -> int:
        """The strip index of ``when`` (clamped into the range)."""
        index = int((when - self.start).total_seconds() // 60)
        return min(max(index, 0), self.minutes - 1)
