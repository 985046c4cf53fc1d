"""A TCP relay that can drop every connection at once: how the sandbox makes a broker crash.

amqtt's graceful shutdown waits up to 10 s per websocket client for a close handshake, which is
not what a crashing AWS endpoint does. With the relay in front, a "restart" aborts every client
connection immediately, refuses new ones while "down", and points at a fresh broker.
"""

from __future__ import annotations

import asyncio
import contextlib


class Relay:
    """Listens on ``port`` and forwards each connection to ``127.0.0.1:<target()>``."""

    def __init__(self, port: int, target: int) -> None:
        self.port = port
        self.target = target
        self.accepting = True
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", self.port, reuse_address=True)

    def drop_all(self) -> None:
        """Abort every relayed connection, like a crashed peer (no FIN handshake, no close frames)."""
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if not self.accepting:
            writer.transport.abort()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target)
        except OSError:
            writer.transport.abort()
            return
        self._writers.update((writer, up_writer))
        try:
            await asyncio.gather(self._pump(reader, up_writer), self._pump(up_reader, writer))
        finally:
            for w in (writer, up_writer):
                self._writers.discard(w)
                w.transport.abort()

    @staticmethod
    async def _pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError, asyncio.IncompleteReadError):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        writer.transport.abort()

    async def stop(self) -> None:
        self.drop_all()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
