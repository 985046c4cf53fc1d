"""A live, bounded feed of uplinks: line API, pause, filter, a cursor, Enter to open one.

Rows live in a deque outside the renderer (at most ``max_lines`` and ``max_bytes`` as
``sizer`` counts them: 20,000 uplinks of 64 KB payloads would otherwise hold 1.3 GB; the oldest
are evicted and counted) as the caller's own items; ``formatter`` turns an item into a :class:`FeedLine` only
when it is drawn (or filtered), so thousands of uplinks a second cost what the visible rows cost. Text from devices is drawn as text: control characters appear as
``\\xNN`` and nothing is read as markup.
"""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any, ClassVar

from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from services.core.safe_text import safe_text

DEFAULT_MAX_BYTES = 256 * 1024 * 1024
ITEM_OVERHEAD = 512  # an item's objects besides its sized text (the pane's sizer adds the payload)
REPAINT_SECONDS = 0.1
FLOOD_ROWS = 200  # rows added since the last repaint that make it a flood
FLOOD_REPAINT_TICKS = 2  # during a flood, repaint every 2nd tick at most (5 a second)
# The columns that answer "are uplinks arriving, how good is the radio" first: at 80 columns the
# radio is on screen and the rest scrolls horizontally (left/right).
HEADER = (
    f"{'TIME':<8} {'DEVICE':<22} {'F_CNT':>7} {'':<9} {'RSSI':>5} {'SNR':>6} {'GW':>2} {'APPLICATION':<16} "
    f"{'PORT':>4} {'SF/BW':<8} {'MHz':>7}  PAYLOAD"
)
ROW_WIDTH = len(HEADER) + 120  # how far the view scrolls to the right: the payload's first 120 characters


@dataclass(frozen=True)
class FeedLine:
    """One row: already-formatted cells; ``item`` is handed back when the row is chosen."""

    time: str
    application: str
    device: str
    f_cnt: str
    mark: str  # "+3 lost", "rejoin", "broken", ""
    port: str
    radio: str  # "SF9/125"
    mhz: str
    rssi: str
    snr: str
    gateways: str
    summary: str
    kind: str = "ok"  # ok | gap | reset | broken
    item: Any = None

    @cached_property
    def text(self) -> str:
        """The row as drawn: :meth:`plain` with control characters made visible (computed once)."""
        return safe_text(self.plain(), tabs=4)

    def plain(self) -> str:
        return (
            f"{self.time:<8} {self.device[:22]:<22} {self.f_cnt:>7} {self.mark[:9]:<9} {self.rssi:>5} "
            f"{self.snr:>6} {self.gateways:>2} {self.application[:16]:<16} {self.port:>4} {self.radio:<8} "
            f"{self.mhz:>7}  {self.summary}"
        )

    def matches(self, terms: Sequence[tuple[str, str]]) -> bool:
        for field, value in terms:
            if field == "app" and value not in self.application.lower():
                return False
            if field == "device" and value not in self.device.lower():
                return False
            if field == "text" and value not in self.plain().lower():
                return False
        return True


def parse_filter(text: str) -> list[tuple[str, str]]:
    """``app:ID device:ID words`` → terms; every term must match (case-insensitive substrings)."""
    terms: list[tuple[str, str]] = []
    for word in text.lower().split():
        key, sep, value = word.partition(":")
        if sep and key in ("app", "application") and value:
            terms.append(("app", value))
        elif sep and key in ("dev", "device") and value:
            terms.append(("device", value))
        else:
            terms.append(("text", word))
    return terms


def _as_line(item: Any) -> FeedLine:
    if isinstance(item, FeedLine):
        return item
    raise TypeError(f"UplinkFeedView needs a formatter for {type(item).__name__} items")


