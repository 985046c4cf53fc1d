"""End-to-end: a signal to `logs -f` or to the console leaves no `journalctl` behind on Debian's sshd.

sshd runs on a loopback port with its own config and host key; the console logs in as a non-root
user (as ec2-user is on the instance), whose PATH holds a ``journalctl`` (``python3 -m
sandbox.journalctl`` under Debian's python3), and a ``sudo`` that just runs its command. Without
a pty, a remote command outlives a vanished client until its next write: the console must end it.
"""

from __future__ import annotations

import os
import pwd
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT, RunningSandbox
from tests.core.test_signals_tui import Terminal
from tests.e2e.sshd import Sshd, running_sshd

PYTHON3 = "/usr/bin/python3"
ENDING = [signal.SIGTERM, signal.SIGHUP, signal.SIGINT]


def _login_user() -> str | None:
    """A non-root account with a shell (Debian images have one at uid 1000 or above)."""
    for entry in pwd.getpwall():
        if entry.pw_uid >= 1000 and entry.pw_uid != 65534 and not entry.pw_shell.endswith(("nologin", "false")):
            return entry.pw_name
    return None


USER = _login_user()
pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not os.path.exists(PYTHON3), reason="Debian's python3 is not installed"),
    pytest.mark.skipif(USER is None or os.geteuid() != 0, reason="needs root to start sshd and a non-root account"),
]


def ssh_section(server: Sshd) -> str:
    """The profile's ``[ssh]`` lines for logging in to ``server`` as :data:`USER`."""
    return (
        f'user = "{USER}"\nhost = "127.0.0.1"\nport = {server.port}\n'
        f'identity_file = "{server.client_key}"\nknown_hosts = "{server.known_hosts()}"\n'
        'unit = "lorawan-stack.service"\n'
    )


@pytest.fixture(scope="module")
def user_sshd() -> Iterator[Sshd]:
    work = Path(tempfile.mkdtemp(prefix="ttes-e2e-sshd-"))  # not under pytest's root-only temporary tree
    try:
        # PAM: Debian's system accounts are locked (no password), which sshd without PAM refuses even for keys.
        with running_sshd(work, journal=True, python=PYTHON3, use_pam=True) as server:
            yield server
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _remote_journalctl() -> list[int]:
    assert USER is not None
    out = subprocess.run(["pgrep", "-u", USER, "-f", "sandbox.journalctl"], capture_output=True, text=True).stdout
    return [int(pid) for pid in out.split()]


def _wait_until(predicate: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        time.sleep(0.1)
    raise AssertionError(f"{what} within {timeout} s")


@pytest.mark.parametrize("sig", ENDING, ids=lambda s: signal.Signals(s).name)
def test_signal_to_logs_follow_ends_the_remote_journalctl(user_sshd: Sshd, tmp_path: Path, sig: signal.Signals) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        'default_profile = "e2e"\n\n[profiles.e2e]\nstack = "ttes-demo"\nregion = "eu-west-1"\n\n'
        f"[profiles.e2e.ssh]\n{ssh_section(user_sshd)}"
    )
    out = tmp_path / "out.txt"
    env = {k: v for k, v in os.environ.items() if k != "TTES_CONSOLE_CONFIG"}
    with out.open("wb") as fh:
        proc = subprocess.Popen(
            [sys.executable, "-m", "tui.cli", "--config", str(config), "logs", "-f", "-n", "2"],
            stdout=fh,
            stderr=subprocess.PIPE,
            env=env,
            cwd=ROOT,
        )
    try:
        _wait_until(lambda: out.read_bytes().count(b"\n") >= 5, 60, "no journal entries arrived")
        assert _remote_journalctl()  # the test sees the remote process: it can fail
        proc.send_signal(sig)
        assert proc.wait(timeout=60) == 128 + sig
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.stderr is not None and b"Traceback" not in proc.stderr.read()
    _wait_until(lambda: not _remote_journalctl(), 10, "the remote journalctl is still running")


@pytest.mark.skipif(shutil.which("tmux") is None, reason="Debian's tmux is not installed")
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP], ids=lambda s: signal.Signals(s).name)
def test_signal_to_the_console_ends_the_remote_journalctl(
    user_sshd: Sshd, sandbox: RunningSandbox, tmp_path: Path, sig: signal.Signals
) -> None:
    """The TUI on the sandbox's AWS, its journal from Debian's sshd; killed in tmux: nothing left anywhere."""
    text = sandbox.config_path.read_text()
    text = re.sub(
        r"(?ms)^(\[profiles\.[^\]]+\.ssh\]\n).*?(?=^\[)", lambda m: m.group(1) + ssh_section(user_sshd) + "\n", text
    )
    config = tmp_path / "config.toml"
    config.write_text(text)
    exit_file, stty_file = tmp_path / "exit.txt", tmp_path / "stty.txt"
    env = {"PYTHONPATH": str(ROOT), "TERM": "xterm-256color", "HOME": os.environ["HOME"], **sandbox.environ}
    terminal = Terminal(tmp_path, env)
    try:
        terminal.type(f"cd {ROOT}; {sys.executable} -m tui.cli --config {config}; echo $? > {exit_file}")
        _wait_until(_remote_journalctl, 120, "the console did not start the remote journal")
        time.sleep(1.0)
        shell = terminal.shell_pid()
        console = subprocess.run(["pgrep", "-P", str(shell), "-f", "tui.cli"], capture_output=True, text=True)
        os.kill(int(console.stdout.split()[0]), sig)
        _wait_until(exit_file.exists, 60, "the console did not end")
        assert exit_file.read_text().strip() == str(128 + sig)
        _wait_until(lambda: not _remote_journalctl(), 10, "the remote journalctl is still running")
        assert set(terminal.flags().values()) == {"0"}, terminal.flags()
        terminal.type(f"stty -a > {stty_file}")
        _wait_until(lambda: stty_file.exists() and stty_file.read_text(), 30, "stty did not run")
        settings = stty_file.read_text().split()
        assert "icanon" in settings and "echo" in settings and "-icanon" not in settings and "-echo" not in settings
    finally:
        terminal.close()
