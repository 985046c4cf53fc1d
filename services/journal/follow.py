"""The unit's journal over SSH, as batches of entries; nothing lost or repeated across reconnects.

``follow_journal()`` runs ``sudo -n journalctl -u <unit> -o json --no-pager …`` on the instance
and yields :class:`JournalBatch` values (at most every 50 ms or 500 entries). When the stream
drops it reconnects with backoff and resumes with ``--after-cursor`` of the last entry it handed
out, so an entry is neither lost nor repeated. Closing the iterator ends the remote process.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import AsyncGenerator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from services.core.config import Profile
from services.core.errors import AuthFailed, ConsoleError, HostKeyUnknown, Unreachable
from services.core.ssh import SshConnection, connect, quote_command
from services.journal.parse import (
    ROW_CURSOR,
    ROW_SEQNUM,
    EntryRows,
    JournalEntry,
    JournalParser,
    StreamRow,
)
from services.journal.stream import RemoteStream

BATCH_SECONDS = 0.05
BATCH_ENTRIES = 500
BACKOFF_FIRST = 0.2
BACKOFF_MAX = 10.0
CLOSE_SECONDS = 5.0
READ_SIZE = 64 * 1024  # ≈ 55 entries parsed between two turns of the event loop
_SUDO_PASSWORD = ("password is required", "terminal is required", "no tty present", "askpass")


@dataclass(frozen=True)
class StreamState:
    """Where the stream stands, for the status line."""

    phase: str = "connecting"  # connecting | streaming | reconnecting | ended
    reconnects: int = 0
    resumed_after_cursor: bool = False
    verified_lost: int | None = None  # gap at the last resume, when seqnums are consecutive
    duplicates_dropped: int = 0
    unparsable: int = 0
    last_error: str = ""
    attempt: int = 0  # failed connection attempts since the stream was lost (0 while streaming)
    without_data: float = 0.0  # seconds since the stream was lost, as of this state

    def describe(self) -> str:
        """One short phrase, e.g. ``reconnected 3×, resumed after cursor, 0 lost``."""
        if self.phase == "reconnecting":
            waited = f"attempt {self.attempt}, no data for {self.without_data:.0f} s"
            return f"reconnecting ({self.last_error}; {waited})" if self.last_error else f"reconnecting ({waited})"
        if self.phase == "connecting":
            return "connecting"
        parts = ["ended" if self.phase == "ended" else "streaming"]
        if self.reconnects:
            parts = [f"reconnected {self.reconnects}×"]
            if self.resumed_after_cursor:
                parts.append("resumed after cursor")
            if self.verified_lost is not None:
                parts.append(f"{self.verified_lost} lost")
        if self.duplicates_dropped:
            parts.append(f"{self.duplicates_dropped} duplicates dropped")
        if self.unparsable:
            parts.append(f"{self.unparsable} unparsable")
        return ", ".join(parts)


@dataclass(frozen=True)
class JournalBatch:
    """Entries in journal order and the stream's state after them."""

    entries: Sequence[JournalEntry]  # an EntryRows: entries made when read, rows for a buffer
    state: StreamState


def journal_argv(
    unit: str,
    *,
    lines: int | None = None,
    follow: bool = False,
    since: datetime | None = None,
    after_cursor: str = "",
) -> list[str]:
    """The remote command; ``sudo -n`` so a password prompt fails at once instead of hanging."""
    argv = ["sudo", "-n", "journalctl", "-u", unit, "-o", "json", "--no-pager"]
    if after_cursor:
        argv.append(f"--after-cursor={after_cursor}")
    elif since is not None:
        argv.append(f"--since=@{int(since.timestamp())}")
    elif lines is not None:
        argv += ["-n", str(lines)]
    if follow:
        argv.append("-f")
    return argv


class _Drop(Exception):
    """The stream ended without journalctl exiting: reconnect."""


class _Ended(Exception):
    """journalctl finished (not following)."""


