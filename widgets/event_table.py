"""Live stack events, oldest first like a log, coloured by status (plain data in)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from rich.text import Text
from textual.widgets import DataTable

from services.core.safe_text import safe_text
from widgets.status_style import status_class, status_mark


@dataclass(frozen=True)
class EventRow:
    """One stack event as the table shows it."""

    event_id: str
    time: str  # e.g. "11-26 10:45:39"
    logical_id: str
    resource_type: str
    status: str
    reason: str


class EventTable(DataTable[Text]):
    """Stack events; small and slow data, so a DataTable is the right tool (STYLE.md)."""

    COMPONENT_CLASSES = DataTable.COMPONENT_CLASSES | {
        "event-table--ok",
        "event-table--busy",
        "event-table--bad",
        "event-table--idle",
    }

    DEFAULT_CSS = """
    EventTable { height: 1fr; }
    EventTable .event-table--ok { color: $success; }
    EventTable .event-table--busy { color: $warning; }
    EventTable .event-table--bad { color: $error; }
    EventTable .event-table--idle { color: $text-muted; }
    """

    MAX_ROWS = 2000
    WIDE = 130  # from this width on, statuses such as UPDATE_COMPLETE_CLEANUP_IN_PROGRESS are shown whole
    # Column widths (time, status, resource, type; the reason takes the rest). Narrow, a status
    # of up to 27 characters (UPDATE_ROLLBACK_IN_PROGRESS) fits; a longer one ends in "…".
    NARROW_WIDTHS = (14, 29, 18, 30)
    WIDE_WIDTHS = (14, 37, 24, 34)

    def __init__(self, **kwargs: object) -> None:
        super().__init__(cursor_type="row", zebra_stripes=False, **kwargs)  # type: ignore[arg-type]
        self._rows: dict[str, EventRow] = {}  # insertion-ordered, by event id
        self._widths = self.NARROW_WIDTHS  # until the first resize says the table is wide

    def on_mount(self) -> None:
        self._lay_out(self._widths)

    def on_resize(self) -> None:
        widths = self.WIDE_WIDTHS if self.size.width >= self.WIDE else self.NARROW_WIDTHS
        if widths != self._widths:
            self._lay_out(widths)

    def _lay_out(self, widths: tuple[int, int, int, int]) -> None:
        """(Re)build the columns at these widths and the rows in them, keeping the cursor's row."""
        cursor = self.cursor_row
        following = not self.row_count or cursor >= self.row_count - 1
        self._widths = widths
        self.clear(columns=True)
        for name, width in zip(("time", "status", "resource", "type"), widths, strict=True):
            self.add_column(name, key=name, width=width)
        self.add_column("reason", key="reason")
        for event in self._rows.values():
            self._add_row(event)
        if self.row_count:
            self.move_cursor(row=self.row_count - 1 if following else min(cursor, self.row_count - 1))

    def add_events(self, events: Iterable[EventRow]) -> None:
        """Append events in the order given (oldest first); duplicates are ignored.

        Like a log, the newest is at the bottom; the view follows it unless the operator moved
        the cursor up.
        """
        following = self.cursor_row >= self.row_count - 1
        for event in events:
            if event.event_id in self._rows:
                continue
            self._rows[event.event_id] = event
            self._add_row(event)
        while len(self._rows) > self.MAX_ROWS:
            oldest = next(iter(self._rows))
            del self._rows[oldest]
            self.remove_row(oldest)
        if following and self.row_count:
            self.move_cursor(row=self.row_count - 1)

    def _add_row(self, event: EventRow) -> None:
        style = self.get_component_rich_style(f"event-table--{status_class(event.status, resource=True)}", partial=True)
        status = safe_text(event.status)
        room = self._widths[1] - 2  # after the mark and its space
        if len(status) > room:
            status = status[: room - 1] + "…"
        self.add_row(
            Text(event.time),
            Text(f"{status_mark(event.status, resource=True)} {status}", style=style),
            Text(safe_text(event.logical_id)),
            Text(safe_text(event.resource_type)),
            Text(safe_text(event.reason)),
            key=event.event_id,
        )
