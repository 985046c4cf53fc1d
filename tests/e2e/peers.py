"""Starting Debian's daemons for the end-to-end tier: one way, and a sentence when one does not start."""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from sandbox.ports import LOOPBACK
from sandbox.process import end_process

START_SECONDS = 30.0  # generous: the machine running the suite may be busy
LOG_TAIL_LINES = 5


def binary(name: str, *candidates: str, package: str | None = None) -> str:
    """The daemon's executable, or skip the test saying which package to install."""
    found = shutil.which(name) or next((c for c in candidates if Path(c).exists()), None)
    if not found:
        pytest.skip(f"{name} is not installed (apt-get install {package or name})")
    return found


def tcp_open(port: int) -> bool:
    """Whether something accepts TCP connections on the loopback ``port`` (a peer's usual readiness)."""
    with contextlib.suppress(OSError), socket.create_connection((LOOPBACK, port), timeout=0.2):
        return True
    return False


@contextlib.contextmanager
def running_peer(
    name: str, cmd: list[str], ready: Callable[[], bool], log: Path, *, cwd: Path | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """Start ``cmd`` (its output to ``log``) and wait until ``ready()``; stopped on exit.

    A peer that exits or does not answer within :data:`START_SECONDS` fails the test with a
    sentence naming the peer, why, and its log (with the log's last lines), instead of letting
    the test carry on against nothing.
    """
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, cwd=cwd, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + START_SECONDS
        while not ready():
            code = proc.poll()
            if code is not None:
                pytest.fail(f"{name} did not start: it exited with code {code}; its log: {log}{_tail(log)}")
            if time.monotonic() > deadline:
                pytest.fail(f"{name} did not start: no answer within {START_SECONDS:.0f} s; its log: {log}{_tail(log)}")
            time.sleep(0.05)
        yield proc
    finally:
        end_process(proc)


def _tail(log: Path) -> str:
    lines = log.read_text(errors="replace").strip().splitlines()[-LOG_TAIL_LINES:]
    return ("\n  " + "\n  ".join(lines)) if lines else " (empty)"
