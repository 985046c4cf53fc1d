"""SIGTERM, SIGHUP and SIGINT end a headless command cleanly; a killed client does not end the sandbox.

Each test runs the command line in a child process, as an operator's shell would, against the
simulated deployment over real sockets.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT, RunningSandbox

ENDING = [signal.SIGTERM, signal.SIGHUP, signal.SIGINT]


def _start(args: list[str], tmp_path: Path, env: dict[str, str]) -> tuple[subprocess.Popen[bytes], Path, Path]:
    out, err = tmp_path / "out.txt", tmp_path / "err.txt"
    full_env = {**os.environ, **env}
    full_env.pop("TTES_CONSOLE_CONFIG", None)
    with out.open("wb") as o, err.open("wb") as e:
        proc = subprocess.Popen([sys.executable, "-m", "tui.cli", *args], stdout=o, stderr=e, env=full_env, cwd=ROOT)
    return proc, out, err


def _wait_for_output(path: Path, proc: subprocess.Popen[bytes], lines: int = 3, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and path.read_bytes().count(b"\n") >= lines:
            return
        assert proc.poll() is None, f"the command ended early with {proc.returncode}"
        time.sleep(0.1)
    raise AssertionError(f"no output within {timeout} s")


@pytest.mark.parametrize("sig", ENDING, ids=lambda s: signal.Signals(s).name)
def test_signal_ends_demo_logs_follow_and_removes_the_demo(tmp_path: Path, sig: signal.Signals) -> None:
    """``--demo logs -f``: exit 128+N, no traceback, the sandbox process and its /tmp directory gone."""
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    proc, out, err = _start(["--demo", "logs", "-f", "-n", "3"], tmp_path, {"TMPDIR": str(scratch)})
    try:
        _wait_for_output(out, proc)
        demo_dirs = list(scratch.glob("ttes-demo-*"))
        assert len(demo_dirs) == 1
        proc.send_signal(sig)
        code = proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert code == 128 + sig
    assert "Traceback" not in err.read_text()
    assert list(scratch.glob("ttes-demo-*")) == []
    # the sandbox child (its own session) went with it
    running = subprocess.run(["pgrep", "-f", f"sandbox --write-config {demo_dirs[0]}"], capture_output=True)
    assert running.stdout == b""


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP], ids=lambda s: signal.Signals(s).name)
def test_signal_ends_logs_follow_on_a_profile(sandbox: RunningSandbox, tmp_path: Path, sig: signal.Signals) -> None:
    proc, out, err = _start(["--config", str(sandbox.config_path), "logs", "-f", "-n", "2"], tmp_path, sandbox.environ)
    try:
        _wait_for_output(out, proc)
        proc.send_signal(sig)
        code = proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert code == 128 + sig
    assert err.read_text() == ""


def test_sigterm_ends_the_uplink_feed(sandbox: RunningSandbox, tmp_path: Path) -> None:
    proc, out, err = _start(["--config", str(sandbox.config_path), "uplinks"], tmp_path, sandbox.environ)
    try:
        _wait_for_output(out, proc)
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert code == 143
    assert "Traceback" not in err.read_text() and "subscribed to" in err.read_text()


def _ignores_sigpipe(pid: int) -> bool:
    """Whether the process ignores SIGPIPE (Python's own setting; a write to a closed socket is then EPIPE)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("SigIgn:"):
            return bool(int(line.split()[1], 16) & (1 << (signal.SIGPIPE - 1)))
    raise AssertionError("no SigIgn in /proc")


def test_streaming_commands_end_quietly_on_a_closed_pipe(sandbox: RunningSandbox) -> None:
    """``logs -f | head`` ends with the pipe, without a traceback (SIGPIPE at its default there)."""
    env = {**os.environ, **sandbox.environ}
    env.pop("TTES_CONSOLE_CONFIG", None)
    pipeline = subprocess.run(
        f"{sys.executable} -m tui.cli --config {sandbox.config_path} logs -f -n 5 | head -n 2",
        shell=True,
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
    )
    assert pipeline.stdout.count("\n") == 2
    assert "Traceback" not in pipeline.stderr


def test_sandbox_survives_a_killed_console(tmp_path: Path) -> None:
    """A console killed mid-stream must not take ``ttes-console sandbox`` down with SIGPIPE (exit 141)."""
    config = tmp_path / "sb.toml"
    (tmp_path / "server").mkdir()
    server, _, server_err = _start(
        ["sandbox", "--write-config", str(config), "--workdir", str(tmp_path / "sb")], tmp_path / "server", {}
    )
    try:
        deadline = time.monotonic() + 120
        while not Path(f"{config}.env").exists():
            assert server.poll() is None, server_err.read_text()
            assert time.monotonic() < deadline
            time.sleep(0.1)
        time.sleep(0.5)
        assert _ignores_sigpipe(server.pid), "the sandbox would die on its next write to a vanished client"
        from sandbox.process import read_env_file

        env = read_env_file(Path(f"{config}.env"))
        for n in range(3):
            run = tmp_path / f"client{n}"
            run.mkdir()
            client, out, _ = _start(["--config", str(config), "logs", "-f", "-n", "2"], run, env)
            try:
                _wait_for_output(out, client)
            finally:
                client.kill()
                client.wait()
            time.sleep(1.0)  # the server writes to the dead client's socket in this time
            assert server.poll() is None, f"the sandbox ended with {server.returncode}"
        again = subprocess.run(
            [sys.executable, "-m", "tui.cli", "--config", str(config), "logs", "-n", "3"],
            capture_output=True,
            text=True,
            env={**os.environ, **env},
            cwd=ROOT,
            timeout=120,
        )
        assert again.returncode == 0 and again.stdout.count("\n") == 3
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()


def test_a_console_stuck_in_its_shutdown_is_ended_anyway(tmp_path: Path) -> None:
    """Textual's shutdown can block writing to a terminal that vanished (SIGHUP): the watchdog ends it."""
    marker = tmp_path / "cleaned"
    code = (
        "import threading\n"
        "import tui.cli.interactive as interactive\n"
        "interactive.FORCE_EXIT_SECONDS = 0.2\n"
        f"interactive._watchdog(129, lambda: open({str(marker)!r}, 'w').write('sandbox stopped'))\n"
        "threading.Event().wait(60)  # the main thread, blocked as Textual's was\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, timeout=30, capture_output=True, text=True)
    assert proc.returncode == 129, proc.stderr
    assert marker.read_text() == "sandbox stopped"


def test_a_closed_pipe_ends_the_demo_with_its_sandbox_and_directory(tmp_path: Path) -> None:
    """``--demo logs -f | head``: quiet, and the demo's sandbox directory goes with it."""
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    pipeline = subprocess.run(
        f"{sys.executable} -m tui.cli --demo logs -f -n 5 | head -n 2",
        shell=True,
        cwd=ROOT,
        env={**os.environ, "TMPDIR": str(scratch)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert pipeline.stdout.count("\n") == 2
    assert "Traceback" not in pipeline.stderr
    assert list(scratch.glob("ttes-demo-*")) == []
