"""End-to-end: the journal service against Debian's OpenSSH sshd with a fake journalctl on PATH.

sshd runs on a loopback port with its own config, host key and authorized_keys; the remote PATH
holds a ``journalctl`` (``python -m sandbox.journalctl``), a ``sudo`` that just runs its command,
and a ``systemctl``. A TCP proxy in front of sshd cuts connections to prove resume-after-cursor.
"""

from __future__ import annotations

import asyncio
import contextlib
import getpass
import os
import random
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncssh
import pytest

from sandbox.ports import free_port
from services.core.config import Profile, SshSettings
from services.health.unit import unit_status
from services.journal.follow import follow_journal, read_journal
from tests.e2e.peers import running_peer

SSHD = shutil.which("sshd") or "/usr/sbin/sshd"
ROOT = Path(__file__).resolve().parents[2]
pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not os.path.exists(SSHD), reason="Debian's openssh-server (sshd) is not installed"),
]


@dataclass
class Sshd:
    port: int
    workdir: Path
    host_public: str
    client_key: Path
    t0: float

    def profile(self, port: int | None = None) -> Profile:
        port = port or self.port
        known = self.workdir / f"known_hosts_{port}"
        known.write_text(f"[127.0.0.1]:{port} {self.host_public}\n")
        return Profile(
            name="e2e",
            stack="ttes-demo",
            ssh=SshSettings(
                host="127.0.0.1",
                port=port,
                user=getpass.getuser(),
                identity_file=str(self.client_key),
                known_hosts=str(known),
            ),
        )


@pytest.fixture(scope="module")
def sshd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sshd]:
    work = tmp_path_factory.mktemp("sshd")
    os.chmod(work, 0o755)
    bin_dir = work / "bin"
    bin_dir.mkdir()
    t0 = time.time()
    scripts = {
        "journalctl": f"#!/bin/sh\nPYTHONPATH={ROOT} exec {sys.executable} -m sandbox.journalctl --t0 {t0} "
        f'--rate 200 -- "$@"\n',
        "sudo": '#!/bin/sh\nwhile [ "${1#-}" != "$1" ]; do shift; done\nexec "$@"\n',
        "systemctl": "#!/bin/sh\nprintf 'Id=lorawan-stack.service\\nLoadState=loaded\\nActiveState=active\\n"
        "SubState=running\\nNRestarts=2\\nActiveEnterTimestamp=Thu 2026-11-26 09:00:00 UTC\\n'\n",
    }
    for name, text in scripts.items():
        (bin_dir / name).write_text(text)
        os.chmod(bin_dir / name, 0o755)
    host_key = asyncssh.generate_private_key("ssh-ed25519")
    host_key.write_private_key(str(work / "host_key"))
    os.chmod(work / "host_key", 0o600)
    client_key = asyncssh.generate_private_key("ssh-ed25519")
    client_key.write_private_key(str(work / "client_key"))
    os.chmod(work / "client_key", 0o600)
    path = f"{bin_dir}:/usr/local/bin:/usr/bin:/bin"
    (work / "authorized_keys").write_text(f'environment="PATH={path}" {client_key.export_public_key().decode()}')
    port = free_port()
    (work / "sshd_config").write_text(
        f"Port {port}\nListenAddress 127.0.0.1\nHostKey {work / 'host_key'}\n"
        f"AuthorizedKeysFile {work / 'authorized_keys'}\nPidFile {work / 'sshd.pid'}\n"
        "PasswordAuthentication no\nKbdInteractiveAuthentication no\nUsePAM no\nPermitRootLogin prohibit-password\n"
        "PermitUserEnvironment yes\nStrictModes no\nLogLevel ERROR\n"
    )
    Path("/run/sshd").mkdir(exist_ok=True)
    cmd = [SSHD, "-D", "-e", "-f", str(work / "sshd_config")]
    with running_peer("sshd", cmd, lambda: tcp_open(port), work / "sshd.log"):
        yield Sshd(port, work, host_key.export_public_key().decode().strip(), work / "client_key", t0)


def tcp_open(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
        return True
    return False


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
