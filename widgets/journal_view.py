"""A fast, bounded view of journal entries: line API, filters, search, levels, follow mode.

Entries live in a plain list outside the renderer (at most ``max_entries``; the oldest are
dropped and counted). ``render_line`` draws only the rows on screen, so a flood of entries or a
1 MB line costs what the visible rows cost. Remote text is shown as text: control and escape
characters are drawn as ``\\xNN`` and nothing is read as markup.
"""

from __future__ import annotations

import re
import time
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any, ClassVar, Protocol

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

LEVELS = ("DEBUG", "INFO", "WARN", "ERROR", "FATAL")
_RANK = {name: i for i, name in enumerate(LEVELS)}
MAX_CHARS = 4000  # longer messages are cut for display (the fields view and saved files have them whole)
_CONTROL = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


class JournalLine(Protocol):
    """What the view needs of an entry (a ``services.journal_parse.JournalEntry`` fits)."""

    @property
    def seqnum(self) -> int: ...
    @property
    def timestamp(self) -> datetime: ...
    @property
    def level(self) -> str: ...
    @property
    def namespace(self) -> str: ...
    @property
    def message(self) -> str: ...
    @property
    def fields(self) -> Any: ...


def neutralise(text: str) -> str:
    """Control and escape characters as visible ``\\xNN``; tabs expanded."""
    if "\t" in text:
        text = text.expandtabs(4)
    if not _CONTROL.search(text):
        return text
    return _CONTROL.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def _extra_fields(fields: Any) -> str:
    try:
        items = fields.items()
    except AttributeError:
        return ""
    return " ".join(f"{k}={v}" for k, v in items if k != "namespace" and not k[:1].isupper() and not k.startswith("_"))