async def follow_journal(
    profile: Profile,
    host: str,
    *,
    lines: int | None = None,
    follow: bool = True,
    since: datetime | None = None,
    after_cursor: str = "",
    batch_seconds: float = BATCH_SECONDS,
    batch_entries: int = BATCH_ENTRIES,
    give_up_after: float | None = None,
) -> AsyncGenerator[JournalBatch, None]:
    """Stream the unit's journal; host key, auth and sudo errors end it, drops are resumed.

    A stream lost for longer than ``give_up_after`` seconds (None: never) ends with
    :class:`Unreachable`; every failed attempt before that is a batch in phase ``reconnecting``.
    """
    queue: asyncio.Queue[list[StreamRow] | StreamState | BaseException] = asyncio.Queue(maxsize=64)
    reader = _Reader(
        profile,
        host,
        queue,
        lines=lines,
        follow=follow,
        since=since,
        after_cursor=after_cursor,
        give_up_after=give_up_after,
    )
    task = asyncio.create_task(reader.run())
    state = StreamState()
    pending: list[StreamRow] = []
    try:
        deadline: float | None = None
        while True:
            timeout = None if deadline is None else max(0.0, deadline - time.monotonic())
            try:
                item = await asyncio.wait_for(queue.get(), timeout)
            except TimeoutError:
                item = None
            if isinstance(item, BaseException):
                if pending:
                    yield JournalBatch(EntryRows(tuple(pending)), state)
                if isinstance(item, _Ended):
                    yield JournalBatch(EntryRows(()), replace(state, phase="ended"))
                    return
                raise item
            if isinstance(item, StreamState):
                state = item
                yield JournalBatch(EntryRows(tuple(pending)), state)
                pending, deadline = [], None
                continue
            if item:
                pending.extend(item)
                if deadline is None:
                    deadline = time.monotonic() + batch_seconds
            while len(pending) >= batch_entries:
                yield JournalBatch(EntryRows(tuple(pending[:batch_entries])), state)
                del pending[:batch_entries]
            if pending and (item is None or (deadline is not None and time.monotonic() >= deadline)):
                yield JournalBatch(EntryRows(tuple(pending)), state)
                pending = []
            if not pending:
                deadline = None
    finally:
        task.cancel()
        with contextlib.suppress(BaseException):
            await asyncio.wait({task}, timeout=CLOSE_SECONDS)  # the reader's own closing is bounded too


