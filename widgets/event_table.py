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

    def __init__(self, **kwargs: object) -> None:
        super().__init__(cursor_type="row", zebra_stripes=False, **kwargs)  # type: ignore[arg-type]
        self._seen: dict[str, None] = {}  # insertion-ordered event ids

    def on_mount(self) -> None:
        self.add_column("time", key="time", width=14)
        self.add_column("status", key="status", width=24)
        self.add_column("resource", key="resource", width=18)
        self.add_column("type", key="type", width=30)
        self.add_column("reason", key="reason")

    def add_events(self, events: Iterable[EventRow]) -> None:
        """Append events in the order given (oldest first); duplicates are ignored.

        Like a log, the newest is at the bottom; the view follows it unless the operator moved
        the cursor up.
        """
        following = self.cursor_row >= self.row_count - 1
        for event in events:
            if event.event_id in self._seen:
                continue
            self._seen[event.event_id] = None
            style = self.get_component_rich_style(f"event-table--{status_class(event.status, resource=True)}", partial=True)
            self.add_row(
                Text(event.time),
                Text(f"{status_mark(event.status, resource=True)} {safe_text(event.status)}", style=style),
                Text(safe_text(event.logical_id)),
                Text(safe_text(event.resource_type)),
                Text(safe_text(event.reason)),
                key=event.event_id,
            )
        while len(self._seen) > self.MAX_ROWS:
            oldest = next(iter(self._seen))
            del self._seen[oldest]
            self.remove_row(oldest)
        if following and self.row_count:
            self.move_cursor(row=self.row_count - 1)