class UplinkFeedView(ScrollView, can_focus=True):
    """The uplink feed: newest at the bottom, followed unless paused or scrolled away."""

    DEFAULT_CSS = """
    UplinkFeedView { background: $surface; color: $text; height: 1fr; overflow: auto auto; }
    UplinkFeedView > .uplink-feed--header { color: $text-muted; text-style: bold; }
    UplinkFeedView > .uplink-feed--gap { color: $warning; }
    UplinkFeedView > .uplink-feed--reset { color: $accent; text-style: bold; }
    UplinkFeedView > .uplink-feed--broken { color: $error; }
    UplinkFeedView > .uplink-feed--cursor { background: $boost; text-style: bold; }
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "uplink-feed--header",
        "uplink-feed--gap",
        "uplink-feed--reset",
        "uplink-feed--broken",
        "uplink-feed--cursor",
    }

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "cursor(-1)", "Up", show=False),
        Binding("left", "scroll_left", "Left", show=False),
        Binding("right", "scroll_right", "Right", show=False),
        Binding("down,j", "cursor(1)", "Down", show=False),
        Binding("pageup", "cursor(-20)", "Page up", show=False),
        Binding("pagedown", "cursor(20)", "Page down", show=False),
        Binding("home", "home", "Oldest", show=False),  # g opens the pane's gateways view
        Binding("end,G", "end", "Newest", show=False),
        Binding("enter", "choose", "Open", show=False),
    ]

    paused: reactive[bool] = reactive(False)

    class Chosen(Message):
        """Enter on a row: the pane opens its item."""

        def __init__(self, line: FeedLine) -> None:
            super().__init__()
            self.line = line

    def __init__(
        self,
        max_lines: int = 20_000,
        formatter: Callable[[Any], FeedLine] | None = None,
        *,
        max_bytes: int = DEFAULT_MAX_BYTES,
        sizer: Callable[[Any], int] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.max_lines = max(1, max_lines)
        self.max_bytes = max(1, max_bytes)
        self.sizer: Callable[[Any], int] = sizer or (lambda item: ITEM_OVERHEAD)
        self.bytes = 0  # of the rows kept (not those held while paused)
        self._sizes: deque[int] = deque()
        self.formatter: Callable[[Any], FeedLine] = formatter or _as_line
        self._formatted: LRUCache[int, tuple[Any, FeedLine]] = LRUCache(1024)
        self._lines: deque[Any] = deque()
        self._held: list[Any] = []
        self._visible: list[Any] = []
        self._terms: list[tuple[str, str]] = []
        self.filter_text = ""
        self.evicted = 0
        self._cursor: int | None = None  # index into _visible; None = follow the newest
        self._styles: dict[str, Style] = {}
        self._dirty = False
        self._added_since_repaint = 0
        self._ticks_waited = 0

    # --- data in ------------------------------------------------------------------------------

    def line(self, item: Any) -> FeedLine:
        """The formatted row of an item (cached while it is likely to be drawn again)."""
        cached = self._formatted.get(id(item))
        if cached is not None and cached[0] is item:
            return cached[1]
        line = self.formatter(item)
        self._formatted.set(id(item), (item, line))
        return line

    def add_lines(self, lines: Sequence[Any]) -> None:
        """Append items; while paused they wait (bounded) and appear on resume."""
        if not lines:
            return
        if self.paused:
            self._held.extend(lines)
            cut = max(0, len(self._held) - self.max_lines)
            held_bytes = sum(self.sizer(item) for item in self._held[cut:])
            while held_bytes > self.max_bytes and cut < len(self._held) - 1:
                held_bytes -= self.sizer(self._held[cut])
                cut += 1
            if cut:
                self.evicted += cut
                del self._held[:cut]
            return
        self._append(lines)
        self._added_since_repaint += len(lines)
        self._after_change()

    def _append(self, lines: Sequence[Any]) -> None:
        self._lines.extend(lines)
        sizes = [self.sizer(item) for item in lines]
        self._sizes.extend(sizes)
        self.bytes += sum(sizes)
        terms = self._terms
        if terms:
            self._visible.extend(item for item in lines if self.formatter(item).matches(terms))
        else:
            self._visible.extend(lines)
        overflow = max(0, len(self._lines) - self.max_lines)
        freed = sum(itertools.islice(self._sizes, 0, overflow))
        for size in itertools.islice(self._sizes, overflow, len(self._sizes) - 1):  # the newest always stays
            if self.bytes - freed <= self.max_bytes:
                break
            freed += size
            overflow += 1
        if overflow > 0:
            self.evicted += overflow
            self.bytes -= freed
            for _ in range(overflow):
                self._sizes.popleft()
            gone = [self._lines.popleft() for _ in range(overflow)]
            if terms:
                gone_ids = {id(line) for line in gone}
                cut = 0
                while cut < len(self._visible) and id(self._visible[cut]) in gone_ids:
                    cut += 1
            else:
                cut = overflow
            if cut:
                del self._visible[:cut]
                if self._cursor is not None:
                    self._cursor = max(0, self._cursor - cut)
                    self.scroll_to(y=max(0, self.scroll_y - cut), animate=False, immediate=True)

    def on_mount(self) -> None:
        # Repaints are coalesced: at most 10 a second, and 5 during a flood (a frame costs the same however many
        # rows arrived, and every one of them delays the keys queued behind it).
        self.set_interval(REPAINT_SECONDS, self._tick)

    def on_show(self) -> None:
        if self._dirty:
            self._repaint()
            if self._cursor is None:  # again once the new size is laid out (no scrollbar, no scrolling before)
                self.scroll_end(animate=False, x_axis=False)

    def _after_change(self, immediate: bool = False) -> None:
        self._dirty = True
        if immediate:  # the operator did something: show it now
            self._repaint()

    def _tick(self) -> None:
        # Not on screen (another tab shows): wait. A new virtual size lays out the whole screen,
        # which would redraw the tab that does show, ten times a second, for rows nobody sees.
        if not self._dirty or not self.is_on_screen:
            return
        self._ticks_waited += 1
        if self._added_since_repaint >= FLOOD_ROWS and self._ticks_waited < FLOOD_REPAINT_TICKS:
            return
        self._repaint()

    def _repaint(self) -> None:
        if not self._dirty:
            return
        self._dirty = False
        self._ticks_waited = 0
        self._added_since_repaint = 0
        self.virtual_size = Size(ROW_WIDTH, len(self._visible) + 1)
        if self._cursor is None:
            self.scroll_end(animate=False, immediate=True, x_axis=False)
        self.refresh()

    def clear(self) -> None:
        self._lines.clear()
        self._sizes.clear()
        self.bytes = 0
        self._visible.clear()
        self._held.clear()
        self._cursor = None
        self._after_change(immediate=True)

    @property
    def line_count(self) -> int:
        return len(self._lines)

    @property
    def visible_items(self) -> list[Any]:
        return list(self._visible)

    @property
    def visible_lines(self) -> list[FeedLine]:
        return [self.line(item) for item in self._visible]

    @property
    def held_count(self) -> int:
        return len(self._held)

    def set_filter(self, text: str) -> None:
        self.filter_text = text
        self._terms = parse_filter(text)
        self._visible = [item for item in self._lines if not self._terms or self.formatter(item).matches(self._terms)]
        self._cursor = None
        self._after_change(immediate=True)

    def watch_paused(self, paused: bool) -> None:
        if not paused and self._held:
            held, self._held = self._held, []
            self._append(held)
            self._after_change(immediate=True)

    # --- actions ------------------------------------------------------------------------------

    def action_cursor(self, delta: int) -> None:
        if not self._visible:
            return
        current = len(self._visible) - 1 if self._cursor is None else self._cursor
        self._cursor = max(0, min(len(self._visible) - 1, current + delta))
        if self._cursor == len(self._visible) - 1 and delta > 0:
            self._cursor = None  # back at the newest: follow again
            self.scroll_end(animate=False, immediate=True, x_axis=False)
        else:
            self._scroll_to_cursor()
        self.refresh()

    def _scroll_to_cursor(self) -> None:
        if self._cursor is None:
            return
        row = self._cursor + 1
        height = max(1, self.scrollable_content_region.height)
        if row < self.scroll_y + 1:
            self.scroll_to(y=row - 1, animate=False, immediate=True)
        elif row >= self.scroll_y + height:
            self.scroll_to(y=row - height + 1, animate=False, immediate=True)

    def action_home(self) -> None:
        if self._visible:
            self._cursor = 0
            self.scroll_home(animate=False, immediate=True)
            self.refresh()

    def action_end(self) -> None:
        self._cursor = None
        self.scroll_end(animate=False, immediate=True, x_axis=False)
        self.refresh()

    def action_choose(self) -> None:
        line = self.line_at_cursor()
        if line is not None:
            self.post_message(self.Chosen(line))

    def line_at_cursor(self) -> FeedLine | None:
        if not self._visible:
            return None
        return self.line(self._visible[-1 if self._cursor is None else self._cursor])

    # --- drawing ------------------------------------------------------------------------------

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._styles.clear()

    def _style(self, name: str) -> Style:
        if name not in self._styles:
            self._styles[name] = (
                self.rich_style if name == "base" else self.get_component_rich_style(f"uplink-feed--{name}")
            )
        return self._styles[name]

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.scrollable_content_region.width
        base = self._style("base")
        if y == 0:  # the header stays put
            return Strip([Segment(HEADER, base + self._style("header"))]).crop_extend(scroll_x, scroll_x + width, base)
        index = scroll_y + y - 1
        if index >= len(self._visible) or index < 0:
            return Strip.blank(width, base)
        line = self.line(self._visible[index])
        style = base if line.kind == "ok" else base + self._style(line.kind)
        cursor = len(self._visible) - 1 if self._cursor is None else self._cursor
        if index == cursor and self.has_focus:
            style += self._style("cursor")
        text = line.text
        if text.isascii():  # one cell a character: cut and pad here, one Strip instead of three
            return Strip([Segment(text[scroll_x : scroll_x + width].ljust(width), style)], width)
        return Strip([Segment(text, style)]).crop_extend(scroll_x, scroll_x + width, style)
