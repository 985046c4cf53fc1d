"""A terminal that vanishes under the console (SSH session dropped, tmux window closed).

A real pseudo-terminal whose other end is closed: writes to it fail with EIO, as they do on a
bastion when the operator's SSH session drops. Textual's writer thread died on that error and its
bounded queue then blocked the shutdown for ever; through the console's driver the writes are
dropped and the writer thread keeps going until it is stopped.
"""

from __future__ import annotations

import contextlib
import os
import pty
import threading

import pytest
from textual.drivers._writer_thread import MAX_QUEUED_WRITES, WriterThread

from tui.app import TtesConsoleApp
from tui.terminal import ConsoleDriver, VanishingTerminal


@pytest.fixture
def vanished_tty():  # type: ignore[no-untyped-def]
    """The console's end of a pty whose other end (the SSH session, the tmux pane) is gone."""
    master, slave = pty.openpty()
    stream = os.fdopen(slave, "w", buffering=1, encoding="utf-8", closefd=True)
    stream.write("before\n")  # the terminal works…
    os.read(master, 100)
    os.close(master)  # …until its other end goes away
    with pytest.raises(OSError):
        stream.write("x" * 5000)
        stream.flush()
    yield stream
    with contextlib.suppress(OSError):
        stream.close()


def test_writes_to_a_vanished_terminal_are_dropped_not_raised(vanished_tty) -> None:  # type: ignore[no-untyped-def]
    terminal = VanishingTerminal(vanished_tty)
    screen = "\x1b[?1049l" + "x" * 20_000  # more than the stream buffers: the write itself fails
    assert terminal.write(screen) == len(screen)
    terminal.flush()
    assert terminal.gone and not terminal.isatty()
    assert terminal.write("more") == 4  # and afterwards nothing is tried at all


def test_a_flush_to_a_vanished_terminal_is_dropped_not_raised(vanished_tty) -> None:  # type: ignore[no-untyped-def]
    terminal = VanishingTerminal(vanished_tty)
    terminal.write("\x1b[?25h")  # small: it waits in the stream's buffer, and the flush fails
    terminal.flush()
    assert terminal.gone


def test_the_writer_thread_outlives_the_terminal_and_stops_when_asked(vanished_tty) -> None:  # type: ignore[no-untyped-def]
    writer = WriterThread(VanishingTerminal(vanished_tty))  # type: ignore[arg-type]
    writer.start()
    done = threading.Event()

    def shutdown_writes() -> None:  # what Textual's shutdown sends: far more than the queue holds
        for _ in range(MAX_QUEUED_WRITES * 10):
            writer.write("\x1b[?1000l\x1b[?1003l" * 1000)
        writer.stop()
        done.set()

    threading.Thread(target=shutdown_writes, daemon=True).start()
    assert done.wait(30), "the shutdown's writes blocked: the writer thread died with the terminal"
    assert not writer.is_alive()


def test_a_bare_writer_thread_dies_with_the_terminal(vanished_tty) -> None:  # type: ignore[no-untyped-def]
    """Why the console has its own driver: Textual's writer ends on the first failed write."""
    errors: list[BaseException | None] = []
    hook = threading.excepthook
    threading.excepthook = lambda args: errors.append(args.exc_value)
    try:
        writer = WriterThread(vanished_tty)
        writer.start()
        writer.write("x" * 5000)
        writer.join(30)
    finally:
        threading.excepthook = hook
    assert not writer.is_alive() and isinstance(errors[0], OSError)


def test_the_console_runs_on_its_driver() -> None:
    app = TtesConsoleApp(None, opening=object())  # type: ignore[arg-type]  # the demo's way in: no profile yet
    assert app.get_driver_class() is ConsoleDriver
