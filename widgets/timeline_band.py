"""A band of per-minute strips on one time axis (errors, uplinks, health, changes), the cursor's minute lit.

Plain data in: ``band.show(strips, start_label, end_label)`` with one value per minute for each
strip; ``band.cursor = minute`` moves the highlight. More minutes than columns are folded into
columns (sums for counts, the worst for health).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from rich.console import RenderableType
from rich.style import Style
from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

LEVELS = " ▁▂▃▄▅▆▇█"
ROWS = (("errors", "errors"), ("uplinks", "uplinks"), ("health", "health"), ("changes", "changes"))
LABEL = 9


def fold(values: Sequence[float], width: int, *, worst: bool = False) -> list[float]:
    """``values`` folded into ``width`` columns: sums, or the maximum when ``worst``."""
    if width <= 0:
        return []
    out = [0.0] * width
    n = len(values)
    for i, v in enumerate(values):
        col = i * width // n if n else 0
        out[col] = max(out[col], v) if worst else out[col] + v
    return out


def column_of(minute: int, minutes: int, width: int) -> int:
    return min(width - 1, minute * width // max(1, minutes)) if width > 0 else 0


class TimelineBand(Widget):
    """Four strips over the range; health is coloured by status, the others scaled to their peak."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "timeline-band--label",
        "timeline-band--errors",
        "timeline-band--uplinks",
        "timeline-band--changes",
        "timeline-band--ok",
        "timeline-band--warn",
        "timeline-band--critical",
        "timeline-band--cursor",
    }
    DEFAULT_CSS = """
    TimelineBand { height: 5; }
    TimelineBand > .timeline-band--label { color: $text-muted; }
    TimelineBand > .timeline-band--errors { color: $error; }
    TimelineBand > .timeline-band--uplinks { color: $accent; }
    TimelineBand > .timeline-band--changes { color: $warning; }
    TimelineBand > .timeline-band--ok { color: $success; }
    TimelineBand > .timeline-band--warn { color: $warning; }
    TimelineBand > .timeline-band--critical { color: $error; }
    TimelineBand > .timeline-band--cursor { background: $accent 40%; }
    """

    cursor: reactive[int] = reactive(0)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._strips: dict[str, tuple[float, ...]] = {}
        self._minutes = 0
        self._start = ""
        self._end = ""

    def show(self, strips: Mapping[str, Sequence[float]], *, start: str = "", end: str = "") -> None:
        self._strips = {name: tuple(values) for name, values in strips.items()}
        self._minutes = max((len(v) for v in self._strips.values()), default=0)
        self._start, self._end = start, end
        self.refresh()

    def watch_cursor(self) -> None:
        self.refresh()

    def _style(self, name: str) -> Style:
        return self.get_component_rich_style(f"timeline-band--{name}", partial=True)

    def render(self) -> RenderableType:
        width = max(1, self.content_region.width - LABEL)
        if not self._minutes:
            return Text("no data yet", style=self._style("label"))
        cursor_col = column_of(self.cursor, self._minutes, width)
        cursor = self._style("cursor")
        text = Text(no_wrap=True, overflow="crop")
        for key, label in ROWS:
            text.append(f"{label:<{LABEL - 1}} ", style=self._style("label"))
            values = self._strips.get(key)
            if values is None:
                text.append("not read".ljust(width), style=self._style("label"))
            elif key == "health":
                self._health_row(text, fold(values, width, worst=True), cursor_col, cursor)
            else:
                self._level_row(text, fold(values, width), key, cursor_col, cursor)
            text.append("\n")
        axis = self._start + self._end.rjust(max(0, width - len(self._start)))
        text.append(" " * LABEL + axis[:width], style=self._style("label"))
        return text

    def _level_row(self, text: Text, columns: list[float], key: str, cursor_col: int, cursor: Style) -> None:
        top = max(columns, default=0.0) or 1.0
        style = self._style(key)
        for col, v in enumerate(columns):
            char = LEVELS[min(8, max(1 if v > 0 else 0, round(v / top * 8)))]
            text.append(char, style=style + cursor if col == cursor_col else style)

    def _health_row(self, text: Text, columns: list[float], cursor_col: int, cursor: Style) -> None:
        for col, v in enumerate(columns):
            name = "ok" if v <= 0 else "warn" if v < 3 else "critical"
            char = "▂" if v <= 0 else "▅" if v < 3 else "█"
            style = self._style(name)
            text.append(char, style=style + cursor if col == cursor_col else style)
