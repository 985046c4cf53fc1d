"""The hand-over report: a shift's timeline as Markdown that reads well pasted into a ticket or chat.

Parts, each a ``##`` heading (tables where there are rows, one sentence where there are none):
the stack and its health now, health transitions, top errors, uplink traffic against the day
before, changes, actions taken (snapshots, change sets, restarts: who and when), what is still
failing (checks, new errors, uplinks, devices the live feed saw go silent), and sources that could
not be read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from services.core.safe_text import safe_text
from services.timeline.model import Timeline, TimelineItem

TOP_ERRORS = 10
STILL_FAILING_MINUTES = 15  # an error seen this close to the end of the range is still happening
SILENT_DEVICES_LISTED = 10  # the rest are counted: the Uplinks tab's devices view has them all


@dataclass(frozen=True)
class HealthNow:
    """One check's verdict at report time (plain data: the report does not run checks)."""

    name: str
    status: str
    summary: str


def cell(text: Any) -> str:
    """Text safe in a Markdown table cell: safe, one line, pipes and backticks escaped."""
    value = safe_text(str(text)).replace("\\n", " ").replace("|", "\\|").replace("`", "'")
    return value or "—"


def _table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[str]:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return [*lines, ""]


def _hm(when: datetime) -> str:
    return f"{when:%Y-%m-%d %H:%M} UTC"


def render_report(
    timeline: Timeline,
    *,
    stack_name: str,
    region: str,
    stack_status: str,
    health: Sequence[HealthNow],
    now: datetime | None = None,
) -> str:
    """The report's Markdown."""
    end = now or timeline.end
    out = [f"# Hand-over: {cell(stack_name)} ({cell(region)})", ""]
    out += [f"Covers {_hm(timeline.start)} to {_hm(timeline.end)}; written {_hm(end)}.", ""]
    out += _now(stack_status, health)
    out += _transitions(timeline.items)
    out += _errors(timeline.items)
    out += _uplinks(timeline)
    out += _changes(timeline.items)
    out += _actions(timeline.items)
    out += _failing(timeline, health)
    if timeline.failed:
        out += ["## Sources not read", ""]
        out += [f"- **{r.source}**: {cell(r.error)}" for r in timeline.failed] + [""]
    return "\n".join(out).rstrip() + "\n"


def _now(stack_status: str, health: Sequence[HealthNow]) -> list[str]:
    out = ["## Now", "", f"Stack status: **{cell(stack_status or 'unknown')}**.", ""]
    if health:
        out += _table(["Check", "Status", "Summary"], [(h.name, h.status.upper(), h.summary) for h in health])
    else:
        out += ["The health checks could not run.", ""]
    return out


def _transitions(items: Sequence[TimelineItem]) -> list[str]:
    rows = []
    for it in items:
        if it.source == "health" and it.kind == "transition":
            d = dict(it.details)
            rows.append((_hm(it.time), d.get("check", ""), d.get("from", ""), d.get("to", ""), d.get("summary", "")))
    out = ["## Health transitions", ""]
    return out + (_table(["Time", "Check", "From", "To", "Why"], rows) if rows else ["None in this period.", ""])


def _errors(items: Sequence[TimelineItem]) -> list[str]:
    groups: dict[tuple[str, str, str, str], dict[str, Any]] = {}
    for it in items:
        if it.source != "journal" or it.severity not in ("warning", "error", "critical") or it.kind == "unavailable":
            continue
        d = dict(it.details)
        if "message" not in d or "namespace" not in d:
            continue
        key = (d.get("level", ""), d["message"], d["namespace"], d.get("error", ""))
        g = groups.setdefault(key, {"count": 0, "first": it.time, "last": it.time, "new": False})
        g["count"] += it.count
        g["last"] = it.time
        g["new"] = g["new"] or it.new
    ranked = sorted(groups.items(), key=lambda kv: -kv[1]["count"])[:TOP_ERRORS]
    rows = [
        (
            lvl,
            msg + (f" ({ns})" if ns else ""),
            err,
            g["count"],
            _hm(g["first"]),
            _hm(g["last"]),
            "yes" if g["new"] else "",
        )
        for (lvl, msg, ns, err), g in ranked
    ]
    out = ["## Top errors", ""]
    if not rows:
        return [*out, "No warnings or errors in the journal in this period.", ""]
    return out + _table(["Level", "Message", "Error", "Count", "First seen", "Last seen", "New"], rows)


