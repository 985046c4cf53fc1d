"""Time to first paint of the console (sandbox already up) next to a bare Textual app, in tmux.

Both programs are started the same way in a detached 80×24 tmux session; the clock stops
when the screen first shows the program's own text. Prints medians over several runs and the
time until the stack's PublicIP is on screen. Target: first paint ≤ 1.3× the bare app. Each run
starts once the previous program has ended, on modules compiled beforehand (as installed).
"""

from __future__ import annotations

import compileall
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNS = int(os.environ.get("BENCH_RUNS", "9"))
BARE_APP = """
from textual.app import App
from textual.widgets import Footer, Header, Static
class Bare(App):
    def compose(self):
        yield Header(); yield Static("bare-app-ready"); yield Footer()
Bare().run()
"""


def capture(session: str) -> str:
    return subprocess.run(["tmux", "capture-pane", "-p", "-t", session], capture_output=True, text=True).stdout


def _wait_gone(pid: int, timeout: float = 15.0) -> None:
    """Until the killed program has ended: its shutdown must not share the CPUs with the next run."""
    deadline = time.monotonic() + timeout
    while pid and time.monotonic() < deadline:
        try:
            if Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z":
                return  # ended; its parent has not reaped it yet
        except (OSError, IndexError):
            return
        time.sleep(0.01)


def time_until(command: str, markers: list[str], env: dict[str, str], timeout: float = 30.0) -> list[float]:
    """Seconds from launch until each marker is on screen (in order of the markers list)."""
    session = f"bench{os.getpid()}"
    subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)
    found: dict[str, float] = {}
    start = time.perf_counter()
    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "80", "-y", "24", command], env=env, check=True)
    try:
        while len(found) < len(markers) and time.perf_counter() - start < timeout:
            screen = capture(session)
            now = time.perf_counter() - start
            for marker in markers:
                if marker not in found and marker in screen:
                    found[marker] = now
            time.sleep(0.005)
    finally:
        pane = subprocess.run(["tmux", "display", "-p", "-t", session, "#{pane_pid}"], capture_output=True, text=True)
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)
        _wait_gone(int(pane.stdout.strip() or 0))
    missing = [m for m in markers if m not in found]
    if missing:
        raise SystemExit(f"never saw {missing} on screen within {timeout:.0f} s")
    return [found[m] for m in markers]


def main() -> int:
    if not shutil.which("tmux"):
        print("bench/startup: tmux is not installed; skipped")
        return 0
    from sandbox.process import SandboxProcess

    # An installed console runs from cached bytecode: compile the tree's modules first, or with
    # PYTHONDONTWRITEBYTECODE set (as on some machines) every run would compile them from source.
    for package in ("tui", "widgets", "services", "sandbox"):
        compileall.compile_dir(ROOT / package, quiet=1)

    with tempfile.TemporaryDirectory() as tmp, SandboxProcess(workdir=Path(tmp)) as sandbox:
        env = dict(os.environ, TERM="xterm-256color")
        bare_script = Path(tmp) / "bare.py"
        bare_script.write_text(BARE_APP)
        # An existing tmux server does not pass the client's environment on: put it in the command.
        creds = " ".join(f"{k}={shlex.quote(v)}" for k, v in sandbox.environ.items())
        console = f"env {creds} {sys.executable} -m tui.cli --config {sandbox.config_path}"
        bare, first, panes, ip = [], [], [], []
        for _ in range(RUNS):
            bare += time_until(f"{sys.executable} {bare_script}", ["bare-app-ready"], env)
            paint, body, shown = time_until(console, ["Opening ttes-demo", "Stack ttes-demo", "198.51.100.7"], env)
            first.append(paint)
            panes.append(body)
            ip.append(shown)
    b, f = statistics.median(bare), statistics.median(first)
    print(f"runs: {RUNS} each, 80x24 tmux, medians")
    print(
        f"first paint        ttes-console {f * 1000:6.0f} ms   bare Textual app {b * 1000:6.0f} ms   ratio {f / b:.2f} (target ≤ 1.30)"
    )
    print(f"panes on screen    ttes-console {statistics.median(panes) * 1000:6.0f} ms")
    print(f"PublicIP on screen ttes-console {statistics.median(ip) * 1000:6.0f} ms   (target < 5000 ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
