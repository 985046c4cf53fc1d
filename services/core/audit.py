"""The audit log: one JSON line per action that changes the world (or was refused).

Fields: time (UTC, ISO 8601), OS user, AWS principal ARN, profile, action, target, request id,
outcome (``ok``, ``denied``, ``refused``, ``failed``, ``override``) and an optional detail sentence.
Secrets never go here: callers pass names and ARNs, not parameter values.
"""

from __future__ import annotations

import asyncio
import getpass
import json
import os
import threading
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from services.core.config import Profile, default_audit_path

_lock = threading.Lock()


@dataclass(frozen=True)
class AuditRecord:
    """One line of the audit log."""

    time: str
    os_user: str
    principal: str
    profile: str
    action: str
    target: str
    request_id: str
    outcome: str
    detail: str = ""


def audit_path(profile: Profile) -> Path:
    """Where this profile's audit log lives."""
    return Path(profile.audit_log).expanduser() if profile.audit_log else default_audit_path()


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return str(os.getuid())


def record_sync(
    profile: Profile,
    *,
    action: str,
    target: str,
    outcome: str,
    principal: str = "",
    request_id: str = "",
    detail: str = "",
) -> AuditRecord:
    """Append one record (blocking; a line is written whole with O_APPEND)."""
    entry = AuditRecord(
        time=datetime.now(UTC).isoformat(timespec="milliseconds"),
        os_user=_os_user(),
        principal=principal,
        profile=profile.name,
        action=action,
        target=target,
        request_id=request_id,
        outcome=outcome,
        detail=detail,
    )
    path = audit_path(profile)
    line = json.dumps(asdict(entry), sort_keys=True) + "\n"
    with _lock:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, line.encode())
        finally:
            os.close(fd)
    return entry


async def record(
    profile: Profile,
    *,
    action: str,
    target: str,
    outcome: str,
    principal: str = "",
    request_id: str = "",
    detail: str = "",
) -> AuditRecord:
    """Append one record without blocking the event loop."""
    return await asyncio.to_thread(
        record_sync,
        profile,
        action=action,
        target=target,
        outcome=outcome,
        principal=principal,
        request_id=request_id,
        detail=detail,
    )


def read_records(profile: Profile) -> list[AuditRecord]:
    """Every record of the profile's audit log, oldest first (for tests and the UI)."""
    path = audit_path(profile)
    if not path.exists():
        return []
    return [AuditRecord(**json.loads(line)) for line in path.read_text().splitlines() if line.strip()]


async def refuse_if_read_only(profile: Profile, *, read_only: bool, action: str, target: str) -> None:
    """Under ``--read-only`` record the refused attempt and raise :class:`ReadOnlyRefused`."""
    if not read_only:
        return
    from services.core.errors import ReadOnlyRefused

    await record(profile, action=action, target=target, outcome="refused", detail="--read-only")
    raise ReadOnlyRefused(f"Refused to {action.replace('_', ' ')} {target}: the console runs with --read-only.")
