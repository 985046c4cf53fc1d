"""The interactive console in a real terminal (tmux) ended by SIGTERM, SIGHUP or SIGINT.

After the signal the terminal must be as the shell left it: cooked mode with echo (``stty -a``),
the main screen, no mouse tracking; the exit code is 128+signal and the demo's sandbox directory
is gone.
"""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="Debian's tmux is not installed")


class Terminal:
    """One tmux session on a private server socket, running a plain shell."""

    def __init__(self, workdir: Path, env: dict[str, str]) -> None:
        self.socket = f"streams-{os.getpid()}-{time.monotonic_ns()}"
        self.workdir = workdir
        exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
        self.tmux("new-session", "-d", "-s", "t", "-x", "120", "-y", "40", f"env {exports} bash --norc --noprofile")

    def tmux(self, *args: str) -> str:
        done = subprocess.run(["tmux", "-L", self.socket, *args], capture_output=True, text=True, timeout=30)
        return done.stdout

    def type(self, line: str) -> None:
        self.tmux("send-keys", "-t", "t", line, "Enter")

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", "t")

    def flags(self) -> dict[str, str]:
        names = ["alternate_on", "mouse_any_flag", "mouse_button_flag", "mouse_standard_flag", "mouse_sgr_flag"]
        values = self.tmux("display-message", "-p", "-t", "t", " ".join(f"#{{{n}}}" for n in names)).split()
        return dict(zip(names, values, strict=True))

    def shell_pid(self) -> int:
        return int(self.tmux("display-message", "-p", "-t", "t", "#{pane_pid}").strip())

    def close(self) -> None:
        self.tmux("kill-server")
        socket_path = Path(f"/tmp/tmux-{os.getuid()}") / self.socket  # tmux's default socket directory
        socket_path.unlink(missing_ok=True)


@pytest.fixture
def terminal(tmp_path: Path) -> Iterator[Terminal]:
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    env = {"TMPDIR": str(scratch), "PYTHONPATH": str(ROOT), "TERM": "xterm-256color", "HOME": os.environ["HOME"]}
    term = Terminal(tmp_path, env)
    try:
        yield term
    finally:
        term.close()


def _wait(predicate: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        time.sleep(0.2)
    raise AssertionError(f"{what} within {timeout} s")


def _console_pid(shell: int) -> int | None:
    out = subprocess.run(["pgrep", "-P", str(shell), "-f", "tui.cli"], capture_output=True, text=True).stdout
    pids = [int(p) for p in out.split()]
    return pids[0] if pids else None


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT], ids=lambda s: signal.Signals(s).name)
def test_signal_leaves_the_terminal_sane(terminal: Terminal, tmp_path: Path, sig: signal.Signals) -> None:
    exit_file, stty_file = tmp_path / "exit.txt", tmp_path / "stty.txt"
    terminal.type(f"cd {ROOT}; {sys.executable} -m tui.cli --demo; echo $? > {exit_file}")
    _wait(lambda: "checked " in terminal.screen(), 180, "the console did not finish its health checks")
    time.sleep(2.0)  # the journal's SSH stream and the uplink feed are open by now
    assert terminal.flags()["alternate_on"] == "1"  # the console is on the alternate screen: the test can fail
    pid = _console_pid(terminal.shell_pid())
    assert pid is not None
    os.kill(pid, sig)
    _wait(exit_file.exists, 60, "the console did not end")
    assert exit_file.read_text().strip() == str(128 + sig)
    assert set(terminal.flags().values()) == {"0"}, terminal.flags()
    terminal.type(f"stty -a > {stty_file}")
    _wait(lambda: stty_file.exists() and stty_file.read_text(), 30, "stty did not run")
    settings = stty_file.read_text().split()
    for sane in ("icanon", "echo", "isig", "icrnl", "opost"):
        assert sane in settings and f"-{sane}" not in settings, stty_file.read_text()
    assert list((tmp_path / "tmp").glob("ttes-demo-*")) == []
    assert "Traceback" not in terminal.screen()
