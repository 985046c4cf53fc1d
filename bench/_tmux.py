"""A tmux control-mode client for the benchmarks that drive the TUI in tmux."""

from __future__ import annotations

import contextlib
import subprocess


class TmuxControl:
    """One tmux control-mode client (``tmux -C``, pane output off) that captures the screen and
    sends keys without starting a process each time: a ``tmux capture-pane`` process costs 4–6 ms
    of CPU, which the polling loop would take from the machine it measures; here a capture is
    ~0.1 ms of the tmux server's time."""

    def __init__(self, session: str, socket: str | None = None) -> None:
        server = ["-L", socket] if socket else []  # a private tmux server: the operator's sessions are not touched
        self.proc = subprocess.Popen(
            ["tmux", *server, "-C", "attach", "-f", "no-output", "-t", session],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            errors="replace",
            bufsize=1,
        )

    def command(self, line: str) -> list[str]:
        """Run one tmux command; its output lines."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        while True:  # skip notifications and the attach's own block: ours are flagged 1
            got = self.proc.stdout.readline()
            if not got:
                raise SystemExit("bench: the tmux control client ended")
            if got.startswith("%begin") and got.split()[-1] == "1":
                break
        out: list[str] = []
        while not (got := self.proc.stdout.readline()).startswith(("%end", "%error")):
            out.append(got.rstrip("\n"))
        return out

    def close(self) -> None:
        with contextlib.suppress(OSError):
            assert self.proc.stdin is not None
            self.proc.stdin.close()
        self.proc.wait(5)
