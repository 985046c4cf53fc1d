"""Drawing the journal buffer's entries as strips: the view's renderer, kept apart from its keys and state.

``JournalPainter`` turns a screen row into a :class:`~textual.strip.Strip` and caches drawn
entries. Unwrapped, row *n* of the view is visible entry *n*. Wrapped, a scroll position is still
one entry (as in lnav): the screen shows entries from the one at the scroll position on, each in
as many rows as it needs, or, at the last position, the newest entries ending on the bottom
row. Only the entries on screen are ever wrapped, so turning wrap on costs what one screen
costs and a flood costs nothing more while wrapped.
"""

from __future__ import annotations

from collections.abc import Callable

from rich.style import Style
from textual.cache import FIFOCache
from textual.strip import Strip

from widgets.journal_buffer import JournalBuffer
from widgets.journal_line import entry_segments

Layout = tuple[tuple[int, int], ...]  # (visible index, part) for each screen row


class JournalPainter:
    """Draws rows of a :class:`JournalBuffer`; ``style_of(name)`` gives the view's ``journal-view--<name>`` style."""

    def __init__(self, buffer: JournalBuffer, style_of: Callable[[str], Style]) -> None:
        self.buffer = buffer
        self._style_of = style_of
        self._styles: dict[str, Style] = {}
        # A few screens of drawn entries, keyed by entry id (so evicting old entries leaves it valid).
        # Not Textual's LRUCache: its entries are a circular linked list, so clearing it leaves every
        # strip to the cyclic garbage collector, whose full passes then stall a flood.
        self._cache: FIFOCache[tuple[int, bool, int], tuple[Strip, ...]] = FIFOCache(512)
        self._layout: tuple[tuple[object, ...], Layout] | None = None
        self.widest = 0  # cells of the widest entry drawn unwrapped (the view's virtual width)

    def style(self, name: str) -> Style:
        style = self._styles.get(name)
        if style is None:
            style = self._styles[name] = self._style_of(name)
        return style

    def forget(self, *, styles: bool = False) -> None:
        """Draw everything afresh (timestamps, search, marks or, with ``styles``, the theme changed)."""
        self._cache.clear()
        self._layout = None
        if styles:
            self._styles.clear()

    # --- unwrapped ------------------------------------------------------------------------------

    def line(self, row: int, scroll_x: int, width: int, *, timestamps: bool) -> Strip:
        """Screen row ``row`` (counted from the first visible entry) unwrapped, ``width`` cells wide."""
        buffer = self.buffer
        base = self.style("base")
        if row >= len(buffer.visible) or row < 0:
            return Strip.blank(width, base)
        strip = self.parts(buffer.visible[row], 0, timestamps)[0]
        if scroll_x == 0 and strip.cell_length == width:
            return strip  # crop_extend would keep the strip in its own cache: a cycle for the collector
        return strip.crop_extend(scroll_x, scroll_x + width, base)

    # --- wrapped --------------------------------------------------------------------------------

    def wrapped_line(self, y: int, top: int, width: int, height: int, *, at_end: bool, timestamps: bool) -> Strip:
        """Row ``y`` of the screen when wrapped with visible entry ``top`` first (see :meth:`layout`)."""
        layout = self.layout(top, width, height, at_end=at_end, timestamps=timestamps)
        base = self.style("base")
        if y >= len(layout):
            return Strip.blank(width, base)
        index, part = layout[y]
        return self.parts(self.buffer.visible[index], width, timestamps)[part].extend_cell_length(width, base)

    def layout(self, top: int, width: int, height: int, *, at_end: bool, timestamps: bool) -> Layout:
        """(visible index, part) for each screen row: from entry ``top`` on; at the last scroll
        position (``at_end``), or when the screen's foot would stay empty, the newest entry ends on
        the bottom row instead."""
        visible = self.buffer.visible
        key = (top, at_end, width, height, timestamps, len(visible), visible[-1] if visible else -1)
        if self._layout is not None and self._layout[0] == key:
            return self._layout[1]
        rows: list[tuple[int, int]] = []
        index = max(0, top)
        while not at_end and len(rows) < height and index < len(visible):
            count = len(self.parts(visible[index], width, timestamps))
            rows.extend((index, part) for part in range(count))
            index += 1
        if at_end or (len(rows) < height and top > 0):
            rows = self._bottom_rows(width, height, timestamps)
        layout = tuple(rows[:height])
        self._layout = (key, layout)
        return layout

    def bottom_top(self, width: int, height: int, *, timestamps: bool) -> int:
        """The first visible index on screen when the newest entry ends on the bottom row: the last
        scroll position when wrapped (0 when everything fits)."""
        rows = self._bottom_rows(width, height, timestamps)
        return rows[0][0] if rows and len(rows) >= height else 0

    def top_for(self, index: int, width: int, rows: int, *, timestamps: bool) -> int:
        """The visible index to put first so that entry ``index`` ends within ``rows`` rows of the top."""
        visible = self.buffer.visible
        used = len(self.parts(visible[index], width, timestamps))
        while index > 0:
            count = len(self.parts(visible[index - 1], width, timestamps))
            if used + count > rows:
                break
            used += count
            index -= 1
        return index

    def _bottom_rows(self, width: int, height: int, timestamps: bool) -> list[tuple[int, int]]:
        visible = self.buffer.visible
        rows: list[tuple[int, int]] = []
        index = len(visible) - 1
        while len(rows) < height and index >= 0:
            count = len(self.parts(visible[index], width, timestamps))
            rows[:0] = [(index, part) for part in range(count)]
            index -= 1
        return rows[-height:] if len(rows) > height else rows

    def wrapped_top_for(
        self, index: int, top: int, width: int, height: int, *, at_end: bool, center: bool, timestamps: bool
    ) -> int | None:
        """Where a wrapped screen showing entry ``top`` first must start instead so that visible
        entry ``index`` is whole on it (in the middle, with ``center``); None when it is already."""
        layout = self.layout(top, width, height, at_end=at_end, timestamps=timestamps)
        (first, first_part), (last, last_part) = layout[0], layout[-1]
        above = index < first or (index == first and first_part > 0)
        last_rows = len(self.parts(self.buffer.visible[last], width, timestamps))
        below = index > last or (index == last and last_part < last_rows - 1)
        if not (above or below):
            return None
        if center:
            return self.top_for(index, width, height // 2 + 1, timestamps=timestamps)
        if above:
            return index
        return self.top_for(index, width, height, timestamps=timestamps)

    # --- one entry ------------------------------------------------------------------------------

    def parts(self, entry_id: int, wrap_width: int, timestamps: bool) -> tuple[Strip, ...]:
        """The entry drawn: one strip, or (``wrap_width`` > 0) its rows of at most that many cells."""
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
            parts: tuple[Strip, ...] = (strip,)
        elif strip.cell_length <= wrap_width:
            parts = (strip,)
        else:
            cuts = [*range(wrap_width, strip.cell_length, wrap_width), strip.cell_length]
            parts = tuple(strip.divide(cuts))
        self._cache[key] = parts
        return parts