def _uplinks(timeline: Timeline) -> list[str]:
    out = ["## Uplink traffic", ""]
    figures = timeline.figures("uplinks")
    if not figures:
        return [*out, "AWS IoT metrics were not read.", ""]
    total, before = float(figures.get("total", 0)), float(figures.get("previous_day", 0))
    change = f"{(total - before) / before * 100:+.0f}%" if before else "—"
    out += _table(
        ["Period", "Uplinks (PublishIn.Success)", "Same period the day before", "Change"],
        [(f"{_hm(timeline.start)} – {_hm(timeline.end)}", f"{total:,.0f}", f"{before:,.0f}", change)],
    )
    drops = [it for it in timeline.items if it.source == "uplinks" and it.kind in ("drop", "recovered")]
    out += [f"- {_hm(it.time)}: {cell(it.summary)}" for it in drops]
    return out + ([""] if drops else [])


_CHANGE_SOURCES = ("stack", "rds", "elasticache", "ec2")


def _changes(items: Sequence[TimelineItem]) -> list[str]:
    rows = [
        (_hm(it.time), it.source, it.summary)
        for it in items
        if it.kind != "unavailable"
        and (
            (it.source == "stack" and it.kind in ("update", "rollback", "failed"))
            or (it.source in _CHANGE_SOURCES[1:])
            or (it.source == "journal" and it.kind in ("start", "stop", "failed", "restart"))
        )
    ]
    out = ["## Changes", ""]
    return out + (_table(["Time", "Source", "What"], rows) if rows else ["No changes in this period.", ""])


def _actions(items: Sequence[TimelineItem]) -> list[str]:
    rows = []
    for it in items:
        if it.source != "audit" or it.kind == "unavailable":
            continue
        d = dict(it.details)
        rows.append(
            (
                _hm(it.time),
                d.get("user", ""),
                d.get("principal", ""),
                it.kind,
                d.get("target", ""),
                d.get("outcome", ""),
            )
        )
    out = ["## Actions taken", ""]
    if not rows:
        return [*out, "No snapshots, change sets or restarts were recorded in the audit log.", ""]
    return out + _table(["Time", "Who", "Principal", "Action", "Target", "Outcome"], rows)


def _error_key(it: TimelineItem) -> tuple[str, str, str]:
    d = dict(it.details)
    return d.get("message", ""), d.get("namespace", ""), d.get("error", "")


def _failing(timeline: Timeline, health: Sequence[HealthNow]) -> list[str]:
    out = ["## Still failing", ""]
    lines = [f"- Check **{cell(h.name)}** is {h.status.upper()}: {cell(h.summary)}" for h in health if h.status != "ok"]
    # Errors new in this period (not the routine ones the period before had too) that still occur.
    recent = timeline.end - timedelta(minutes=STILL_FAILING_MINUTES)
    journal = [it for it in timeline.items if it.source == "journal" and it.severity in ("error", "critical")]
    new_keys = {_error_key(it) for it in journal if it.new}
    counts: dict[tuple[str, str, str], int] = {}
    for it in journal:
        if it.time >= recent and _error_key(it) in new_keys:
            counts[_error_key(it)] = counts.get(_error_key(it), 0) + it.count
    for (message, namespace, error), count in counts.items():
        where = f" ({namespace})" if namespace else ""
        lines.append(
            f"- {cell(message + where)}: {cell(error or 'error')}, {count} times in the last {STILL_FAILING_MINUTES} min"
            " (new in this period)"
        )
    if timeline.figures("uplinks").get("dropping"):
        lines.append("- Uplinks are still below the same time the day before.")
    silent = timeline.figures("devices").get("silent") or []
    for d in silent[:SILENT_DEVICES_LISTED]:
        lines.append(
            f"- Device **{cell(d['device_id'])}** (app {cell(d['application_id'])}) silent since"
            f" {_hm(d['last_seen'])} ({cell(d['usual'])})."
        )
    if len(silent) > SILENT_DEVICES_LISTED:
        lines.append(f"- And {len(silent) - SILENT_DEVICES_LISTED} more silent devices (Uplinks tab, devices view).")
    lines += [f"- Source **{r.source}** could not be read." for r in timeline.failed]
    return out + ([*lines, ""] if lines else ["Nothing: every check is OK and no errors in the last minutes.", ""])
