"""`logs -f` says when the SSH stream is lost, how long nothing arrived, when it is back, and gives up.

The command runs in a child process against the sandbox's SSH server, reached through a TCP
proxy in this test that can cut every connection and refuse new ones (a host that went away).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import sys
from collections.abc import AsyncIterator
from pathlib import Path

from services.core.config import load_profile
from tests.conftest import ROOT, RunningSandbox


class Proxy:
    """A TCP proxy to ``target``; :meth:`down` cuts every connection and refuses new ones."""

    def __init__(self, target: int) -> None:
        self.target = target
        self.server: asyncio.Server | None = None
        self.port = 0
        self.writers: list[asyncio.StreamWriter] = []

    async def up(self) -> None:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)
        self.port = self.server.sockets[0].getsockname()[1]

    async def down(self) -> None:
        assert self.server is not None
        self.server.close()
        for writer in self.writers:
            writer.transport.abort()
        self.writers.clear()
        await self.server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target)
        self.writers += [writer, up_writer]

        async def pump(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(Exception):
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            dst.transport.abort()

        await asyncio.gather(pump(reader, up_writer), pump(up_reader, writer))


@contextlib.asynccontextmanager
async def proxied_config(sandbox: RunningSandbox, tmp_path: Path) -> AsyncIterator[tuple[Path, Proxy]]:
    profile = load_profile(sandbox.config_path, environ={})
    proxy = Proxy(profile.ssh.port)
    await proxy.up()
    text = sandbox.config_path.read_text()
    section = text.index(".ssh]")
    head, tail = text[:section], text[section:]
    tail = re.sub(r"(?m)^port = \d+$", f"port = {proxy.port}", tail, count=1)
    known = Path(profile.ssh.known_hosts).read_text().replace(f":{profile.ssh.port} ", f":{proxy.port} ")
    (tmp_path / "known_hosts").write_text(known)
    tail = tail.replace(profile.ssh.known_hosts, str(tmp_path / "known_hosts"), 1)
    config = tmp_path / "config.toml"
    config.write_text(head + tail)
    try:
        yield config, proxy
    finally:
        with contextlib.suppress(Exception):
            await proxy.down()


async def _logs(config: Path, env: dict[str, str], *args: str) -> asyncio.subprocess.Process:
    full_env = {**os.environ, **env}
    full_env.pop("TTES_CONSOLE_CONFIG", None)
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tui.cli",
        "--config",
        str(config),
        "logs",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=full_env,
        cwd=ROOT,
    )


async def test_json_events_then_gives_up_with_exit_1(sandbox: RunningSandbox, tmp_path: Path) -> None:
    async with proxied_config(sandbox, tmp_path) as (config, proxy):
        proc = await _logs(config, sandbox.environ, "-f", "-n", "2", "--json", "--give-up", "5")
        assert proc.stdout is not None and proc.stderr is not None
        first = json.loads(await asyncio.wait_for(proc.stdout.readline(), 120))
        assert "event" not in first and first["message"]
        await proxy.down()
        events = []
        async for line in proc.stdout:
            record = json.loads(line)
            if "event" in record:
                events.append(record)
        code = await asyncio.wait_for(proc.wait(), 60)
        stderr = (await proc.stderr.read()).decode()
    assert code == 1
    kinds = [e["event"] for e in events]
    assert kinds[0] == "reconnecting" and kinds[-1] == "gave_up", kinds
    attempts = [e for e in events if e["event"] == "reconnecting"]
    numbers = [e["attempt"] for e in attempts]
    assert numbers == list(range(numbers[0], numbers[0] + len(numbers))) and numbers[0] <= 2
    assert len(attempts) >= 2 and attempts[-1]["seconds_without_data"] > attempts[0]["seconds_without_data"]
    assert "gave up reconnecting" in stderr and "Traceback" not in stderr
    assert stderr.count("\n") == 1  # the one sentence


async def test_text_reports_loss_and_return_on_stderr(sandbox: RunningSandbox, tmp_path: Path) -> None:
    async with proxied_config(sandbox, tmp_path) as (config, proxy):
        proc = await _logs(config, sandbox.environ, "-f", "-n", "2", "--give-up", "0")
        assert proc.stdout is not None and proc.stderr is not None
        await asyncio.wait_for(proc.stdout.readline(), 120)
        drain = asyncio.create_task(proc.stdout.read())  # a reader that keeps up, as a terminal does
        await proxy.down()
        lost = (await asyncio.wait_for(proc.stderr.readline(), 60)).decode()
        assert "lost" in lost and "reconnect attempt" in lost and "no data for" in lost
        await asyncio.sleep(1.0)
        await proxy.up()
        while True:
            line = (await asyncio.wait_for(proc.stderr.readline(), 60)).decode()
            assert line, "stderr ended before the stream came back"
            if "back after" in line:
                break
            assert "reconnect attempt" in line
        assert "resumed after the last entry printed" in line
        proc.terminate()
        assert await asyncio.wait_for(proc.wait(), 60) == 143
        await drain
