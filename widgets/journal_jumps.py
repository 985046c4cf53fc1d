"""The journal view's jumps: to errors (``E`` ``e`` ctrl+e), search matches (``n`` ``N``) and marks (``m`` ``M``).

A plain mixin of :class:`~widgets.journal_view.JournalView` (kept apart so that the view's module
holds its data, toggles and rendering): each jump moves the buffer's cursor to an entry, pauses
following and scrolls that entry into view, unwrapped or wrapped.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from widgets.journal_buffer import JournalLine, plain_line

if TYPE_CHECKING:
    from textual.geometry import Region

    from widgets.journal_buffer import JournalBuffer
    from widgets.journal_paint import JournalPainter

_TRACE_LINE = re.compile(r"^(?:\s|\S+\.go:\d+)")  # a stack-trace line under an error, not an error of its own


def is_error(entry: JournalLine) -> bool:
    return entry.level in ("ERROR", "FATAL")


class JournalJumps:
    """Moves the journal view's cursor to errors, matches and marks (see the module's docstring)."""

    if TYPE_CHECKING:
        buffer: JournalBuffer
        painter: JournalPainter
        follow: bool
        wrap: bool
        show_timestamps: bool
        waiting_for_error: bool
        scroll_y: float
        scrollable_content_region: Region

        def scroll_to(self, *args: Any, **kwargs: Any) -> Any: ...
        def notify(self, *args: Any, **kwargs: Any) -> None: ...
        def refresh(self, *args: Any, **kwargs: Any) -> Any: ...
        def call_after_refresh(self, *args: Any, **kwargs: Any) -> bool: ...
        def _at_end(self) -> bool: ...

    def action_next_match(self, direction: int, from_cursor: bool = False) -> None:
        search = self.buffer.search
        if search is None:
            return
        timestamps = self.show_timestamps
        self._jump(
            self.buffer.find(
                direction,
                lambda e: search.search(plain_line(e, timestamps=timestamps)) is not None,
                include_current=from_cursor,
            )
        )

    def action_newest_error(self) -> None:
        """The newest error; with none yet, wait (still following) and jump when one arrives."""
        visible = self.buffer.visible
        at = next((n for n in range(len(visible) - 1, -1, -1) if is_error(self.buffer.entry(visible[n]))), None)
        while at and _TRACE_LINE.match(self.buffer.entry(visible[at]).message):
            if not is_error(self.buffer.entry(visible[at - 1])):
                break
            at -= 1  # up to the error the trace belongs to
        found = None if at is None else visible[at]
        if found is None:
            self.waiting_for_error = True
            self.notify("No error yet: the view jumps to the first one that arrives.", timeout=3)
            return
        self.waiting_for_error = False
        self._jump(found)

    def action_older_error(self) -> None:
        """From the live tail the newest error, then further back; it never wraps to the oldest."""
        self.waiting_for_error = False
        self._jump(self.buffer.find(-1, is_error, include_current=self.follow, wrap=False), "No older error.")

    def action_newer_error(self) -> None:
        self.waiting_for_error = False
        self._jump(self.buffer.find(1, is_error, wrap=False), "No newer error.")

    def action_toggle_mark(self) -> None:
        if self.buffer.cursor is not None:
            self.buffer.toggle_mark()
            self.painter.forget()
            self.refresh()

    def action_next_mark(self) -> None:
        self._jump(self.buffer.find(1, ids=self.buffer.marks))

    def _jump(self, entry_id: int | None, none_left: str = "No more matches.") -> None:
        if entry_id is None:
            if self.buffer.visible:
                self.notify(none_left, severity="warning", timeout=2)
            return
        self.follow = False
        self.buffer.cursor = entry_id
        self._scroll_to_cursor(center=True)
        # Again once laid out: a jump made as the tab appears (E from the dashboard) or as the first
        # entries arrive has no size to scroll within yet.
        self.call_after_refresh(self._scroll_to_cursor, True)
        self.refresh()

    def _scroll_to_cursor(self, center: bool = False) -> None:
        if self.buffer.cursor is None:
            return
        index = self.buffer.cursor_index()
        region = self.scrollable_content_region
        height = max(1, region.height)
        top = int(self.scroll_y)
        if self.wrap:
            wrapped_top = self.painter.wrapped_top_for(
                index,
                top,
                max(1, region.width),
                height,
                at_end=self._at_end(),
                center=center,
                timestamps=self.show_timestamps,
            )
            if wrapped_top is not None:
                self.scroll_to(y=wrapped_top, animate=False, immediate=True)
        elif center and not (top <= index < top + height):
            self.scroll_to(y=max(0, index - height // 2), animate=False, immediate=True)
        elif index < top:
            self.scroll_to(y=index, animate=False, immediate=True)
        elif index >= top + height:
            self.scroll_to(y=index - height + 1, animate=False, immediate=True)
