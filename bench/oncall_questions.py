"""The six on-call questions, timed from launch at 80×24 in tmux against a running sandbox.

Starts the sandbox in the background (``python -m sandbox --write-config PATH``, the process
behind ``ttes-console sandbox``; set BENCH_SANDBOX=cli to start it through the command line,
which dies of SIGPIPE when a console it served quits while the CLI resets SIGPIPE for every
command), then for each question
launches the console afresh in a detached 80×24 tmux session on its own socket (``tmux -L
oncall``), presses the question's keys once the frame is up, and stops the clock when the
answer is on screen. Prints the keys and the seconds from launch for each, and whether it met
the target (≤ 2 keys, ≤ 2 s). Run once: ``python bench/oncall_questions.py``.
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOCKET = os.environ.get("BENCH_TMUX_SOCKET", "oncall")
SIZE = (80, 24)
TARGET_KEYS = 2
TARGET_SECONDS = 2.0
FRAME = re.compile(r"1 Journal")  # the dashboard's panes are built: keys have somewhere to go


@dataclass(frozen=True)
class Question:
    what: str
    keys: tuple[str, ...]
    answer: tuple[str, ...]  # regular expressions that must all be on screen


QUESTIONS = (
    Question("stack state", (), (r"status\s+\w+_COMPLETE", r"Health [✓✗!?]")),
    Question("DNS and TLS", (), (r"[✓✗!?] dns\s+\S", r"[✓✗!?] tls\s+\S")),
    Question("latest errors", ("E",), (r"\d\d:\d\d:\d\d\.\d{3} (ERROR|FATAL)", r"PAUSED")),
    Question("uplinks, silent devices", ("2", "v"), (r"State\s+Last seen\s+Device", r"\n\s*(ok|SILENT|not heard)\s")),
    # Its impact needs a new value typed (then Enter: the review); the clock stops at the form, ready for it.
    Question("change-set form", ("c", "Enter"), (r"find a parameter by name", r"Domain")),
    Question("fresh snapshot", ("s",), (r"Database\s+\d+ (s|min|h|d)", r"available")),
)


def tmux(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["tmux", "-L", SOCKET, *args], capture_output=True, text=True)


def screen(session: str) -> str:
    return tmux("capture-pane", "-p", "-t", session).stdout


def wait_screen(session: str, patterns: tuple[re.Pattern[str], ...], deadline: float) -> bool:
    while time.monotonic() < deadline:
        text = screen(session)
        if all(p.search(text) for p in patterns):
            return True
        time.sleep(0.02)
    return False


def start_sandbox(workdir: Path) -> tuple[subprocess.Popen[bytes], Path]:
    config = workdir / "config.toml"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    entry = ["tui.cli", "sandbox"] if os.environ.get("BENCH_SANDBOX") == "cli" else ["sandbox"]
    proc = subprocess.Popen(
        [sys.executable, "-m", *entry, "--write-config", str(config), "--workdir", str(workdir)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while not (config.exists() and Path(f"{config}.env").exists()):
        if proc.poll() is not None or time.monotonic() > deadline:
            raise SystemExit("bench: the sandbox did not start")
        time.sleep(0.05)
    time.sleep(0.2)  # the .env file is written right after the profile
    return proc, config


def ask(question: Question, config: Path, state: Path) -> tuple[float | None, float | None]:
    """(seconds from launch to the frame, seconds from launch to the answer); None when not reached."""
    session = "q"
    tmux("kill-session", "-t", session)
    command = (
        f"cd {shlex.quote(str(ROOT))} && . {shlex.quote(str(config))}.env && "
        f"XDG_STATE_HOME={shlex.quote(str(state))} PYTHONPATH={shlex.quote(str(ROOT))} "
        f"exec {shlex.quote(sys.executable)} -m tui.cli --config {shlex.quote(str(config))}"
    )
    started = time.monotonic()
    tmux("new-session", "-d", "-s", session, "-x", str(SIZE[0]), "-y", str(SIZE[1]), command)
    try:
        if not wait_screen(session, (FRAME,), started + 30):
            return None, None
        frame = time.monotonic() - started
        for key in question.keys:
            tmux("send-keys", "-t", session, key)
            time.sleep(0.05)  # one key after the other, as fast as a hand
        patterns = tuple(re.compile(p) for p in question.answer)
        if not wait_screen(session, patterns, started + 30):
            return frame, None
        return frame, time.monotonic() - started
    finally:
        tmux("send-keys", "-t", session, "Escape")
        time.sleep(0.2)
        tmux("send-keys", "-t", session, "q")
        time.sleep(0.5)
        tmux("send-keys", "-t", session, "Enter")  # a question left open (nothing to leave behind here)
        time.sleep(0.5)
        tmux("kill-session", "-t", session)


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="ttes-bench-") as tmp:
        work = Path(tmp)
        sandbox, config = start_sandbox(work / "sandbox")
        try:
            ask(QUESTIONS[0], config, work / "state")  # warm the OS caches: the first launch reads every module
            print(f"{'question':<26} {'keys':<10} {'frame s':>8} {'answer s':>9}  target (≤{TARGET_KEYS} keys, "
                  f"≤{TARGET_SECONDS:.0f} s)")
            met = 0
            for question in QUESTIONS:
                frame, answer = ask(question, config, work / "state")
                keys = " ".join(question.keys) or "—"
                ok = answer is not None and answer <= TARGET_SECONDS and len(question.keys) <= TARGET_KEYS
                met += ok
                print(
                    f"{question.what:<26} {keys:<10} {'—' if frame is None else f'{frame:.2f}':>8} "
                    f"{'not reached' if answer is None else f'{answer:.2f}':>9}  {'met' if ok else 'MISSED'}"
                )
            print(f"{met}/{len(QUESTIONS)} within the target at {SIZE[0]}×{SIZE[1]}; "
                  f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
        finally:
            os.killpg(sandbox.pid, signal.SIGINT)
            sandbox.wait(30)
            tmux("kill-server")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
