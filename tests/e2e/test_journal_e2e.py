"""End-to-end: the journal service against Debian's OpenSSH sshd with a fake journalctl on PATH.

sshd runs on a loopback port with its own config, host key and authorized_keys; the remote PATH
holds a ``journalctl`` (``python -m sandbox.journalctl``), a ``sudo`` that just runs its command,
and a ``systemctl``. A TCP proxy in front of sshd cuts connections to prove resume-after-cursor.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import subprocess
from collections.abc import AsyncIterator, Iterator

import pytest

from services.health.unit import unit_status
from services.journal.follow import follow_journal, read_journal
from tests.e2e.sshd import Sshd, running_sshd

pytestmark = pytest.mark.e2e

SYSTEMCTL = (
    "#!/bin/sh\nprintf 'Id=lorawan-stack.service\\nLoadState=loaded\\nActiveState=active\\n"
    "SubState=running\\nNRestarts=2\\nActiveEnterTimestamp=Thu 2026-11-26 09:00:00 UTC\\n'\n"
)


@pytest.fixture(scope="module")
def sshd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sshd]:
    with running_sshd(tmp_path_factory.mktemp("sshd"), journal=True, scripts={"systemctl": SYSTEMCTL}) as server:
        yield server


@contextlib.asynccontextmanager
async def flaky_proxy(target_port: int) -> AsyncIterator[tuple[int, list[int]]]:
    """A TCP proxy that cuts each connection after 0.4–0.8 s; yields (port, [cuts])."""
    cuts = [0]
    rng = random.Random(7)

    async def pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(Exception):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", target_port)
        tasks = [asyncio.create_task(pump(reader, up_writer)), asyncio.create_task(pump(up_reader, writer))]
        await asyncio.wait(tasks, timeout=rng.uniform(0.4, 0.8))
        cuts[0] += 1
        for w in (writer, up_writer):
            w.transport.abort()
        for t in tasks:
            t.cancel()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1], cuts
    finally:
        server.close()


async def test_last_entries_through_real_sshd(sshd: Sshd) -> None:
    entries = await read_journal(sshd.profile(), "127.0.0.1", lines=40)
    seqnums = [e.seqnum for e in entries]
    assert len(seqnums) == 40 and seqnums == list(range(seqnums[0], seqnums[0] + 40))
    assert entries[-1].fields["_SYSTEMD_UNIT"] == "lorawan-stack.service"


async def test_resume_after_cursor_through_drops(sshd: Sshd) -> None:
    async with flaky_proxy(sshd.port) as (port, cuts):
        seqnums: list[int] = []
        stream = follow_journal(sshd.profile(port), "127.0.0.1", lines=5)
        async for batch in stream:
            seqnums.extend(e.seqnum for e in batch.entries)
            if batch.state.reconnects >= 3 and len(seqnums) >= 300:
                break
        await stream.aclose()
    assert cuts[0] >= 3
    assert seqnums == list(range(seqnums[0], seqnums[0] + len(seqnums)))


def _journalctl_running(sshd: Sshd) -> int:
    # This sshd's journalctl only (its t0 is on the command line): other runs may share the machine.
    pattern = f"sandbox.journalctl --t0 {sshd.t0}"
    out = subprocess.run(["pgrep", "-f", pattern], capture_output=True, text=True).stdout
    return len(out.split())


async def test_closing_the_stream_ends_the_remote_journalctl(sshd: Sshd) -> None:
    stream = follow_journal(sshd.profile(), "127.0.0.1", lines=5)
    async for batch in stream:
        if batch.entries:
            break
    assert _journalctl_running(sshd) >= 1
    await stream.aclose()
    for _ in range(300):
        if _journalctl_running(sshd) == 0:
            break
        await asyncio.sleep(0.01)
    assert _journalctl_running(sshd) == 0


async def test_unit_status_through_real_sshd(sshd: Sshd) -> None:
    status = await unit_status(sshd.profile(), "127.0.0.1")
    assert status.active and status.restarts == 2 and status.since is not None
