"""A fast view of journal entries: line API, levels, filters, search, marks, follow mode.

The entries live in a :class:`~widgets.journal_buffer.JournalBuffer` outside the renderer, the
jumps to errors, matches and marks in :class:`~widgets.journal_jumps.JournalJumps`.
``render_line`` draws only the rows on screen (from a cache of drawn entries), so a flood of
entries or a 1 MB line costs what the visible rows cost. Remote text is shown as text: control
and escape characters are drawn as ``\\xNN`` and nothing is read as markup.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from typing import Any, ClassVar

from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.timer import Timer

from widgets.journal_buffer import DEFAULT_MAX_BYTES, JournalBuffer, JournalLine, neutralise
from widgets.journal_jumps import JournalJumps, is_error
from widgets.journal_paint import JournalPainter

__all__ = ["JournalLine", "JournalView", "neutralise"]

FOLLOW_SECONDS = 0.2  # at most 5 follow repaints a second (a flood is unreadable anyway; keys get the time)

_PARTS = ("debug", "info", "warn", "error", "fatal", "timestamp", "namespace", "fields", "cursor", "match", "mark")


class JournalView(JournalJumps, ScrollView, can_focus=True):
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
    JournalView > .journal-view--cursor { background: $primary-muted; }
    JournalView > .journal-view--match { background: $warning-muted; }
    JournalView > .journal-view--mark { color: $accent; text-style: bold; }
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {f"journal-view--{part}" for part in _PARTS}

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "cursor(-1)", "Up", show=False),
        Binding("down,j", "cursor(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home", "home", "Top", show=False),  # g is the gateways view's key
        Binding("end,G", "end", "End/follow", show=False),
        # The footer shows the few keys of an incident; every key is on the help screen (?).
        Binding("E", "newest_error", "Newest error"),
        Binding("e", "older_error", "Older error", show=False),
        Binding("ctrl+e", "newer_error", "Newer error", show=False),
        Binding("space", "toggle_follow", "Pause"),
        Binding("l", "cycle_level", "Level", show=False),
        Binding("slash", "ask('filter')", "Filter"),
        Binding("f", "ask('search')", "Find", show=False),
        Binding("w", "toggle_wrap", "Wrap", show=False),
        Binding("t", "toggle_timestamps", "Time", show=False),
        Binding("n", "next_match(1)", "Next match", show=False),
        Binding("N", "next_match(-1)", "Previous match", show=False),
        Binding("m", "toggle_mark", "Mark", show=False),
        Binding("M", "next_mark", "Next mark", show=False),
        Binding("enter", "select", "Fields", show=False),
        Binding("ctrl+s", "save", "Save", show=False),
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

    def __init__(self, max_entries: int = 100_000, max_bytes: int = DEFAULT_MAX_BYTES, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.buffer = JournalBuffer(max_entries, max_bytes)
        self.painter = JournalPainter(self.buffer, self._style_of)
        self._width_cache = 0
        self._followed_at = 0.0
        self._catch_up_timer: Timer | None = None
        self._behind = False  # entries came while the view was not on screen
        self.waiting_for_error = False  # E before any error arrived: jump to the first one that does

    # --- data in ------------------------------------------------------------------------------

    def add_entries(self, entries: Sequence[JournalLine]) -> None:
        """Append entries (journal order); drops the oldest beyond ``max_entries``."""
        if not entries:
            return
        removed = self.buffer.add(entries)
        if removed and not self.follow:
            self.scroll_to(y=max(0, self.scroll_y - removed), animate=False, immediate=True)
            self.refresh()
        if self.follow:
            self.buffer.cursor = self.buffer.visible[-1] if self.buffer.visible else None
        if self.waiting_for_error and any(is_error(e) for e in entries):
            self.waiting_for_error = False
            self._resize()
            self.action_newest_error()
        # The new size and (following) the scroll to the newest: at most every FOLLOW_SECONDS.
        # A new virtual size lays out the whole screen, and in a flood each repaint draws every
        # row afresh; fewer of them leave the loop to the stream and the keys.
        wait = self._followed_at + FOLLOW_SECONDS - time.monotonic()
        if wait <= 0:
            self._catch_up()
        elif self._catch_up_timer is None:
            self._catch_up_timer = self.set_timer(wait, self._catch_up)

    def _catch_up(self) -> None:
        self._catch_up_timer = None
        if not self.is_on_screen:  # another tab shows: nothing to lay out until this one does (on_show)
            self._behind = True
            return
        self._behind = False
        self._followed_at = time.monotonic()
        self._resize()
        if self.follow:
            self.scroll_end(animate=False, immediate=True, x_axis=False)
            self.refresh()

    def on_show(self) -> None:
        if self._behind:
            self._catch_up()
            if self.follow:  # again once the new size is laid out (no scrollbar, no scrolling before)
                self.scroll_end(animate=False, x_axis=False)
            else:
                self.call_after_refresh(self._scroll_to_cursor, True)

    def clear(self) -> None:
        self.buffer.clear()
        self.painter.forget()
        self._resize()
        self.refresh()

    @property
    def dropped(self) -> int:
        return self.buffer.dropped

    @property
    def entry_count(self) -> int:
        return len(self.buffer.entries)

    @property
    def visible_count(self) -> int:
        return len(self.buffer.visible)

    @property
    def filter_text(self) -> str:
        return self.buffer.filter_text

    @property
    def search_text(self) -> str:
        return self.buffer.search_text

    def status_text(self) -> str:
        """The status line: rate, buffer use, drops, connection, mode, filters."""
        parts = self.buffer.status_parts()
        if self.connection:
            parts.insert(3, self.connection)
        parts.insert(4 if self.connection else 3, "FOLLOW" if self.follow else "PAUSED (End/space resumes)")
        return " · ".join(parts)

    def entry_at_cursor(self) -> JournalLine | None:
        return self.buffer.entry_at_cursor()

    def last_visible(self) -> JournalLine | None:
        """The newest entry that passes the level and filter."""
        return self.buffer.last_visible()

    def visible_text(self) -> Iterator[str]:
        """The filtered view as plain text lines (for saving), messages uncut."""
        return self.buffer.visible_text(timestamps=self.show_timestamps)

    # --- filters ------------------------------------------------------------------------------

    def set_filter(self, text: str) -> str:
        """Show only entries matching the regex (``!re`` hides them); returns an error or ''."""
        keep = self.buffer.cursor
        error = self.buffer.set_filter(text)
        if not error:
            self._after_rebuild(keep)
        return error

    def set_search(self, text: str) -> str:
        """Highlight matches and jump to the next one; returns an error or ''."""
        error = self.buffer.set_search(text)
        if error:
            return error
        self.painter.forget()
        if self.buffer.search is not None:
            self.action_next_match(1, from_cursor=True)
        self.refresh()
        return ""

    def _rebuild(self) -> None:
        keep = self.buffer.cursor
        self.buffer.rebuild()
        self._after_rebuild(keep)

    def _after_rebuild(self, keep: int | None) -> None:
        """Keep the cursor's entry (or the next one) in view."""
        self.painter.forget()
        self._resize()
        if self.follow or keep is None:
            self.buffer.cursor = self.buffer.visible[-1] if self.buffer.visible else None
            self.scroll_end(animate=False, immediate=True, x_axis=False)
        else:
            self.buffer.keep_cursor_near(keep)
            self._scroll_to_cursor(center=True)
        self.refresh()

    def _resize(self) -> None:
        if self.wrap:  # one scroll position an entry; the last one shows the newest ending on the bottom row
            region = self.scrollable_content_region
            height = max(1, region.height)
            last = self.painter.bottom_top(max(1, region.width), height, timestamps=self.show_timestamps)
            self.virtual_size = Size(0, last + height)
        else:
            self.virtual_size = Size(self._width_cache, len(self.buffer.visible))

    # --- reactive toggles ---------------------------------------------------------------------

    def watch_wrap(self, wrap: bool) -> None:
        self._after_rebuild(self.buffer.cursor)

    def watch_min_level(self, level: str) -> None:
        self.buffer.min_level = level
        self._rebuild()

    def watch_show_timestamps(self) -> None:
        if self.wrap:  # entries take other rows now
            self._after_rebuild(self.buffer.cursor)
        else:
            self.painter.forget()
            self.refresh()

    def watch_follow(self, follow: bool) -> None:
        if follow and self.buffer.visible:
            self.buffer.cursor = self.buffer.visible[-1]
            self.scroll_end(animate=False, immediate=True, x_axis=False)
            self.refresh()

    def on_resize(self, event: events.Resize) -> None:
        if self.wrap:
            self._after_rebuild(self.buffer.cursor)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self.painter.forget(styles=True)

    def on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        self.follow = False

    # --- actions ------------------------------------------------------------------------------

    def action_cursor(self, delta: int) -> None:
        visible = self.buffer.visible
        if not visible:
            return
        idx = max(0, min(len(visible) - 1, self.buffer.cursor_index() + delta))
        self.buffer.cursor = visible[idx]
        self.follow = delta > 0 and idx == len(visible) - 1 and self.follow
        self._scroll_to_cursor()
        self.refresh()

    def action_page(self, direction: int) -> None:
        self.action_cursor(direction * max(1, self.scrollable_content_region.height - 1))

    def action_home(self) -> None:
        self.follow = False
        if self.buffer.visible:
            self.buffer.cursor = self.buffer.visible[0]
        self.scroll_home(animate=False, immediate=True)
        self.refresh()

    def action_end(self) -> None:
        self.follow = True

    def action_toggle_follow(self) -> None:
        self.waiting_for_error = False
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

    def action_select(self) -> None:
        entry = self.entry_at_cursor()
        if entry is not None:
            self.post_message(self.EntrySelected(entry))

    def action_save(self) -> None:
        self.post_message(self.SaveRequested())

    def _at_end(self) -> bool:
        return self.scroll_y >= self.max_scroll_y

    # --- rendering ----------------------------------------------------------------------------

    def _style_of(self, name: str) -> Style:
        if name == "base":
            return self.rich_style
        return self.get_component_rich_style(f"journal-view--{name}", partial=True)

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        region = self.scrollable_content_region
        if self.wrap:
            return self.painter.wrapped_line(
                y, scroll_y, region.width, region.height, at_end=self._at_end(), timestamps=self.show_timestamps
            )
        strip = self.painter.line(scroll_y + y, scroll_x, region.width, timestamps=self.show_timestamps)
        if self.painter.widest > self._width_cache:
            self._width_cache = self.painter.widest
            self.call_later(self._resize)
        return strip
