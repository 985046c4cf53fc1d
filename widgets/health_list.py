"""One line per health check: status mark, key figure, and the reason in words."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from services.core.safe_text import safe_text

MARKS = {"ok": "✓", "warn": "!", "critical": "✗", "unknown": "?", "checking": "…"}
FIGURE_WIDTH = 12
MIN_REASON = 12  # narrower than this, the reason goes on lines of its own below the check
REASON_LINES = 2  # a non-ok check's reason below it, at most this many lines (Enter shows it all)
# Worst first: the line an engineer must read is the top one whatever the pane's height.
RANK = {"critical": 0, "warn": 1, "unknown": 2, "checking": 3, "ok": 4}


@dataclass(frozen=True)
class HealthLine:
    """What one line shows; ``status`` is ok, warn, critical, unknown or checking."""

    name: str
    status: str
    figure: str = ""
    reason: str = ""


def worst_first(lines: Sequence[HealthLine]) -> list[HealthLine]:
    """The lines ordered critical, warn, unknown, checking, ok; the given order within each."""
    return sorted(lines, key=lambda line: RANK.get(line.status, RANK["unknown"]))


class HealthList(OptionList):
    """The health checks, worst first and in colour; Enter posts :class:`HealthList.Selected`.

    A narrow list (the dashboard at 80 columns) puts the reason of a check that is not ok on the
    lines below it, so that the first frame says what is wrong without a key.
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "health-list--ok",
        "health-list--warn",
        "health-list--critical",
        "health-list--unknown",
        "health-list--checking",
        "health-list--name",
        "health-list--figure",
    }

    DEFAULT_CSS = """
    HealthList {
        height: 1fr;
        border: none;
        padding: 0;
        background: transparent;
        text-wrap: nowrap;
        text-overflow: ellipsis;
        & > .health-list--ok { color: $success; }
        & > .health-list--warn { color: $warning; text-style: bold; }
        & > .health-list--critical { color: $error; text-style: bold; }
        & > .health-list--unknown { color: $text-muted; text-style: bold; }
        & > .health-list--checking { color: $text-muted; }
        & > .health-list--name { text-style: bold; }
        & > .health-list--figure { color: $text-muted; }
    }
    HealthList:focus { border: none; }
    """

    class Selected(Message):
        """Enter (or a click) on a check's line."""

        def __init__(self, health_list: HealthList, check: str) -> None:
            super().__init__()
            self.health_list = health_list
            self.check = check

        @property
        def control(self) -> HealthList:
            return self.health_list

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes, markup=False)
        self._health_lines: tuple[HealthLine, ...] = ()

    @property
    def lines(self) -> tuple[HealthLine, ...]:
        return self._health_lines

    def show(self, lines: Sequence[HealthLine]) -> None:
        """Replace the lines, keeping the cursor on the same check."""
        self._health_lines = tuple(worst_first(lines))
        if self.is_mounted:
            self._rebuild()

    def on_mount(self) -> None:
        self._rebuild()

    def on_resize(self) -> None:
        # Whether reasons fit depends on the width: a narrow pane shows marks and figures only.
        self._rebuild()

    def _rebuild(self) -> None:
        current = self.highlighted_option.id if self.highlighted_option is not None else None
        name_width = max((len(line.name) for line in self._health_lines), default=0)
        figure_width = min(FIGURE_WIDTH, max((len(line.figure) for line in self._health_lines), default=0))
        # Looked up once a rebuild, not per line: each lookup resolves the component's CSS.
        styles = {part: self.get_component_rich_style(f"health-list--{part}") for part in (*MARKS, "name", "figure")}
        width = self.scrollable_content_region.width
        self.set_options(
            Option(self._prompt(line, name_width, figure_width, styles, width), id=line.name)
            for line in self._health_lines
        )
        names = [line.name for line in self._health_lines]
        if names:
            self.highlighted = names.index(current) if current in names else 0

    @staticmethod
    def _prompt(line: HealthLine, name_width: int, figure_width: int, styles: dict[str, Style], width: int) -> Text:
        status = line.status if line.status in MARKS else "unknown"
        status_style = styles[status]
        figure = safe_text(line.figure)
        if len(figure) > figure_width:
            figure = figure[: figure_width - 1] + "…"
        text = Text(no_wrap=True, overflow="ellipsis", end="")
        text.append(MARKS[status] + " ", style=status_style)
        text.append(line.name.ljust(name_width) + " ", style=styles["name"])
        if figure_width:
            figure_style = status_style if status != "ok" else styles["figure"]
            text.append(figure.ljust(figure_width) + " ", style=figure_style)
        room = width - len(text)
        if room >= MIN_REASON or not width:
            text.append(safe_text(line.reason))
        elif line.reason and status not in ("ok", "checking"):
            for part in textwrap.wrap(
                safe_text(line.reason), max(8, width - 2), max_lines=REASON_LINES, placeholder="…"
            ):
                text.append("\n  " + part, style=status_style)
        return text

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id is not None:
            self.post_message(self.Selected(self, event.option.id))
