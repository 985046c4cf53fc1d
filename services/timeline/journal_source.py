"""The journal's part of the timeline: warnings and errors grouped per minute, and the unit's starts and stops.

Two ``journalctl`` runs on one SSH connection. The stack writes every line at ``PRIORITY`` 6
whatever its level (DOMAIN.md), so ``-p warning`` alone would drop all of them: the warnings
come from ``--grep`` on the level word (TTS's console or JSON format), filtered on the host so a
day of INFO lines never crosses the network. The unit's starts, stops and failures are
systemd's own lines about it (``UNIT=… _PID=1``). The range before ``since`` is fetched too, so a
message never seen there is marked "new" at its first appearance.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from services.core.config import Profile
from services.core.errors import AuthFailed, ConsoleError
from services.core.ssh import connect, quote_command
from services.journal.entry import EntryRows, unpack_row
from services.journal.parse import JournalParser
from services.timeline.model import TimelineItem, item

# The stack's level words at the start of a console-format MESSAGE, or in a JSON-format one.
WARNING_GREP = r'^(WARN|ERROR|FATAL|DPANIC|PANIC)\t|"level": ?"(warn|error|fatal|dpanic|panic)"'
# Only what the timeline reads crosses the network (journalctl adds the cursor and timestamps).
FIELDS = "--output-fields=MESSAGE,PRIORITY,SYSLOG_IDENTIFIER,_PID"
_SEVERITY = {"WARN": "warning", "ERROR": "error", "FATAL": "critical", "DPANIC": "critical", "PANIC": "critical"}
_LIFECYCLE = (
    (re.compile(r"^Started "), "start", "notice", "The service started"),
    (re.compile(r"^Stopped "), "stop", "warning", "The service stopped"),
    (re.compile(r"Main process exited, code=(?!exited, status=0/SUCCESS)"), "failed", "error", "The service crashed"),
    (re.compile(r"Failed with result"), "failed", "error", "The service failed"),
    (re.compile(r"Scheduled restart job"), "restart", "warning", "systemd restarts the service"),
    (re.compile(r"Start request repeated too quickly"), "failed", "critical", "systemd gave up restarting the service"),
)
_SUDO_PASSWORD = ("a password is required", "a terminal is required")


@dataclass
class _Group:
    """One (minute, message) group of warnings."""

    minute: int
    level: str
    message: str
    namespace: str
    error: str
    count: int
    first_cursor: str
    first_us: int


def journal_commands(unit: str, since: float, until: float) -> tuple[list[str], list[str]]:
    """The two remote commands: the stack's warnings and errors, and systemd's lines about the unit."""
    window = ["--since", f"@{int(since)}", "--until", f"@{int(until) + 1}", "-o", "json", "--no-pager", FIELDS]
    warnings = ["sudo", "-n", "journalctl", "-u", unit, *window, "--grep", WARNING_GREP]
    lifecycle = ["sudo", "-n", "journalctl", f"UNIT={unit}", "_PID=1", *window]
    return warnings, lifecycle


async def fetch_journal(profile: Profile, host: str, since: float, until: float) -> tuple[list[bytes], list[bytes]]:
    """The raw ``-o json`` lines of both commands (the fetch alone: the benchmark's baseline)."""
    warnings_cmd, lifecycle_cmd = journal_commands(profile.ssh.unit, since, until)
    async with await connect(profile, host) as conn:
        got = await asyncio.gather(_run(conn, warnings_cmd), _run(conn, lifecycle_cmd))
    return got[0], got[1]


async def _run(conn: Any, argv: Sequence[str]) -> list[bytes]:
    import asyncssh

    try:
        result = await conn.raw.run(quote_command(argv), check=False, encoding=None)
    except (asyncssh.Error, OSError) as exc:
        raise ConsoleError(f"The SSH connection to {conn.where} failed while reading the journal: {exc}.") from None
    stdout = result.stdout or b""
    stderr = (result.stderr or b"").decode("utf-8", "replace")
    # journalctl exits 1 when --grep matches nothing; only stderr says it really failed.
    if result.exit_status not in (0, 1) or (result.exit_status == 1 and stderr.strip() and not stdout):
        if any(marker in stderr for marker in _SUDO_PASSWORD):
            raise AuthFailed(
                f"sudo on {conn.where} wants a password; the console needs passwordless sudo for journalctl."
            )
        first = stderr.strip().splitlines()[0] if stderr.strip() else f"exit status {result.exit_status}"
        raise ConsoleError(f"journalctl on {conn.where} failed: {first}.")
    return stdout.splitlines()


BATCH = 2000


def _entries(lines: list[bytes]) -> EntryRows:
    # In batches, as a stream comes: the parser learns journald's field layout from the first
    # lines and takes its quick path for the rest.
    parser = JournalParser()
    rows: list[Any] = []
    for lo in range(0, len(lines), BATCH):
        got, _unparsable = parser.parse_lines(lines[lo : lo + BATCH])
        rows += got
    return EntryRows(rows)


def group_warnings(lines: list[bytes], since: float) -> tuple[list[TimelineItem], dict[str, Any]]:
    """Warnings and errors per minute by (level, message, namespace, error), "new" marked; and figures."""
    since_us = int(since * 1_000_000)
    seen_before: set[tuple[str, str, str, str]] = set()
    groups: dict[tuple[int, str, str, str, str], _Group] = {}
    errors_of: dict[str, str] = {}
    per_minute: dict[int, int] = {}
    for row in _entries(lines).rows:
        if row[3] not in _SEVERITY:  # the level, known without splitting the message
            continue
        cursor, _seq, realtime_us, level, namespace, message, fields_json, _items = unpack_row(row)
        error = errors_of.get(fields_json)
        if error is None:
            error = errors_of[fields_json] = _error_of(fields_json)
        key = (level, message, namespace, error)
        if realtime_us < since_us:
            seen_before.add(key)
            continue
        minute = realtime_us // 60_000_000
        per_minute[minute] = per_minute.get(minute, 0) + 1
        group = groups.get((minute, *key))
        if group is None:
            groups[(minute, *key)] = _Group(minute, level, message, namespace, error, 1, cursor, realtime_us)
        else:
            group.count += 1
    items: list[TimelineItem] = []
    first_seen: set[tuple[str, str, str, str]] = set()
    for group in sorted(groups.values(), key=lambda g: g.first_us):
        key = (group.level, group.message, group.namespace, group.error)
        new = key not in seen_before and key not in first_seen
        first_seen.add(key)
        where = f" ({group.namespace})" if group.namespace else ""
        cause = f": {group.error}" if group.error else ""
        times = f" ×{group.count}" if group.count > 1 else ""
        items.append(
            item(
                datetime.fromtimestamp(group.first_us / 1_000_000, UTC),
                "journal",
                group.level.lower(),
                _SEVERITY[group.level],
                f"{'NEW ' if new else ''}{group.message}{where}{cause}{times}",
                f"journal:{group.first_cursor}",
                count=group.count,
                new=new,
                details={
                    "level": group.level,
                    "message": group.message,
                    "namespace": group.namespace,
                    "error": group.error,
                    "count": group.count,
                    "cursor": group.first_cursor,
                },
            )
        )
    figures = {"per_minute": per_minute, "warnings": sum(per_minute.values())}
    return items, figures


def _error_of(fields_json: str) -> str:
    if not fields_json or '"error"' not in fields_json:
        return ""
    try:
        fields = json.loads(fields_json)
    except ValueError:
        return ""
    value = fields.get("error") if isinstance(fields, dict) else None
    return value if isinstance(value, str) else ""


def unit_lifecycle(lines: list[bytes]) -> list[TimelineItem]:
    """The unit's starts, stops and failures from systemd's own lines."""
    items: list[TimelineItem] = []
    for entry in _entries(lines):
        for pattern, kind, severity, summary in _LIFECYCLE:
            if pattern.search(entry.message):
                items.append(
                    item(
                        entry.timestamp,
                        "journal",
                        kind,
                        severity,
                        f"{summary}: {entry.message}",
                        f"journal:{entry.cursor}",
                        details={"message": entry.message, "cursor": entry.cursor},
                    )
                )
                break
    return items


async def journal_items(
    profile: Profile, host: str, since: float, until: float
) -> tuple[list[TimelineItem], dict[str, Any]]:
    """The journal's items over ``since..until`` (the range before it decides what is new)."""
    previous = since - (until - since)
    warnings, lifecycle = await fetch_journal(profile, host, previous, until)
    grouped, figures = await asyncio.to_thread(group_warnings, warnings, since)
    since_dt = datetime.fromtimestamp(since, UTC)
    return grouped + [i for i in unit_lifecycle(lifecycle) if i.time >= since_dt], figures
