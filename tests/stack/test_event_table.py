"""The events table shows a status whole where the terminal has room, and marks a cut one."""

from __future__ import annotations

from textual.app import App, ComposeResult

from tests.stack.test_dashboard import screen_text
from widgets.event_table import EventRow, EventTable

STATUSES = [
    "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS",
    "UPDATE_ROLLBACK_IN_PROGRESS",
    "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS",
    "UPDATE_ROLLBACK_COMPLETE",
]


class EventsApp(App[None]):
    def compose(self) -> ComposeResult:
        yield EventTable()

    def on_mount(self) -> None:
        rows = [EventRow(f"e{i}", "12-03 07:53:55", "ttes-demo", "AWS::CloudFormation::Stack", s, "") for i, s in enumerate(STATUSES)]
        self.query_one(EventTable).add_events(rows)


async def test_at_80_columns_a_status_is_whole_or_ends_in_an_ellipsis() -> None:
    app = EventsApp()
    async with app.run_test(size=(80, 12)) as pilot:
        await pilot.pause()
        text = screen_text(app)
        assert "UPDATE_ROLLBACK_IN_PROGRESS " in text and "UPDATE_ROLLBACK_COMPLETE " in text
        assert "UPDATE_COMPLETE_CLEANUP_IN…" in text and "UPDATE_ROLLBACK_COMPLETE_C…" in text
        assert "ttes-demo" in text  # the resource column still fits


async def test_a_wide_terminal_shows_the_cleanup_status_whole_and_a_resize_keeps_rows_and_cursor() -> None:
    app = EventsApp()
    async with app.run_test(size=(80, 12)) as pilot:
        table = app.query_one(EventTable)
        await pilot.pause()
        table.move_cursor(row=1)
        await pilot.resize_terminal(200, 12)
        await pilot.pause()
        text = screen_text(app)
        assert "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS " in text
        assert "UPDATE_ROLLBACK_COMPLETE_CLEANUP_I…" in text  # 44 characters: cut even here, visibly
        assert table.row_count == len(STATUSES) and table.cursor_row == 1