class _Reader:
    """Owns the connection and the remote process; feeds parsed entries into the queue."""

    def __init__(
        self,
        profile: Profile,
        host: str,
        queue: asyncio.Queue[list[StreamRow] | StreamState | BaseException],
        *,
        lines: int | None,
        follow: bool,
        since: datetime | None,
        after_cursor: str,
        give_up_after: float | None = None,
    ) -> None:
        self.give_up_after = give_up_after
        self.lost_at: float | None = None  # monotonic time the stream was lost
        self.profile = profile
        self.host = host
        self.queue = queue
        self.lines = lines
        self.follow = follow
        self.since = since
        self.cursor = after_cursor
        self.last_seqnum: int | None = None
        self.state = StreamState()
        self.parser = JournalParser()
        self._check_gap = False

    async def run(self) -> None:
        backoff = BACKOFF_FIRST
        while True:
            try:
                async with await connect(self.profile, self.host) as conn:
                    backoff = BACKOFF_FIRST
                    await self._stream(conn)
                await self.queue.put(_Ended())
                return
            except (HostKeyUnknown, AuthFailed) as exc:
                await self.queue.put(exc)
                return
            except ConsoleError as exc:
                if self.state.reconnects == 0 and self.state.phase != "reconnecting":
                    await self.queue.put(exc)  # the first connection failing is the operator's problem
                    return
                reason = str(exc)
            except _Drop as exc:
                reason = str(exc) or "connection dropped"
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # asyncssh/OS errors mid-stream mean: reconnect
                reason = f"{type(exc).__name__}: {exc}".rstrip(": ")
            now = time.monotonic()
            if self.lost_at is None:
                self.lost_at = now
            down = now - self.lost_at
            if self.give_up_after is not None and down >= self.give_up_after:
                await self.queue.put(
                    Unreachable(
                        f"The journal stream from {self.host} has been lost for {down:.0f} s ({reason}); "
                        "gave up reconnecting. Check the host and its SSH service, then run the command again."
                    )
                )
                return
            await self._set(phase="reconnecting", last_error=reason, attempt=self.state.attempt + 1, without_data=down)
            delay = backoff * random.uniform(0.8, 1.2)
            if self.give_up_after is not None:  # the last attempt comes at the deadline, not after it
                delay = max(0.0, min(delay, self.lost_at + self.give_up_after - time.monotonic()))
            await asyncio.sleep(delay)
            backoff = min(backoff * 2, BACKOFF_MAX)

    async def _set(self, **changes: Any) -> None:
        self.state = replace(self.state, **changes)
        await self.queue.put(self.state)

    def _argv(self) -> list[str]:
        unit = self.profile.ssh.unit
        if self.cursor:
            return journal_argv(unit, follow=self.follow, after_cursor=self.cursor)
        return journal_argv(unit, lines=self.lines, follow=self.follow, since=self.since)

    async def _stream(self, conn: SshConnection) -> None:
        resuming = self.state.phase == "reconnecting"
        proc = await RemoteStream.open(conn.raw, quote_command(self._argv()))
        try:
            if resuming:
                self._check_gap = True
                await self._set(
                    phase="streaming",
                    reconnects=self.state.reconnects + 1,
                    resumed_after_cursor=bool(self.cursor),
                    verified_lost=None,
                    last_error="",
                    attempt=0,
                    without_data=0.0 if self.lost_at is None else time.monotonic() - self.lost_at,
                )
                self.lost_at = None
            else:
                await self._set(phase="streaming")
            await self._pump(proc)
        finally:
            await proc.terminate()
        status = proc.exit_status
        if status is None:
            raise _Drop("the connection dropped")
        if status != 0:
            stderr = proc.stderr.decode("utf-8", errors="replace").strip()
            raise _journalctl_error(conn.where, conn.user, status, stderr)
        if self.follow:
            raise _Drop("journalctl stopped")

    async def _pump(self, proc: RemoteStream) -> None:
        tail = b""
        while True:
            try:
                data = await proc.read(READ_SIZE)
            except Exception as exc:  # asyncssh raises its own family on a lost channel
                raise _Drop(f"the connection dropped ({type(exc).__name__})") from None
            if not data:
                return  # a partial last line is dropped: the cursor resumes before it
            lines = (tail + data).split(b"\n")
            tail = lines.pop()
            before = self.state
            entries = self._parse(lines)
            if entries:
                await self.queue.put(entries)
            if self.state is not before:
                await self.queue.put(self.state)
            await asyncio.sleep(0)  # a backlog parses in slices: the app's keys and repaints go between

    def _parse(self, lines: list[bytes]) -> list[StreamRow]:
        rows, unparsable = self.parser.parse_lines(lines)
        duplicates = 0
        if rows and self.last_seqnum is not None and rows[0][ROW_CURSOR] == self.cursor:
            del rows[0]  # a server that re-sends the resume cursor's own entry
            duplicates = 1
        if rows:
            if self._check_gap and self.last_seqnum is not None:
                gap = rows[0][ROW_SEQNUM] - self.last_seqnum - 1
                self.state = replace(self.state, verified_lost=gap if gap >= 0 else None)
                self._check_gap = False
            self.last_seqnum = rows[-1][ROW_SEQNUM]
            self.cursor = rows[-1][ROW_CURSOR]
        if unparsable or duplicates:
            self.state = replace(
                self.state,
                unparsable=self.state.unparsable + unparsable,
                duplicates_dropped=self.state.duplicates_dropped + duplicates,
            )
        return rows


def _journalctl_error(where: str, user: str, status: int, stderr: str) -> ConsoleError:
    if any(marker in stderr for marker in _SUDO_PASSWORD):
        return AuthFailed(
            f"sudo on {where} wants a password for {user}; the console needs passwordless sudo for journalctl "
            "(as ec2-user has on the AMI)."
        )
    first = stderr.splitlines()[0] if stderr else f"exit status {status}"
    return ConsoleError(f"journalctl on {where} failed: {first}.")


async def read_journal(profile: Profile, host: str, *, lines: int | None = None) -> list[JournalEntry]:
    """The last ``lines`` entries (all, when None), once."""
    entries: list[JournalEntry] = []
    async for batch in follow_journal(profile, host, lines=lines, follow=False):
        entries.extend(batch.entries)
    return entries
