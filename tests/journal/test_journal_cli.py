"""`ttes-console logs` as a process against the sandbox SSH server."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import asyncssh
import pytest

from sandbox.core import SandboxContext
from sandbox.ssh import SshPart, profile_for
from services.core.config import render_profile_toml

ROOT = Path(__file__).resolve().parents[2]
CLI_SECONDS = 120.0  # a command that hangs fails its test instead of holding up the run


@pytest.fixture
async def start_part(tmp_path: Path) -> AsyncIterator[object]:
    parts: list[SshPart] = []

    async def start(*scenarios: str, **kwargs: object) -> tuple[SshPart, Path]:
        workdir = tmp_path / f"part{len(parts)}"
        workdir.mkdir()
        part = SshPart(**kwargs)  # type: ignore[arg-type]
        await part.start(SandboxContext(workdir=workdir, scenarios=frozenset(scenarios)))
        parts.append(part)
        config = workdir / "config.toml"
        config.write_text(render_profile_toml(profile_for(part)))
        return part, config

    yield start
    for part in parts:
        await part.stop()


async def _cli(config: Path, *args: str, stdout: int = asyncio.subprocess.PIPE) -> tuple[int, bytes, bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tui.cli",
        "--config",
        str(config),
        *args,
        stdout=stdout,
        stderr=asyncio.subprocess.PIPE,
        cwd=ROOT,
        env=env,
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(), CLI_SECONDS)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise AssertionError(f"ttes-console {' '.join(args)} did not finish within {CLI_SECONDS:.0f} s") from None
    return proc.returncode or 0, out or b"", err


async def test_follow_count_json_has_consecutive_seqnums_across_reconnects(start_part) -> None:
    part, config = await start_part("ssh-flaky", rate=1000.0, drop_after=(0.2, 0.4))
    code, out, err = await _cli(config, "logs", "-f", "--count", "3000", "--json")
    assert (code, err) == (0, b"")
    objects = [json.loads(line) for line in out.splitlines()]
    assert set(objects[0]) == {"cursor", "seqnum", "timestamp", "level", "namespace", "message", "fields"}
    seqnums = [o["seqnum"] for o in objects]
    assert len(seqnums) == 3000
    assert seqnums == list(range(seqnums[0], seqnums[0] + 3000))
    assert part.connections >= 6  # at least five reconnects happened meanwhile


async def test_log_garbage_reaches_stdout_escaped_never_raw(start_part) -> None:
    _, config = await start_part("log-garbage", backlog=1300, rate=0.001)
    for mode in ((), ("--json",)):
        code, out, err = await _cli(config, "logs", "-n", "1300", *mode)
        assert (code, err) == (0, b"")
        assert b"\x1b" not in out and b"\x07" not in out and b"\r" not in out and b"\xc2\x9b" not in out
        lines = out.splitlines()
        assert len(lines) == 1300
        assert any(b"red alert" in line for line in lines)
        assert max(len(line) for line in lines) > 1_000_000
        assert any(b"[bold red]not markup[/]" in line for line in lines)


async def test_plain_output_escapes_control_sequences(start_part) -> None:
    _, config = await start_part("log-garbage", backlog=600, rate=0.001)
    code, out, _ = await _cli(config, "logs", "--level", "ERROR", "--grep", "red alert")
    assert code == 0
    assert out.count(b"\n") == 1 and b"ERROR web: \\x1b[31mred alert\\x1b[0m" in out


async def test_changed_host_key_is_one_sentence_and_nonzero(start_part) -> None:
    part, config = await start_part()
    other = asyncssh.generate_private_key("ssh-ed25519").export_public_key().decode().strip()
    part.known_hosts_path.write_text(f"[127.0.0.1]:{part.port} {other}\n")
    before = part.known_hosts_path.read_bytes()
    code, out, err = await _cli(config, "logs", "-n", "5")
    assert code == 1 and out == b""
    assert err.count(b"\n") == 1 and part.host_key.get_fingerprint("sha256").encode() in err
    assert part.known_hosts_path.read_bytes() == before


async def test_closed_pipe_ends_quietly(start_part) -> None:
    _, config = await start_part(rate=200.0)
    read_fd, write_fd = os.pipe()
    os.close(read_fd)
    code, _, err = await _cli(config, "logs", "-f", stdout=write_fd)
    os.close(write_fd)
    assert err == b"" and code != 0
