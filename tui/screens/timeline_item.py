"""One timeline item where it came from: its source, its reference and every field it carries.

Enter on the Timeline's list opens it; Escape closes. The reference names where the item lives
(a journal cursor for ``logs``/``journalctl --after-cursor``, a stack event id, an audit line, a
check and its time), so the operator can go there with the tool that owns it.
"""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from services.timeline.model import TimelineItem

MAX_VALUE = 2000


class TimelineItemScreen(ModalScreen[None]):
    """The item's time, source, kind, severity, summary, reference and details."""

    DEFAULT_CSS = """
    TimelineItemScreen { align: center middle; }
    TimelineItemScreen > Vertical { width: 90%; height: 80%; border: thick $accent; background: $surface; }
    TimelineItemScreen #item-title { padding: 0 1; color: $text-muted; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,q,enter", "dismiss", "Close")]

    def __init__(self, entry: TimelineItem) -> None:
        super().__init__()
        self.entry = entry

    def compose(self) -> ComposeResult:
        e = self.entry
        table = Table.grid(padding=(0, 2))
        table.add_column(style="bold", no_wrap=True)
        table.add_column(overflow="fold")
        rows = [
            ("time", f"{e.time:%Y-%m-%d %H:%M:%S} UTC"),
            ("source", e.source),
            ("kind", e.kind),
            ("severity", e.severity),
            ("summary", e.summary),
            ("where", e.ref),
        ]
        if e.count > 1:
            rows.append(("count", str(e.count)))
        if e.new:
            rows.append(("new", "first seen in this range"))
        rows += [(k, v if len(v) <= MAX_VALUE else v[:MAX_VALUE] + " …") for k, v in e.details if v]
        for key, value in rows:
            # Text objects: remote text is never read as markup.
            table.add_row(Text(key), Text(value))
        with Vertical():
            yield Static(Text(f"{e.source} · {e.time:%H:%M:%S}"), id="item-title")
            with VerticalScroll():
                yield Static(table, id="item-fields")
