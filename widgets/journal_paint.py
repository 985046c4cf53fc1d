"""Drawing the journal buffer's rows as strips: the view's renderer, kept apart from its keys and state.

``JournalPainter`` turns a screen row into a :class:`~textual.strip.Strip` (one entry, or one
wrapped part of it), caches drawn entries, and counts how many rows an entry takes when wrapped.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.style import Style
from textual.cache import FIFOCache
from textual.strip import Strip

from widgets.journal_buffer import JournalBuffer, drawn_width, fits_one_row
from widgets.journal_line import entry_segments


class JournalPainter:
    """Draws rows of a :class:`JournalBuffer`; ``style_of(name)`` gives the view's ``journal-view--<name>`` style."""

    def __init__(self, buffer: JournalBuffer, style_of: Callable[[str], Style]) -> None:
        self.buffer = buffer
        self._style_of = style_of
        self._styles: dict[str, Style] = {}
        # A few screens of drawn entries, keyed by entry id (so evicting old entries leaves it valid).
        # Not Textual's LRUCache: its entries are a circular linked list, so clearing it leaves every
        # strip to the cyclic garbage collector, whose full passes then stall a flood for 100 ms+.
        self._cache: FIFOCache[tuple[int, bool, int], Strip] = FIFOCache(512)
        self.widest = 0  # cells of the widest entry drawn unwrapped (the view's virtual width)

    def style(self, name: str) -> Style:
        style = self._styles.get(name)
        if style is None:
            style = self._styles[name] = self._style_of(name)
        return style

    def forget(self, *, styles: bool = False) -> None:
        """Draw everything afresh (timestamps, search, marks or, with ``styles``, the theme changed)."""
        self._cache.clear()
        if styles:
            self._styles.clear()

    def line(self, row: int, scroll_x: int, width: int, *, wrap: bool, timestamps: bool) -> Strip:
        """Screen row ``row`` of the view (counted from the top of the buffer), ``width`` cells wide."""
        buffer = self.buffer
        base = self.style("base")
        if row >= buffer.rows or row < 0 or not buffer.visible:
            return Strip.blank(width, base)
        if not wrap:
            strip = self._entry(buffer.visible[row], 0, timestamps)
            if scroll_x == 0 and strip.cell_length == width:
                return strip  # crop_extend would keep the strip in its own cache: a cycle for the collector
            return strip.crop_extend(scroll_x, scroll_x + width, base)
        idx = buffer.index_at_row(row)
        part = row - buffer.row_starts[idx]
        strip = self._entry(buffer.visible[idx], width, timestamps)
        pieces = strip.divide([*range(width, strip.cell_length, width), strip.cell_length]) if width > 0 else [strip]
        if part >= len(pieces):
            return Strip.blank(width, base)
        return pieces[part].extend_cell_length(width, base)

    def _entry(self, entry_id: int, wrap_width: int, timestamps: bool) -> Strip:
        buffer = self.buffer
        at_cursor = entry_id == buffer.cursor
        key = (entry_id, at_cursor, wrap_width)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        segments = entry_segments(
            buffer.entry(entry_id),
            self.style,
            marked=entry_id in buffer.marks,
            timestamps=timestamps,
            search=buffer.search,
        )
        strip = Strip(segments)
        if at_cursor:
            strip = strip.apply_style(self.style("cursor"))
        if not wrap_width:
            self.widest = max(self.widest, strip.cell_length)
        self._cache[key] = strip
        return strip

    def wrap_measure(self, width: int, *, timestamps: bool) -> Callable[[tuple[Any, ...]], int]:
        """Rows an entry (as its buffer row) takes wrapped at ``width``: one, or what drawing it says."""
        width = max(10, width)
        from_row = self.buffer.from_row

        def rows(row: tuple[Any, ...]) -> int:
            if fits_one_row(row, width, timestamps=timestamps):
                return 1
            return max(1, -(-drawn_width(from_row(row), timestamps=timestamps) // width))

        return rows