class JournalView(ScrollView, can_focus=True):
    """Journal entries in a scrollable, filterable, followable view."""

    DEFAULT_CSS = """
    JournalView { background: $surface; color: $text; overflow: auto auto; height: 1fr; }
    JournalView > .journal-view--debug { color: $text-muted; }
    JournalView > .journal-view--info { color: $text; }
    JournalView > .journal-view--warn { color: $warning; }
    JournalView > .journal-view--error { color: $error; text-style: bold; }
    JournalView > .journal-view--fatal { color: $error; text-style: bold reverse; }
    JournalView > .journal-view--timestamp { color: $text-muted; }
    JournalView > .journal-view--namespace { color: $accent; }
    JournalView > .journal-view--fields { color: $text-muted; }
    JournalView > .journal-view--cursor { background: $boost; }
    JournalView > .journal-view--match { background: $warning 40%; }
    JournalView > .journal-view--mark { color: $accent; text-style: bold; }
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "journal-view--debug",
        "journal-view--info",
        "journal-view--warn",
        "journal-view--error",
        "journal-view--fatal",
        "journal-view--timestamp",
        "journal-view--namespace",
        "journal-view--fields",
        "journal-view--cursor",
        "journal-view--match",
        "journal-view--mark",
    }

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "cursor(-1)", "Up", show=False),
        Binding("down,j", "cursor(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home,g", "home", "Top", show=False),
        Binding("end,G", "end", "End/follow", show=False),
        Binding("s", "toggle_follow", "Follow"),
        Binding("w", "toggle_wrap", "Wrap"),
        Binding("t", "toggle_timestamps", "Time"),
        Binding("l", "cycle_level", "Level"),
        Binding("slash", "ask('filter')", "Filter"),
        Binding("f", "ask('search')", "Find"),
        Binding("n", "next_match(1)", "Next", show=False),
        Binding("N", "next_match(-1)", "Prev", show=False),
        Binding("e", "next_error(1)", "Next error"),
        Binding("E", "next_error(-1)", "Prev error", show=False),
        Binding("m", "toggle_mark", "Mark"),
        Binding("M", "next_mark", "Next mark", show=False),
        Binding("enter", "select", "Fields"),
        Binding("ctrl+s", "save", "Save"),
    ]

    follow: reactive[bool] = reactive(True)
    wrap: reactive[bool] = reactive(False)
    show_timestamps: reactive[bool] = reactive(True)
    min_level: reactive[str] = reactive("DEBUG")
    connection: reactive[str] = reactive("")

    class EntrySelected(Message):
        """Enter on an entry: show its fields."""

        def __init__(self, entry: JournalLine) -> None:
            super().__init__()
            self.entry = entry

    class InputRequested(Message):
        """``/`` or ``f``: the pane should ask for a filter or search pattern."""

        def __init__(self, kind: str, current: str) -> None:
            super().__init__()
            self.kind = kind
            self.current = current

    class SaveRequested(Message):
        """ctrl+s: the pane should save :meth:`JournalView.visible_text`."""

    def __init__(self, max_entries: int = 100_000, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.max_entries = max(1, max_entries)
        self._entries: list[JournalLine] = []
        self._base = 0  # absolute id of _entries[0]
        self._visible: list[int] = []  # absolute ids passing level and filter, ascending
        self._row_starts: list[int] = []  # wrap mode: first row of each visible entry
        self._rows = 0
        self._cursor: int | None = None  # absolute id
        self._marks: set[int] = set()
        self.dropped = 0
        self.filter_text = ""
        self._filter: re.Pattern[str] | None = None
        self._filter_invert = False
        self.search_text = ""
        self._search: re.Pattern[str] | None = None
        self._width_cache = 0
        self._line_cache: LRUCache[tuple[int, bool, int], Strip] = LRUCache(2048)
        self._rate_window: list[tuple[float, int]] = []
        self._total = 0
        self._styles: dict[str, Style] = {}

    # --- data in ------------------------------------------------------------------------------

    def add_entries(self, entries: Sequence[JournalLine]) -> None:
        """Append entries (journal order); drops the oldest beyond ``max_entries``."""
        if not entries:
            return
        self._total += len(entries)
        self._rate_window.append((time.monotonic(), len(entries)))
        first_new = self._base + len(self._entries)
        self._entries.extend(entries)
        for offset, entry in enumerate(entries):
            if self._passes(entry):
                self._append_visible(first_new + offset, entry)
        overflow = len(self._entries) - self.max_entries
        if overflow > 0:
            self._evict(overflow)
        self._resize()
        if self.follow:
            self._cursor = self._visible[-1] if self._visible else None
            self.scroll_end(animate=False, immediate=True, x_axis=False)
        self.refresh()

    def clear(self) -> None:
        self._entries.clear()
        self._visible.clear()
        self._row_starts.clear()
        self._rows = 0
        self._base = 0
        self._cursor = None
        self._marks.clear()
        self._line_cache.clear()
        self._resize()
        self.refresh()

    @property
    def entry_count(self) -> int:
        return len(self._entries)

    @property
    def visible_count(self) -> int:
        return len(self._visible)

    def entries_per_second(self) -> float:
        """Arrival rate over the last two seconds."""
        now = time.monotonic()
        self._rate_window = [(t, n) for t, n in self._rate_window if now - t <= 2.0]
        return sum(n for _, n in self._rate_window) / 2.0

    def status_text(self) -> str:
        """The status line: rate, buffer use, drops, connection, mode, filters."""
        parts = [
            f"{self.entries_per_second():,.0f}/s",
            f"{len(self._entries):,}/{self.max_entries:,} ({100 * len(self._entries) // self.max_entries}%)",
            f"dropped {self.dropped:,}",
        ]
        if self.connection:
            parts.append(self.connection)
        parts.append("FOLLOW" if self.follow else "PAUSED (End/s resumes)")
        if self.min_level != "DEBUG":
            parts.append(f"level ≥ {self.min_level}")
        if self.filter_text:
            parts.append(f"filter {neutralise(self.filter_text)} ({len(self._visible):,} shown)")
        if self.search_text:
            parts.append(f"find {neutralise(self.search_text)}")
        return " · ".join(parts)

    def entry_at_cursor(self) -> JournalLine | None:
        if self._cursor is None or self._cursor < self._base:
            return None
        return self._entries[self._cursor - self._base]

    def last_visible(self) -> JournalLine | None:
        """The newest entry that passes the level and filter."""
        return self._entries[self._visible[-1] - self._base] if self._visible else None

    def visible_text(self) -> Iterator[str]:
        """The filtered view as plain text lines (for saving), messages uncut."""
        for abs_id in list(self._visible):
            if abs_id >= self._base:
                yield self._plain(self._entries[abs_id - self._base], cut=False)

    # --- filters ------------------------------------------------------------------------------

    def set_filter(self, text: str) -> str:
        """Show only entries matching the regex (``!re`` hides them); returns an error or ''."""
        invert = text.startswith("!")
        pattern = text[1:] if invert else text
        try:
            compiled = re.compile(pattern, 0 if pattern != pattern.lower() else re.IGNORECASE) if pattern else None
        except re.error as exc:
            return f"Not a valid regular expression: {exc}."
        self.filter_text, self._filter, self._filter_invert = text, compiled, invert
        self._rebuild()
        return ""

    def set_search(self, text: str) -> str:
        """Highlight matches and jump to the next one; returns an error or ''."""
        try:
            compiled = re.compile(text, 0 if text != text.lower() else re.IGNORECASE) if text else None
        except re.error as exc:
            return f"Not a valid regular expression: {exc}."
        self.search_text, self._search = text, compiled
        self._line_cache.clear()
        if compiled is not None:
            self.action_next_match(1, from_cursor=True)
        self.refresh()
        return ""

    def _passes(self, entry: JournalLine) -> bool:
        if _RANK.get(entry.level, 1) < _RANK.get(self.min_level, 0):
            return False
        if self._filter is None:
            return True
        found = self._filter.search(entry.message) is not None or self._filter.search(entry.namespace) is not None
        return found != self._filter_invert

    def _append_visible(self, abs_id: int, entry: JournalLine) -> None:
        self._visible.append(abs_id)
        if self.wrap:
            self._row_starts.append(self._rows)
            self._rows += self._wrapped_rows(entry)
        else:
            self._rows += 1

    def _wrapped_rows(self, entry: JournalLine) -> int:
        width = max(10, self.scrollable_content_region.width or 80)
        return max(1, -(-len(self._plain(entry)) // width))

    def _rebuild(self) -> None:
        """Recompute the visible rows; keep the cursor's entry (or the next one) in view."""
        keep = self._cursor
        self._visible, self._row_starts, self._rows = [], [], 0
        for i, entry in enumerate(self._entries):
            if self._passes(entry):
                self._append_visible(self._base + i, entry)
        self._line_cache.clear()
        self._resize()
        if self.follow or keep is None:
            self._cursor = self._visible[-1] if self._visible else None
            self.scroll_end(animate=False, immediate=True, x_axis=False)
        else:
            idx = bisect_left(self._visible, keep)
            self._cursor = self._visible[min(idx, len(self._visible) - 1)] if self._visible else None
            self._scroll_to_cursor(center=True)
        self.refresh()

    def _evict(self, count: int) -> None:
        del self._entries[:count]
        self._base += count
        self.dropped += count
        cut = bisect_left(self._visible, self._base)
        if cut:
            del self._visible[:cut]
            if self.wrap:
                removed_rows = self._row_starts[cut] if cut < len(self._row_starts) else self._rows
                self._row_starts = [r - removed_rows for r in self._row_starts[cut:]]
                self._rows -= removed_rows
            else:
                removed_rows = cut
                self._rows -= cut
            if not self.follow:
                self.scroll_to(y=max(0, self.scroll_y - removed_rows), animate=False, immediate=True)
        self._marks = {m for m in self._marks if m >= self._base}
        if self._cursor is not None and self._cursor < self._base:
            self._cursor = self._visible[0] if self._visible else None
        self._line_cache.clear()

    def _resize(self) -> None:
        width = self._width_cache if not self.wrap else 0
        self.virtual_size = Size(width, self._rows)

    # --- reactive toggles ---------------------------------------------------------------------

    def watch_wrap(self) -> None:
        self._rebuild()

    def watch_min_level(self) -> None:
        self._rebuild()

    def watch_show_timestamps(self) -> None:
        self._line_cache.clear()
        self.refresh()

    def watch_follow(self, follow: bool) -> None:
        if follow and self._visible:
            self._cursor = self._visible[-1]
            self.scroll_end(animate=False, immediate=True, x_axis=False)
            self.refresh()

    def on_resize(self, event: events.Resize) -> None:
        if self.wrap:
            self._rebuild()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._styles.clear()
        self._line_cache.clear()

    def on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        self.follow = False

    # --- actions ------------------------------------------------------------------------------

    def action_cursor(self, delta: int) -> None:
        if not self._visible:
            return
        idx = self._cursor_index()
        idx = max(0, min(len(self._visible) - 1, idx + delta))
        self._cursor = self._visible[idx]
        self.follow = delta > 0 and idx == len(self._visible) - 1 and self.follow
        self._scroll_to_cursor()
        self.refresh()

    def action_page(self, direction: int) -> None:
        self.action_cursor(direction * max(1, self.scrollable_content_region.height - 1))

    def action_home(self) -> None:
        self.follow = False
        if self._visible:
            self._cursor = self._visible[0]
        self.scroll_home(animate=False, immediate=True)
        self.refresh()

    def action_end(self) -> None:
        self.follow = True

    def action_toggle_follow(self) -> None:
        self.follow = not self.follow

    def action_toggle_wrap(self) -> None:
        self.wrap = not self.wrap

    def action_toggle_timestamps(self) -> None:
        self.show_timestamps = not self.show_timestamps

    def action_cycle_level(self) -> None:
        order = ("DEBUG", "INFO", "WARN", "ERROR")
        self.min_level = order[(order.index(self.min_level) + 1) % len(order)] if self.min_level in order else "DEBUG"

    def action_ask(self, kind: str) -> None:
        self.post_message(self.InputRequested(kind, self.filter_text if kind == "filter" else self.search_text))

    def action_next_match(self, direction: int, from_cursor: bool = False) -> None:
        search = self._search
        if search is None:
            return
        self._jump(direction, lambda e: search.search(self._plain(e)) is not None, include_current=from_cursor)

    def action_next_error(self, direction: int) -> None:
        self._jump(direction, lambda e: e.level in ("ERROR", "FATAL"))

    def action_toggle_mark(self) -> None:
        if self._cursor is not None:
            self._marks ^= {self._cursor}
            self._line_cache.clear()
            self.refresh()

    def action_next_mark(self) -> None:
        marks = set(self._marks)
        self._jump(1, lambda e: False, ids=marks)

    def action_select(self) -> None:
        entry = self.entry_at_cursor()
        if entry is not None:
            self.post_message(self.EntrySelected(entry))

    def action_save(self) -> None:
        self.post_message(self.SaveRequested())

    def _jump(self, direction: int, wanted: Any, *, include_current: bool = False, ids: set[int] | None = None) -> None:
        if not self._visible:
            return
        start = self._cursor_index()
        n = len(self._visible)
        offsets = range(0 if include_current else 1, n)
        for step in offsets:
            idx = (start + direction * step) % n
            abs_id = self._visible[idx]
            matched = abs_id in ids if ids is not None else wanted(self._entries[abs_id - self._base])
            if matched:
                self.follow = False
                self._cursor = abs_id
                self._scroll_to_cursor(center=True)
                self.refresh()
                return
        self.notify("No more matches.", severity="warning", timeout=2)

    def _cursor_index(self) -> int:
        if self._cursor is None:
            return len(self._visible) - 1
        return min(bisect_left(self._visible, self._cursor), len(self._visible) - 1)

    def _row_of(self, idx: int) -> int:
        return self._row_starts[idx] if self.wrap and idx < len(self._row_starts) else idx

    def _scroll_to_cursor(self, center: bool = False) -> None:
        if self._cursor is None:
            return
        row = self._row_of(self._cursor_index())
        height = max(1, self.scrollable_content_region.height)
        top = int(self.scroll_y)
        if center and not (top <= row < top + height):
            self.scroll_to(y=max(0, row - height // 2), animate=False, immediate=True)
        elif row < top:
            self.scroll_to(y=row, animate=False, immediate=True)
        elif row >= top + height:
            self.scroll_to(y=row - height + 1, animate=False, immediate=True)

    # --- rendering ----------------------------------------------------------------------------

    def _style(self, name: str) -> Style:
        style = self._styles.get(name)
        if style is None:
            style = self._styles[name] = self.get_component_rich_style(f"journal-view--{name}", partial=True)
        return style

    def _plain(self, entry: JournalLine, cut: bool = True) -> str:
        message = entry.message if not cut or len(entry.message) <= MAX_CHARS else entry.message[:MAX_CHARS]
        extra = _extra_fields(entry.fields)
        ts = f"{entry.timestamp:%H:%M:%S.%f}"[:-3] + " " if self.show_timestamps else ""
        ns = f"{entry.namespace}: " if entry.namespace else ""
        more = f" … [+{len(entry.message) - MAX_CHARS:,} chars]" if cut and len(entry.message) > MAX_CHARS else ""
        return neutralise(f"{ts}{entry.level:<5} {ns}{message}{more}" + (f"  {extra[:MAX_CHARS]}" if extra else ""))

    def _segments(self, abs_id: int, entry: JournalLine) -> list[Segment]:
        level_style = self._style(entry.level.lower() if entry.level in _RANK else "info")
        mark = Segment("▌" if abs_id in self._marks else " ", self._style("mark"))
        segs = [mark]
        if self.show_timestamps:
            segs.append(Segment(f"{entry.timestamp:%H:%M:%S.%f}"[:-3] + " ", self._style("timestamp")))
        segs.append(Segment(f"{entry.level:<5} ", level_style))
        if entry.namespace:
            segs.append(Segment(neutralise(entry.namespace) + ": ", self._style("namespace")))
        message = entry.message
        more = ""
        if len(message) > MAX_CHARS:
            more = f" … [+{len(message) - MAX_CHARS:,} chars]"
            message = message[:MAX_CHARS]
        segs.extend(self._highlighted(neutralise(message), level_style))
        extra = _extra_fields(entry.fields)
        if more or extra:
            segs.append(Segment(more + ("  " + neutralise(extra[:MAX_CHARS]) if extra else ""), self._style("fields")))
        return segs

    def _highlighted(self, text: str, style: Style) -> Iterable[Segment]:
        if self._search is None:
            return [Segment(text, style)]
        out: list[Segment] = []
        pos = 0
        match_style = style + self._style("match")
        for m in self._search.finditer(text):
            if m.end() == m.start():
                continue
            out.append(Segment(text[pos : m.start()], style))
            out.append(Segment(m.group(), match_style))
            pos = m.end()
        out.append(Segment(text[pos:], style))
        return out

    def _entry_strip(self, abs_id: int, width: int) -> Strip:
        key = (abs_id, abs_id == self._cursor, width if self.wrap else 0)
        cached = self._line_cache.get(key)
        if cached is not None:
            return cached
        entry = self._entries[abs_id - self._base]
        strip = Strip(self._segments(abs_id, entry))
        if abs_id == self._cursor:
            strip = strip.apply_style(self._style("cursor"))
        if not self.wrap and strip.cell_length > self._width_cache:
            self._width_cache = strip.cell_length
            self.call_later(self._resize)
        self._line_cache[key] = strip
        return strip

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.scrollable_content_region.width
        row = scroll_y + y
        if row >= self._rows or row < 0 or not self._visible:
            return Strip.blank(width, self.rich_style)
        if not self.wrap:
            strip = self._entry_strip(self._visible[row], 0)
            return strip.crop_extend(scroll_x, scroll_x + width, self.rich_style)
        idx = max(0, bisect_left(self._row_starts, row + 1) - 1)
        part = row - self._row_starts[idx]
        strip = self._entry_strip(self._visible[idx], width)
        pieces = strip.divide(range(width, strip.cell_length, width)) if width > 0 else [strip]
        if part >= len(pieces):
            return Strip.blank(width, self.rich_style)
        return pieces[part].extend_cell_length(width, self.rich_style)
