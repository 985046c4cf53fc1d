"""The Stack pane's content: status, outputs, key parameters and resources, from plain data."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from rich.console import Group
from rich.style import Style
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from services.core.safe_text import safe_text
from widgets.status_style import status_class, status_mark


@dataclass(frozen=True)
class ResourceRow:
    """One resource line: logical id, type, status, physical id, and whether it holds data."""

    logical_id: str
    type: str
    status: str
    physical_id: str
    stateful: bool = False


@dataclass(frozen=True)
class StackSummaryData:
    """Everything the pane shows, as plain values."""

    name: str
    region: str
    status: str
    status_reason: str
    last_updated: str
    outputs: Sequence[tuple[str, str]]
    parameters: Sequence[tuple[str, str, bool]]  # key, value, requires database migration when changed
    resources: Sequence[ResourceRow]


class StackSummary(VerticalScroll, can_focus=True):
    """A scrollable summary of one CloudFormation stack.

    Remote strings are rendered as ``Text`` (never markup) with control characters escaped.
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "stack-summary--ok",
        "stack-summary--busy",
        "stack-summary--bad",
        "stack-summary--idle",
        "stack-summary--key",
        "stack-summary--heading",
        "stack-summary--stateful",
    }

    DEFAULT_CSS = """
    StackSummary { height: 1fr; padding: 0 1; }
    StackSummary > Static { width: 1fr; }
    StackSummary .stack-summary--ok { color: $success; text-style: bold; }
    StackSummary .stack-summary--busy { color: $warning; text-style: bold; }
    StackSummary .stack-summary--bad { color: $error; text-style: bold; }
    StackSummary .stack-summary--idle { color: $text-muted; }
    StackSummary .stack-summary--key { color: $text-muted; }
    StackSummary .stack-summary--heading { color: $accent; text-style: bold; }
    StackSummary .stack-summary--stateful { color: $warning; }
    """

    def compose(self) -> ComposeResult:
        yield Static(Text("Loading the stack…"), id="stack-body")

    def show_message(self, message: str, *, error: bool = False) -> None:
        """Replace the content with one sentence (loading, or what failed)."""
        style = self._style("bad") if error else Style()
        self.query_one("#stack-body", Static).update(Text(safe_text(message), style=style))

    def show(self, data: StackSummaryData) -> None:
        """Render a stack."""
        self.query_one("#stack-body", Static).update(self._render_summary(data))

    def _style(self, name: str) -> Style:
        return self.get_component_rich_style(f"stack-summary--{name}", partial=True)

    def _grid(self) -> Table:
        grid = Table.grid(padding=(0, 1), expand=True)
        grid.add_column(no_wrap=True, max_width=24, overflow="ellipsis")
        grid.add_column(ratio=1, overflow="fold")
        return grid

    def _render_summary(self, data: StackSummaryData) -> Group:
        # Three grids, so the short output names do not take the width of the longest parameter.
        key = self._style("key")
        heading = self._style("heading")
        head = self._grid()
        kind = status_class(data.status)
        head.add_row(
            Text(f"{status_mark(data.status)} status", style=key), Text(safe_text(data.status), style=self._style(kind))
        )
        if data.status_reason:
            head.add_row(Text("reason", style=key), Text(safe_text(data.status_reason)))
        head.add_row(Text("updated", style=key), Text(data.last_updated))
        for name, value in data.outputs:
            head.add_row(Text(safe_text(name), style=key), Text(safe_text(value), style="bold"))
        parameters = self._grid()
        for name, value, migration in data.parameters:
            line = Text(safe_text(value)) if value else Text("(empty)", style="dim")  # not a blank beside a warning
            if migration:
                line.append("  ⚠ db migration", style=self._style("stateful"))
            parameters.add_row(Text(safe_text(name), style=key), line)
        resources = self._grid()
        for row in data.resources:
            kind = status_class(row.status, resource=True)
            line = Text(f"{status_mark(row.status, resource=True)} ", style=self._style(kind))
            line.append(safe_text(row.type.removeprefix("AWS::")), style=self._style("stateful") if row.stateful else Style())
            line.append(f"  {safe_text(row.physical_id)}", style=key)
            resources.add_row(Text(safe_text(row.logical_id)), line)
        return Group(
            head,
            Text("Parameters", style=heading),
            parameters,
            Text("Resources", style=heading),
            resources,
        )
