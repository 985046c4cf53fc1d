"""Printing a stream a batch at a time (one write and flush each), stopping after ``--count`` lines.

Shared by the streaming commands (``logs``, ``uplinks``): a flood is written in big pieces, and
a reader such as ``head`` sees each batch as soon as it is complete.
"""

from __future__ import annotations

import io
import sys
from typing import TextIO


class BatchOutput:
    """Lines queued with :meth:`add` and written by :meth:`flush`; ``done`` once ``count`` lines were queued."""

    def __init__(self, count: int | None, out: TextIO | io.TextIOBase | None = None) -> None:
        self.count = count
        self.out = out or sys.stdout
        self.printed = 0
        self._lines: list[str] = []

    @property
    def done(self) -> bool:
        return self.count is not None and self.printed >= self.count

    def add(self, line: str) -> bool:
        """Queue one line; True when that was the last one ``count`` allows."""
        self._lines.append(line)
        self.printed += 1
        return self.done

    def flush(self) -> None:
        if self._lines:
            self.out.write("\n".join(self._lines) + "\n")
            self.out.flush()
            self._lines.clear()
