"""The console's own records in the timeline: the audit log, the health history and the devices
the live feed heard (a device that went silent).

The audit log is only read here, and leniently: its writer may name fields differently
(``user``/``os_user``, ``principal``/``arn``, ``request_id``/``requestId``); a line that is not
JSON is skipped.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from services.core.audit import audit_path
from services.core.config import Profile
from services.timeline.health_history import HealthChange, history_path, read_history
from services.timeline.model import TimelineItem, item
from services.uplinks import history as device_history
from services.uplinks.devices import silent_after

_STATUS_SEVERITY = {
    "ok": "notice",
    "warn": "warning",
    "warning": "warning",
    "unknown": "warning",
    "critical": "critical",
}
STATUS_RANK = {"ok": 0, "warn": 1, "warning": 1, "unknown": 2, "critical": 3}


def _first(raw: Mapping[str, Any], *names: str) -> str:
    for name in names:
        value = raw.get(name)
        if value not in (None, ""):
            return str(value)
    return ""


def _when(text: str) -> datetime | None:
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        try:
            return datetime.fromtimestamp(float(text), UTC)
        except ValueError:
            return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def audit_items(profile: Profile, since: datetime, until: datetime) -> list[TimelineItem]:
    """The audit log's records in the range: who did what to which resource, and how it ended."""
    path: Path = audit_path(profile)
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return []
    items: list[TimelineItem] = []
    for number, line in enumerate(text.splitlines(), start=1):
        try:
            raw = json.loads(line)
        except ValueError:
            continue
        if not isinstance(raw, dict):
            continue
        when = _when(_first(raw, "time", "timestamp", "ts"))
        if when is None or not since <= when <= until:
            continue
        action = _first(raw, "action", "event") or "action"
        target = _first(raw, "target", "resource")
        user = _first(raw, "user", "os_user", "os-user")
        principal = _first(raw, "principal", "principal_arn", "arn")
        outcome = _first(raw, "outcome", "result") or "?"
        request_id = _first(raw, "request_id", "requestId", "request-id")
        who = " ".join(p for p in (user, f"({principal})" if principal else "") if p) or "someone"
        severity = "warning" if outcome in ("failed", "denied", "override", "refused") else "notice"
        items.append(
            item(
                when,
                "audit",
                action,
                severity,
                f"{action.replace('_', ' ')} {target} by {who}: {outcome}",
                f"audit:{path.name}#{number}" + (f"/{request_id}" if request_id else ""),
                details={
                    "user": user,
                    "principal": principal,
                    "action": action,
                    "target": target,
                    "outcome": outcome,
                    "request id": request_id,
                    "detail": _first(raw, "detail", "reason"),
                },
            )
        )
    return items


def health_items(profile: Profile, since: datetime, until: datetime) -> tuple[list[TimelineItem], dict[str, Any]]:
    """Each check's transitions in the range, and the history itself (for the health strip)."""
    changes = read_history(history_path(profile))
    items = [
        item(
            c.time,
            "health",
            "transition",
            _STATUS_SEVERITY.get(c.status, "warning"),
            f"{c.check}: {c.previous} → {c.status}" + (f" ({c.summary})" if c.summary else ""),
            f"health:{c.check}@{c.time.isoformat(timespec='seconds')}",
            details={"check": c.check, "from": c.previous, "to": c.status, "summary": c.summary},
        )
        for c in changes
        if c.is_transition and since <= c.time <= until
    ]
    return items, {"changes": changes}


def health_strip(changes: list[HealthChange], start: datetime, minutes: int) -> tuple[float, ...]:
    """The worst check status per minute (0 ok … 3 critical), from the recorded changes."""
    status: dict[str, str] = {}
    strip: list[float] = []
    ordered = sorted(changes, key=lambda c: c.time)
    i = 0
    for minute in range(minutes):
        edge = start.timestamp() + (minute + 1) * 60
        while i < len(ordered) and ordered[i].time.timestamp() < edge:
            status[ordered[i].check] = ordered[i].status
            i += 1
        strip.append(float(max((STATUS_RANK.get(s, 2) for s in status.values()), default=0)))
    return tuple(strip)


def _every(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def device_items(profile: Profile, since: datetime, until: datetime) -> tuple[list[TimelineItem], dict[str, Any]]:
    """One item per device that went silent in the range, by the devices view's own rule, and
    (figures ``silent``) every device still silent at the range's end, newest silence first.

    The history is the one the Uplinks pane writes every 30 s, so it only knows what the live
    feed heard: a silence counts once the file was written after it began (a console closed for
    the night says nothing about the devices it no longer hears). No history is no silences.
    """
    path = device_history.history_path(profile.stack)
    try:
        written = datetime.fromtimestamp(path.stat().st_mtime, UTC)
    except FileNotFoundError:
        return [], {"silent": []}
    seen_until = min(until, written)
    items: list[TimelineItem] = []
    silent: list[dict[str, Any]] = []
    for dev in device_history.load_history(path):
        threshold = silent_after(dev.usual_interval)
        last = datetime.fromtimestamp(dev.last_seen, UTC)
        when = last + timedelta(seconds=threshold)
        if when > seen_until:
            continue
        usual = f"usually every {_every(dev.usual_interval)}" if dev.usual_interval else "usual interval unknown"
        since_text = f"{last:%H:%M}" if last.date() == when.date() else f"{last:%Y-%m-%d %H:%M}"
        silent.append(
            {
                "application_id": dev.application_id,
                "device_id": dev.device_id,
                "last_seen": last,
                "silent_at": when,
                "usual": usual,
            }
        )
        if when < since:
            continue
        items.append(
            item(
                when,
                "devices",
                "silent",
                "warning",
                f"{dev.device_id} (app {dev.application_id}) silent since {since_text} ({usual})",
                f"devices:{dev.application_id}/{dev.device_id}",
                details={
                    "application": dev.application_id,
                    "device": dev.device_id,
                    "last heard": last.isoformat(timespec="seconds"),
                    "usual interval": f"{dev.usual_interval:.0f} s" if dev.usual_interval else "unknown",
                    "silent after": f"{threshold:.0f} s without an uplink",
                    "history": str(path),
                },
            )
        )
    silent.sort(key=lambda d: d["silent_at"], reverse=True)
    return items, {"silent": silent}
