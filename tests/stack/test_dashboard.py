"""The dashboard, driven with Textual's Pilot against the sandbox's AWS over HTTP."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime

from textual.app import App, ComposeResult
from textual.pilot import Pilot

from tests.conftest import RunningSandbox
from tui.app import TtesConsoleApp
from tui.panes.events import EventsPane
from tui.panes.stack import StackPane
from tui.screens.dashboard import DashboardScreen
from tui.screens.help import HelpScreen
from widgets.event_table import EventRow, EventTable
from widgets.stack_summary import ResourceRow, StackSummary, StackSummaryData


async def wait_for(pilot: Pilot[object], condition: object, tries: int = 600) -> None:
    for _ in range(tries):
        if callable(condition) and condition():
            return
        await pilot.pause(0.05)
    raise AssertionError("condition not reached")


def screen_text(app: App[object]) -> str:
    """The characters on screen (SVG screenshot with its markup removed)."""
    svg = app.export_screenshot()
    return html.unescape("".join(re.findall(r"<text[^>]*>([^<]*)</text>", svg))).replace("\xa0", " ")


async def test_dashboard_shows_the_stack_and_its_events(aws_env: RunningSandbox) -> None:
    app = TtesConsoleApp(aws_env.profile())
    async with app.run_test(size=(80, 24)) as pilot:
        assert isinstance(app.screen, DashboardScreen)
        pane = app.screen.query_one(StackPane)
        await wait_for(pilot, lambda: pane.stack is not None)
        await pilot.pause()
        text = screen_text(app)
        assert "198.51.100.7" in text and "UPDATE_COMPLETE" in text
        events = app.screen.query_one(EventsPane).query_one(EventTable)
        await wait_for(pilot, lambda: events.row_count >= 2)
        await wait_for(pilot, lambda: app.principal != "")
        assert app.sub_title == "arn:aws:iam::123456789012:user/oncall"
        assert app.title == "ttes-demo · eu-west-1"


async def test_help_opens_and_closes_and_q_quits(aws_env: RunningSandbox) -> None:
    app = TtesConsoleApp(aws_env.profile(), read_only=True)
    async with app.run_test(size=(80, 24)) as pilot:
        assert app.title.endswith("[read-only]")
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        assert isinstance(app.screen, DashboardScreen)
        await pilot.press("q")
    assert app.return_code == 0


async def test_a_missing_stack_is_said_in_the_stack_pane_and_the_console_keeps_running(
    aws_env: RunningSandbox,
) -> None:
    app = TtesConsoleApp(aws_env.profile(stack="nope"))
    async with app.run_test(size=(100, 30)) as pilot:
        summary = app.screen.query_one(StackSummary)
        await wait_for(pilot, lambda: "not found" in screen_text(app))
        assert "Stack nope not found in eu-west-1" in screen_text(app)
        await pilot.press("r")  # still alive, and trying again is harmless
        await pilot.pause()
        assert summary.is_mounted


async def test_tabs_switch_with_number_keys(aws_env: RunningSandbox) -> None:
    from textual.widgets import TabbedContent

    app = TtesConsoleApp(aws_env.profile())
    async with app.run_test(size=(80, 24)) as pilot:
        tabs = app.screen.query_one(TabbedContent)
        assert tabs.active == "tab-events"
        await pilot.press("1")
        assert tabs.active == "tab-journal"
        await pilot.pause()
        assert app.focused is not None and "journal" in [w.id for w in app.focused.ancestors_with_self]
        await pilot.press("2")
        await pilot.pause()
        assert app.focused is not None and app.focused.id == "uplinks-feed"  # its keys work at once
        await pilot.press("4")
        assert tabs.active == "tab-metrics"



async def test_tab_keys_typed_in_one_burst_end_where_the_last_one_says(aws_env: RunningSandbox) -> None:
    """``2 v 1 E`` as one burst: the devices view's focus must not pull the Uplinks tab back afterwards."""
    from textual import events
    from textual.widgets import TabbedContent

    app = TtesConsoleApp(aws_env.profile())
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: bool(app.screen.query(TabbedContent)))
        tabs = app.screen.query_one(TabbedContent)
        for key in "2v1E":
            app.post_message(events.Key(key, key))  # all queued before the first is handled
        await wait_for(pilot, lambda: tabs.active == "tab-journal")
        for _ in range(10):
            await pilot.pause(0.05)
        assert tabs.active == "tab-journal"
        assert app.focused is not None and "journal" in [w.id for w in app.focused.ancestors_with_self]

