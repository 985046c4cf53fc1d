"""``ttes-console`` as bench/journal.py runs it, noting when each ``t`` is read, handled and drawn.

    python bench/_journal_tui.py STAMPS --config FILE

The console itself, unchanged, with three hooks that append ``<what> <time.time()>`` lines to
STAMPS: ``read`` when Textual's input thread has parsed the key, ``handled`` when the journal view
toggles its timestamps, ``drawn`` when the writer thread hands the next full frame to the
terminal. They split the key latency the bench sees on screen into terminal and app time.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def install(stamps: Path) -> None:
    from textual import events
    from textual.drivers import _writer_thread
    from textual.drivers.linux_driver import LinuxDriver

    from widgets.journal_view import JournalView

    out = stamps.open("a", buffering=1)
    pending = [False]

    process_message = LinuxDriver.process_message
    toggle = JournalView.action_toggle_timestamps
    write = _writer_thread.WriterThread.write

    def read(self: LinuxDriver, message: events.Message) -> None:
        if isinstance(message, events.Key) and message.key == "t":
            out.write(f"read {time.time()}\n")
        process_message(self, message)

    def handled(self: JournalView) -> None:
        out.write(f"handled {time.time()}\n")
        pending[0] = True
        toggle(self)

    def drawn(self: _writer_thread.WriterThread, text: str) -> None:
        if pending[0] and len(text) > 2000:  # the repaint of the view, not a cursor move
            pending[0] = False
            out.write(f"drawn {time.time()}\n")
        write(self, text)

    LinuxDriver.process_message = read  # type: ignore[method-assign]
    JournalView.action_toggle_timestamps = handled  # type: ignore[method-assign]
    _writer_thread.WriterThread.write = drawn  # type: ignore[method-assign]


if __name__ == "__main__":
    install(Path(sys.argv[1]))
    from tui.cli import main

    sys.exit(main(sys.argv[2:]))
