"""The health history: every check's change of status, one JSON line each, kept by the console.

Written by whoever runs the checks (the TUI's Health pane and ``check``, so cron jobs and
monitoring agents fill it too) through :func:`record_health`, the one place that does it. A line
is ``{"time", "check", "status", "previous", "summary"}``; ``previous`` is null the first time a
check is seen. The file is bounded (the oldest lines go when it grows past MAX_LINES), mode
0600, and a torn last line (a run killed mid-write) is skipped, never fatal.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from services.core.config import Profile

MAX_LINES = 5000
KEEP_LINES = 4000  # what is left after trimming: trimming is rare, not every write
_lock = threading.Lock()


@dataclass(frozen=True)
class HealthChange:
    """One line of the history."""

    time: datetime
    check: str
    status: str
    previous: str | None
    summary: str

    @property
    def is_transition(self) -> bool:
        return self.previous is not None and self.previous != self.status


def history_path(profile: Profile) -> Path:
    """The profile's history file: configured, or the user state directory's."""
    if profile.health_history:
        return Path(profile.health_history).expanduser()
    from platformdirs import user_state_dir

    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in f"{profile.name}-{profile.stack}")
    return Path(user_state_dir("ttes-console")) / f"health-{safe}.jsonl"


def _parse(line: str) -> HealthChange | None:
    try:
        raw = json.loads(line)
        when = datetime.fromisoformat(str(raw["time"]))
        previous = raw.get("previous")
        return HealthChange(
            time=when if when.tzinfo else when.replace(tzinfo=UTC),
            check=str(raw["check"]),
            status=str(raw["status"]),
            previous=None if previous is None else str(previous),
            summary=str(raw.get("summary", "")),
        )
    except (ValueError, KeyError, TypeError):
        return None


def read_history(path: Path) -> list[HealthChange]:
    """Every readable line, oldest first (torn or foreign lines are skipped)."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return []
    return [change for line in text.splitlines() if line.strip() and (change := _parse(line)) is not None]


def _latest(changes: Iterable[HealthChange]) -> dict[str, str]:
    latest: dict[str, str] = {}
    for change in changes:
        latest[change.check] = change.status
    return latest


def record_health(profile: Profile, results: Iterable[Any], *, now: datetime | None = None) -> list[HealthChange]:
    """Append a line for each check whose status differs from its last recorded one (blocking).

    ``results`` are health check results (anything with ``name``, ``status.value``, ``summary``).
    Returns what was written.
    """
    path = history_path(profile)
    when = (now or datetime.now(UTC)).isoformat(timespec="milliseconds")
    with _lock:
        known = _latest(read_history(path))
        written: list[HealthChange] = []
        lines: list[str] = []
        for result in results:
            status = str(result.status.value)
            previous = known.get(result.name)
            if previous == status:
                continue
            summary = str(result.summary)[:300]
            lines.append(
                json.dumps(
                    {"time": when, "check": result.name, "status": status, "previous": previous, "summary": summary},
                    sort_keys=True,
                )
            )
            written.append(HealthChange(datetime.fromisoformat(when), result.name, status, previous, summary))
        if lines:
            _append(path, lines)
    return written


async def keep_history(profile: Profile, results: Iterable[Any]) -> None:
    """Record a finished round of checks; a history that cannot be written is logged, never fatal."""
    import asyncio
    import logging

    try:
        await asyncio.to_thread(record_health, profile, list(results))
    except OSError as exc:
        logging.getLogger("ttes_console.health").warning("health history not written: %s", exc)


def _append(path: Path, lines: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        size = os.fstat(fd).st_size
        torn = False
        if size:
            os.lseek(fd, size - 1, os.SEEK_SET)
            torn = os.read(fd, 1) != b"\n"
        os.write(fd, (("\n" if torn else "") + "\n".join(lines) + "\n").encode())
    finally:
        os.close(fd)
    _trim(path)


def _trim(path: Path) -> None:
    """Keep the newest KEEP_LINES once the file passes MAX_LINES (atomic replace, still 0600)."""
    with path.open("rb") as fh:
        count = sum(1 for _ in fh)
    if count <= MAX_LINES:
        return
    kept = path.read_bytes().splitlines(keepends=True)[-KEEP_LINES:]
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".health-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.writelines(kept)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
