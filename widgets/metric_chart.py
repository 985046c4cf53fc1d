"""A bar chart of one metric series over time (block characters, one column per period)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.console import RenderableType
from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

EIGHTHS = " ▁▂▃▄▅▆▇█"


def bars(values: Sequence[float], width: int, height: int) -> list[str]:
    """Rows of a bar chart (top row first).

    More values than columns are averaged into columns; fewer are widened to fill the width
    (with a one-column gap once bars are three columns wide, so periods stay countable).
    """
    if not values or width <= 0 or height <= 0:
        return [" " * max(0, width)] * max(0, height)
    columns = _resample(values, width)
    span = max(1, width // len(columns))
    gap = 1 if span >= 3 else 0
    top = max(columns) or 1.0
    rows = []
    for level in range(height, 0, -1):
        row = []
        for v in columns:
            eighths = round(v / top * height * 8) - (level - 1) * 8
            row.append(EIGHTHS[max(0, min(8, eighths))] * (span - gap) + " " * gap)
        rows.append("".join(row))
    return rows


def _resample(values: Sequence[float], width: int) -> list[float]:
    if len(values) <= width:
        return list(values)
    sums, counts = [0.0] * width, [0] * width
    for i, v in enumerate(values):
        sums[i * width // len(values)] += v
        counts[i * width // len(values)] += 1
    return [s / n if n else 0.0 for s, n in zip(sums, counts, strict=True)]


class MetricChart(Widget):
    """``chart.show(title, values, start_label, end_label)``; colour by ``variant`` (accent, error)."""

    DEFAULT_CSS = """
    MetricChart { height: 8; border: round $panel; padding: 0 1; color: $accent; }
    MetricChart.-error { color: $error; }
    """

    title: reactive[str] = reactive("")

    def __init__(self, title: str = "", *, variant: str = "", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.title = title
        self.border_title = title
        self._values: tuple[float, ...] = ()
        self._caption = ""
        if variant:
            self.add_class(f"-{variant}")

    def show(self, values: Sequence[float], *, start: str = "", end: str = "", unit: str = "") -> None:
        self._values = tuple(values)
        total = sum(self._values)
        peak = max(self._values, default=0.0)
        self.border_subtitle = f"total {total:,.0f}{unit} · peak {peak:,.0f}{unit}/period"
        self._caption = f"{start}{' ' if start else ''}→{' ' if end else ''}{end}"
        self.refresh()

    def render(self) -> RenderableType:
        width = max(1, self.content_region.width)
        height = max(1, self.content_region.height - 1)
        if not self._values:
            return Text("no data", style="dim")
        text = Text("\n".join(bars(self._values, width, height)))
        text.append("\n" + self._caption[:width], style="dim")
        return text
