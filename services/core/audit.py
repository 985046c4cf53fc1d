"""The one audited path: every action that changes the world goes through :func:`audited`.

The log is JSONL, one :class:`AuditRecord` per attempt: time (UTC, ISO 8601), OS user, AWS
principal ARN, profile, action, target, request id, outcome and a detail sentence. Outcomes:

- ``ok``       the action was made (and, for an update, it completed);
- ``failed``   it was attempted and did not succeed (an AWS error, an unexpected exception,
               an update that rolled back: the detail says which);
- ``refused``  the console itself refused it (``--read-only``, a wrong confirmation, the
               snapshot guard, a stack busy with another operation);
- ``denied``   AWS refused it (AccessDenied and its relatives).

The audit fails closed: the log is opened, and proven writable, *before* the mutating call; the
descriptor stays open until the outcome is written, so a record cannot be lost to a permission
change in between. When the log cannot be opened, :class:`AuditUnavailable` is raised and the
action is not made. Secrets never go here: callers pass names and ARNs, not parameter values.

Usage (``host restart`` is written the same way)::

    async with audited(clients, "restart_service", f"{host}/{unit}", read_only=read_only) as rec:
        response = await do_the_thing()          # any exception is recorded as what it was
        rec.request_id = "…"                      # optional
        rec.detail = "…"                          # optional, one sentence, no secrets

Inside the block, ``raise rec.refuse("sentence", "detail")`` refuses (outcome ``refused``);
``await rec.note("other_action", "detail")`` writes one extra ``ok`` record through the same
open log (the snapshot-guard override); ``rec.hold()`` keeps the record open past the block
for an outcome known only later (an update followed to its end), closed with
``await rec.close(outcome, detail)``.
"""

from __future__ import annotations

import asyncio
import getpass
import json
import os
import threading
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from services.core.config import Profile, default_audit_path
from services.core.errors import (
    AccessDenied,
    ActionRefused,
    AuditUnavailable,
    ConsoleError,
    ExecutionRefused,
    ReadOnlyRefused,
    StackNotReady,
)

if TYPE_CHECKING:
    from services.core.aws import AwsClients

OUTCOMES = ("ok", "failed", "refused", "denied")

_lock = threading.Lock()
_principals: weakref.WeakKeyDictionary[AwsClients, str] = weakref.WeakKeyDictionary()


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


class AuditLog:
    """An audit log opened for appending (mode 0600); writes are whole lines under O_APPEND."""

    def __init__(self, profile: Profile) -> None:
        self.profile = profile
        self.path = audit_path(profile)
        self._fd: int | None = None

    def open(self, *, action: str, target: str) -> AuditLog:
        """Open the log or raise :class:`AuditUnavailable` naming the action that will not be made."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            raise AuditUnavailable(
                f"Refused to {action.replace('_', ' ')} {target}: the audit log {self.path} cannot be written "
                f"({reason}); nothing was changed. Fix its permissions or set audit_log in the profile."
            ) from None
        # Closed after the outcome is written, or at the latest when an abandoned record is collected.
        self._closer = weakref.finalize(self, os.close, self._fd)
        return self

    def close(self) -> None:
        """Release the descriptor (once)."""
        closer = getattr(self, "_closer", None)
        if closer is not None:
            closer()

    def write(self, entry: AuditRecord) -> None:
        """Append one record; :class:`AuditUnavailable` when the write fails."""
        if self._fd is None or not self._closer.alive:
            raise AuditUnavailable(f"The audit log {self.path} is not open.")
        line = (json.dumps(asdict(entry), sort_keys=True) + "\n").encode()
        try:
            with _lock:
                os.write(self._fd, line)
        except OSError as exc:
            raise AuditUnavailable(
                f"{entry.action.replace('_', ' ')} {entry.target} ended {entry.outcome}, but the audit log "
                f"{self.path} could not record it ({exc.strerror or type(exc).__name__}); record it by hand."
            ) from None


def make_record(
    profile: Profile, *, action: str, target: str, outcome: str, principal: str = "", request_id: str = "",
    detail: str = "",
) -> AuditRecord:
    """One record, stamped now."""
    if outcome not in OUTCOMES:
        raise ValueError(f"unknown audit outcome {outcome!r}")
    return AuditRecord(
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


def read_records(profile: Profile) -> list[AuditRecord]:
    """Every record of the profile's audit log, oldest first (for tests and the UI)."""
    path = audit_path(profile)
    if not path.exists():
        return []
    return [AuditRecord(**json.loads(line)) for line in path.read_text().splitlines() if line.strip()]


async def principal_of(clients: AwsClients) -> str:
    """The caller's ARN (sts:GetCallerIdentity), looked up once per clients; blank when unreadable."""
    cached = _principals.get(clients)
    if cached is not None:
        return cached
    from services.core.aws import caller_arn

    try:
        arn = await caller_arn(clients)
    except ConsoleError:
        return ""  # not cached: a later action may be able to read it
    _principals[clients] = arn
    return arn


