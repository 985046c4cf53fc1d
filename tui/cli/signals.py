"""How the program ends on SIGTERM, SIGHUP and SIGINT: the same clean way as ``q`` or Ctrl-C.

A closed terminal or a dropped SSH session to the bastion sends SIGHUP, a service manager or
``kill`` sends SIGTERM. Either used to end the process on the spot: the terminal left raw, the
remote ``journalctl`` running until its next write, the demo's sandbox directory left behind.
Here each of them ends the program through the same ``finally`` blocks as a normal exit does
(the TUI's own shutdown, the SSH channel's TERM, the sandbox's stop), with exit code 128+signal
as a shell reports for a signal.

Interpreter-wide settings, so they are made here, at the program's entry point, and nowhere else.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

ENDING_SIGNALS = (signal.SIGTERM, signal.SIGHUP, signal.SIGINT)

__all__ = [
    "ENDING_SIGNALS",
    "Terminated",
    "exit_code",
    "install",
    "on_signals",
    "restore_sigpipe",
    "run_until_signal",
]
RECANCEL_SECONDS = 1.0


class Terminated(BaseException):
    """A signal asked the program to end (raised outside the event loop, like KeyboardInterrupt)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def exit_code(signum: int) -> int:
    """128 + the signal number, as a shell reports a process ended by that signal."""
    return 128 + int(signum)


def _raise(signum: int, frame: FrameType | None) -> None:
    raise Terminated(signum)


def install() -> None:
    """Outside an event loop, SIGTERM and SIGHUP unwind like Ctrl-C: ``with`` and ``finally`` blocks run."""
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _raise)


def restore_sigpipe() -> None:
    """A closed pipe (``logs -f | head``) ends the program quietly, as it does other Unix filters.

    Only for the commands that stream to stdout: a server (``sandbox``) must survive a client that
    vanishes, and there the same signal would end it on its next write to that client's socket.
    """
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)


@contextmanager
def on_signals(callback: Callable[[int], object]) -> Iterator[list[int]]:
    """Inside a running loop: the first ending signal calls ``callback(signum)``; the list yielded records it.

    Later signals are ignored while the program ends (a second SIGHUP from a closing terminal must
    not cut the clean-up short). Afterwards :func:`install`'s handlers are back.
    """
    loop = asyncio.get_running_loop()
    received: list[int] = []

    def handle(signum: int) -> None:
        if received:
            return
        received.append(signum)
        callback(signum)

    for sig in ENDING_SIGNALS:
        loop.add_signal_handler(sig, handle, int(sig))
    try:
        yield received
    finally:
        for sig in ENDING_SIGNALS:
            loop.remove_signal_handler(sig)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        install()


async def run_until_signal(command: Coroutine[Any, Any, int]) -> int:
    """Run a command's coroutine; an ending signal cancels it and the exit code is 128+signal.

    The command runs as its own task and is cancelled again until it has ended: Python 3.11's
    ``asyncio.wait_for`` drops a cancellation that arrives as its inner future completes, which
    in a busy stream (``logs -f`` in a flood) is most of the time.
    """
    task = asyncio.ensure_future(command)
    ended = asyncio.Event()
    with on_signals(lambda signum: ended.set()) as received:
        waiter = asyncio.ensure_future(ended.wait())
        try:
            await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            waiter.cancel()
        if not received:
            return task.result()
        while not task.done():
            task.cancel()
            await asyncio.wait({task}, timeout=RECANCEL_SECONDS)
        if not task.cancelled():
            task.exception()  # whatever the clean-up raised: the signal decides the exit code
        return exit_code(received[0])
