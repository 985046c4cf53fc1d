"""A remote command's output over SSH, with memory bounded when we read slower than it writes.

asyncssh's own process streams pause the channel once 2 MB wait unread, but on resuming they
re-open the full SSH window while the channel still holds what arrived during the pause, so a
reader that stays slower than the sender (parsing a journal flood) lets the client's buffer
grow by up to a window per pause, without bound over a long flood. Here reading is resumed
only once everything received has been taken, and the pause threshold is above what a resume can
deliver at once, so the buffer stays under two windows plus a packet; the rest waits on the
server, which is where a backlog belongs (journalctl just blocks on its pipe).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from typing import Any

WINDOW = 2 * 1024 * 1024  # asyncssh's default channel window
# Largest channel packet we take (asyncssh's default is 32 KiB). In a flood each packet costs a
# fixed amount of Python in asyncssh besides its bytes, so bigger packets let follow_journal() read
# more entries a second (bench/journal.py). Any SSH server may send them (OpenSSH takes 256 KiB).
MAX_PACKET = 128 * 1024
PAUSE_AT = 2 * WINDOW
MAX_STDERR = 64 * 1024


class RemoteStream:
    """An asyncssh client session for one command: stdout as bytes, stderr kept (bounded)."""

    def __init__(self) -> None:
        self._chan: Any = None
        self._chunks: deque[bytes] = deque()
        self._size = 0
        self._paused = False
        self._done = False
        self._error: Exception | None = None
        self._wakeup = asyncio.Event()
        self.stderr = bytearray()

    @classmethod
    async def open(cls, conn: Any, command: str) -> RemoteStream:
        """Run ``command`` on an asyncssh connection (no pty) and return its stream."""
        chan, stream = await conn.create_session(cls, command, encoding=None, window=WINDOW, max_pktsize=MAX_PACKET)
        assert isinstance(stream, RemoteStream)
        stream._chan = chan
        return stream

    async def read(self, limit: int) -> bytes:
        """Up to about ``limit`` bytes of stdout; ``b''`` at the end; raises if the channel failed."""
        while not self._chunks:
            if self._done:
                if self._error is not None:
                    raise self._error
                return b""
            self._wakeup.clear()
            await self._wakeup.wait()
        taken: list[bytes] = []
        size = 0
        while self._chunks and size < limit:
            chunk = self._chunks.popleft()
            taken.append(chunk)
            size += len(chunk)
        self._size -= size
        if self._paused and not self._chunks:
            self._paused = False
            self._chan.resume_reading()
        return taken[0] if len(taken) == 1 else b"".join(taken)

    @property
    def exit_status(self) -> int | None:
        return None if self._chan is None else self._chan.get_exit_status()

    async def terminate(self) -> None:
        """End the remote command now: without a pty it would outlive us until its next write."""
        chan = self._chan
        if chan is None:
            return
        with contextlib.suppress(Exception):
            if chan.get_exit_status() is None:
                chan.send_signal("TERM")
        with contextlib.suppress(Exception):
            chan.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(chan.wait_closed(), 2.0)

    # --- asyncssh's session callbacks -----------------------------------------------------

    def connection_made(self, chan: Any) -> None:
        self._chan = chan

    def session_started(self) -> None:
        pass

    def data_received(self, data: bytes, datatype: int | None) -> None:
        if datatype is not None:
            if len(self.stderr) < MAX_STDERR:
                self.stderr += data[: MAX_STDERR - len(self.stderr)]
            return
        self._chunks.append(data)
        self._size += len(data)
        if self._size >= PAUSE_AT and not self._paused:
            self._paused = True
            self._chan.pause_reading()
        self._wakeup.set()

    def eof_received(self) -> bool:
        self._done = True
        self._wakeup.set()
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self._done = True
        self._error = exc
        self._wakeup.set()

    def pause_writing(self) -> None:
        pass

    def resume_writing(self) -> None:
        pass

    def xon_xoff_requested(self, client_can_do: bool) -> None:
        pass

    def exit_status_received(self, status: int) -> None:
        pass

    def exit_signal_received(self, signal: str, core_dumped: bool, msg: str, lang: str) -> None:
        pass