# --- widgets with fixed data: SVG snapshots ------------------------------------------------

FIXED = StackSummaryData(
    name="ttes-demo",
    region="eu-west-1",
    status="UPDATE_ROLLBACK_COMPLETE",
    status_reason="The following resource(s) failed to update: [Database]. \x1b[31m<- remote text\x1b[0m [bold]x[/]",
    last_updated="2026-11-26 10:48:02 UTC",
    outputs=[
        ("PublicIP", "198.51.100.7"),
        ("Domain", "demo.ttes.test"),
        ("ConsoleURL", "https://demo.ttes.test/console"),
    ],
    parameters=[("Domain", "demo.ttes.test", False), ("DatabaseName", "ttn_lorawan", True)],
    resources=[
        ResourceRow("Instance", "AWS::EC2::Instance", "UPDATE_COMPLETE", "i-0abc"),
        ResourceRow("Database", "AWS::RDS::DBInstance", "UPDATE_FAILED", "ttes-demo-database", stateful=True),
        ResourceRow("Redis", "AWS::ElastiCache::ReplicationGroup", "UPDATE_IN_PROGRESS", "ttes-demo-redis", True),
    ],
)


class WidgetApp(App[None]):
    def compose(self) -> ComposeResult:
        yield StackSummary()
        yield EventTable()

    def on_mount(self) -> None:
        self.query_one(StackSummary).show(FIXED)
        when = datetime(2026, 11, 26, 10, 48, tzinfo=UTC)
        self.query_one(EventTable).add_events(
            [
                EventRow("e1", f"{when:%m-%d %H:%M:%S}", "Database", "AWS::RDS::DBInstance", "UPDATE_IN_PROGRESS", ""),
                EventRow("e2", f"{when:%m-%d %H:%M:%S}", "Database", "AWS::RDS::DBInstance", "UPDATE_FAILED", "boom"),
            ]
        )


def test_stack_summary_and_events_snapshot(snap_compare: object) -> None:
    assert snap_compare(WidgetApp(), terminal_size=(80, 24))  # type: ignore[operator]


async def test_remote_text_is_neither_markup_nor_escape_sequences() -> None:
    app = WidgetApp()
    async with app.run_test(size=(200, 30)):
        text = screen_text(app)
        assert "\\x1b[31m<- remote text\\x1b[0m [bold]x[/]" in text
        assert "\x1b" not in text


async def test_enter_on_a_health_line_opens_its_details(aws_env: RunningSandbox) -> None:
    from tui.panes.health import HealthPane
    from tui.screens.check_details import CheckDetailsScreen
    from widgets.health_list import HealthList

    app = TtesConsoleApp(aws_env.profile())
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: bool(app.screen.query(HealthPane)))
        health = app.screen.query_one(HealthPane)
        await wait_for(pilot, lambda: "dns" in health.results)
        app.screen.query_one(HealthList).focus()
        await pilot.press("home", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, CheckDetailsScreen))
        await pilot.press("escape")
        assert isinstance(app.screen, DashboardScreen)


def test_help_lists_the_keys_each_part_binds() -> None:
    from rich.console import Console

    from tui.screens.help import key_table

    console = Console(width=100, record=True)
    console.print(key_table())
    text = console.export_text()
    for group in ("Everywhere", "Health", "Journal", "Uplinks", "Snapshots (s)", "Change set (c)"):
        assert group in text
    assert "Pause" in text and "Newest error" in text and "Use in change set" in text and "Quit" in text
