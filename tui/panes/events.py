"""The Events tab: the stack's CloudFormation events, live."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.widgets import Static

from services.core.aws import AwsClients
from services.core.config import Profile
from services.core.errors import ConsoleError
from services.stack.model import Stack, StackEvent, follow_events
from tui.panes import Pane
from widgets.event_table import EventRow, EventTable

POLL_SECONDS = 5.0


def event_rows(events: Iterable[StackEvent], time_format: str = "%m-%d %H:%M:%S") -> list[EventRow]:
    """Stack events as the event table's rows."""
    return [
        EventRow(
            event_id=e.event_id,
            time=e.timestamp.strftime(time_format),
            logical_id=e.logical_id,
            resource_type=e.resource_type,
            status=e.status,
            reason=e.reason,
        )
        for e in events
    ]


class EventsPane(Pane):
    """Follows describe_stack_events (newest first) from the moment the stack is known."""

    DEFAULT_CSS = """
    EventsPane #events-state { height: 1; color: $text-muted; padding: 0 1; }
    EventsPane #events-state.-error { color: $error; }
    """

    def __init__(self, profile: Profile, *, clients: AwsClients, **kwargs: Any) -> None:
        super().__init__(profile, **kwargs)
        self.clients = clients

    def compose(self) -> ComposeResult:
        yield Static("Waiting for the stack…", id="events-state")
        yield EventTable(id="events-table")

    def stack_loaded(self, stack: Stack) -> None:
        first = self.stack is None
        super().stack_loaded(stack)
        if first:
            self.follow()

    def reload(self) -> None:
        if self.stack is not None:
            self.follow()

    @work(exclusive=True, group="stack-events", exit_on_error=False)
    async def follow(self) -> None:
        state = self.query_one("#events-state", Static)
        table = self.query_one(EventTable)
        state.remove_class("-error")
        state.update(f"Following events of {self.profile.stack} every {POLL_SECONDS:.0f} s")
        try:
            async for batch in follow_events(self.clients, interval=POLL_SECONDS, backlog=200):
                table.add_events(event_rows(batch))
        except ConsoleError as exc:
            self.show_failure(f"Events stopped: {exc}  (r retries)")

    def show_failure(self, sentence: str) -> None:
        state = self.query_one("#events-state", Static)
        state.add_class("-error")
        state.update(Text(sentence))