def _request_id_of(exc: BaseException) -> str:
    rid = str(getattr(exc, "request_id", "") or "")
    if rid:
        return rid
    response = getattr(exc.__cause__, "response", None)
    if isinstance(response, dict):
        headers = response.get("ResponseMetadata", {}).get("HTTPHeaders", {})
        return str(headers.get("x-amzn-requestid") or headers.get("x-amz-request-id") or "")
    return ""


def outcome_of(exc: BaseException) -> tuple[str, str]:
    """(outcome, detail) for an action that ended with ``exc``."""
    if isinstance(exc, AccessDenied):
        return "denied", str(exc)
    if isinstance(exc, (ReadOnlyRefused, ActionRefused, ExecutionRefused, StackNotReady)):
        return "refused", str(exc)
    if isinstance(exc, ConsoleError):
        return "failed", str(exc)
    if isinstance(exc, (asyncio.CancelledError, KeyboardInterrupt)):
        return "failed", "interrupted before the outcome was known; check the resource"
    if isinstance(exc, SystemExit):
        return "failed", "the console exited before the outcome was known; check the resource"
    return "failed", f"unexpected error ({type(exc).__name__})"


class AuditedAction:
    """The record of one action in progress (see the module docstring)."""

    def __init__(self, log: AuditLog, *, action: str, target: str, principal: str) -> None:
        self.log = log
        self.action = action
        self.target = target
        self.principal = principal
        self.request_id = ""
        self.detail = ""
        self.outcome = "ok"
        self.held = False
        self.closed = False
        self.refusing = False

    def refuse(self, sentence: str, detail: str = "", kind: type[ConsoleError] = ActionRefused) -> ConsoleError:
        """An exception (of ``kind``) to raise when the console refuses the action (recorded ``refused``)."""
        self.detail = detail or sentence
        self.refusing = True
        return kind(sentence)

    def hold(self) -> None:
        """Keep the record open after the ``async with`` block; :meth:`close` writes it."""
        self.held = True

    async def note(self, action: str, detail: str) -> AuditRecord:
        """Write one extra ``ok`` record for a decision taken inside this action."""
        entry = make_record(self.log.profile, action=action, target=self.target, outcome="ok",
                            principal=self.principal, detail=detail)
        await asyncio.to_thread(self.log.write, entry)
        return entry

    async def close(self, outcome: str | None = None, detail: str | None = None) -> AuditRecord | None:
        """Write the record once (later calls do nothing)."""
        if self.closed:
            return None
        self.closed = True
        if outcome is not None:
            self.outcome = outcome
        if detail is not None:
            self.detail = detail
        entry = make_record(self.log.profile, action=self.action, target=self.target, outcome=self.outcome,
                            principal=self.principal, request_id=self.request_id, detail=self.detail)
        # Written synchronously: a cancelled task must still leave its record.
        try:
            self.log.write(entry)
        finally:
            self.log.close()
        return entry


async def open_audit(profile: Profile, action: str, target: str) -> AuditLog:
    """Open (and create) the profile's audit log before an action, or raise :class:`AuditUnavailable`."""
    log = AuditLog(profile)
    return await asyncio.to_thread(log.open, action=action, target=target)


@asynccontextmanager
async def audited(
    clients: AwsClients | None,
    action: str,
    target: str,
    *,
    read_only: bool,
    profile: Profile | None = None,
) -> AsyncIterator[AuditedAction]:
    """The one audited path for a mutating action (see the module docstring).

    ``clients`` gives the profile and the AWS principal (looked up once); pass ``clients=None``
    and ``profile=`` for an action that does not go through AWS. Order: open the log (or raise
    :class:`AuditUnavailable`, nothing recorded, nothing made), refuse under ``read_only``
    (recorded ``refused``, :class:`ReadOnlyRefused` raised), then run the block; whatever the
    block raises is recorded as what it was and re-raised.
    """
    prof = profile if profile is not None else clients.profile if clients is not None else None
    if prof is None:
        raise TypeError("audited() needs clients or profile")
    log = await open_audit(prof, action, target)
    principal = await principal_of(clients) if clients is not None else ""
    rec = AuditedAction(log, action=action, target=target, principal=principal)
    if read_only:
        await rec.close("refused", "--read-only")
        raise ReadOnlyRefused(f"Refused to {action.replace('_', ' ')} {target}: the console runs with --read-only.")
    try:
        yield rec
    except BaseException as exc:
        outcome, detail = ("refused", rec.detail) if rec.refusing else outcome_of(exc)
        rec.request_id = rec.request_id or _request_id_of(exc)
        await rec.close(outcome, detail)
        raise
    if not rec.held:
        await rec.close()
