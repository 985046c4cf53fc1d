"""The Timeline tab with Pilot against the running sandbox: band, list, keys, Enter, live updates."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from textual.app import App, ComposeResult
from textual.pilot import Pilot
from textual.widgets import DataTable

from services.core.config import Profile
from tests.conftest import RunningSandbox
from tests.health_sandbox import make_stack
from tui.panes.timeline import TimelinePane
from tui.screens.timeline_item import TimelineItemScreen
from widgets.timeline_band import TimelineBand, fold


class TimelineApp(App[None]):
    def __init__(self, profile: Profile, interval: float = 60.0) -> None:
        super().__init__()
        self.profile = profile
        self.interval = interval

    def compose(self) -> ComposeResult:
        yield TimelinePane(self.profile, interval=self.interval, id="timeline")


async def _until(pilot: Pilot[None], condition: Callable[[], bool], timeout: float = 60.0) -> None:
    for _ in range(int(timeout / 0.1)):
        if condition():
            return
        await pilot.pause(0.1)
    raise AssertionError("the timeline did not get there in time")


def _profile(sandbox: RunningSandbox, tmp_path: Path) -> Profile:
    profile = sandbox.profile()
    audit = tmp_path / "audit.jsonl"
    shutil.copy(profile.audit_log, audit)
    return replace(profile, audit_log=str(audit))


async def test_band_list_keys_and_details(aws_env: RunningSandbox, tmp_path: Path) -> None:
    app = TimelineApp(_profile(aws_env, tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        pane = app.query_one(TimelinePane)
        pane.load()
        await _until(pilot, lambda: pane.timeline is not None)
        assert pane.range == "1h"
        table = app.query_one(DataTable)
        assert table.row_count == len(pane.shown) > 0
        assert set(pane.timeline.strips) >= {"errors", "uplinks", "health", "changes"}  # type: ignore[union-attr]
        band = app.query_one(TimelineBand)
        assert band.cursor == pane.timeline.minute_of(pane.shown[table.cursor_row].time)  # type: ignore[union-attr]

        await pilot.press("w")
        await _until(pilot, lambda: pane.timeline is not None and pane.timeline.minutes >= 6 * 60 - 1)
        assert pane.range == "6h"
        new = next(i for i, item in enumerate(pane.shown) if item.new)
        table.move_cursor(row=new)
        await pilot.pause(0.2)
        assert band.cursor == pane.timeline.minute_of(pane.shown[new].time)  # type: ignore[union-attr]

        await pilot.press("o")  # the first source: stack
        await pilot.pause(0.2)
        assert pane.source == "stack" and pane.shown and {i.source for i in pane.shown} == {"stack"}

        table.focus()
        await pilot.press("enter")
        await _until(pilot, lambda: isinstance(app.screen, TimelineItemScreen))
        ref = pane.shown[table.cursor_row].ref
        assert ref.startswith("stack-event:")
        assert ref[:30] in app.export_screenshot().replace("&#160;", " ")
        await pilot.press("escape")
        await _until(pilot, lambda: not isinstance(app.screen, TimelineItemScreen))

        # A journal item opens the journal at that time (read over SSH), its own entry marked.
        await pilot.press("o")  # journal
        await pilot.pause(0.2)
        assert pane.source == "journal"
        new = next(i for i, item in enumerate(pane.shown) if item.new)
        table.move_cursor(row=new)
        await pilot.press("enter")
        await _until(pilot, lambda: isinstance(app.screen, TimelineItemScreen))
        await _until(pilot, lambda: "▶" in str(app.screen.query_one("#item-journal").render()))
        shown = str(app.screen.query_one("#item-journal").render())
        before, marked = shown.split("▶", 1)
        assert len(before.strip().splitlines()) > 2  # half a minute of context before it
        assert "ERROR networkserver Task failed" in marked.splitlines()[0]
        await pilot.press("escape")


async def test_new_items_arrive_while_it_is_open(aws_env: RunningSandbox, tmp_path: Path) -> None:
    profile = _profile(aws_env, tmp_path)
    app = TimelineApp(profile, interval=1.0)
    async with app.run_test(size=(120, 30)) as pilot:
        pane = app.query_one(TimelinePane)
        pane.stack_loaded(make_stack())  # starts the first load and the refresh timer
        await _until(pilot, lambda: pane.timeline is not None)
        record = {
            "time": datetime.now(UTC).isoformat(),
            "user": "bob",
            "principal": "arn:aws:iam::123456789012:user/bob",
            "action": "restart_service",
            "target": "lorawan-stack.service",
            "outcome": "ok",
        }
        with open(profile.audit_log, "a") as fh:
            fh.write(json.dumps(record) + "\n")
        await _until(pilot, lambda: any(i.kind == "restart_service" for i in pane.shown))
        item = next(i for i in pane.shown if i.kind == "restart_service")
        assert "bob" in item.summary and item.source == "audit"


def test_fold_sums_counts_and_keeps_the_worst_status() -> None:
    assert fold([1, 2, 3, 4], 2) == [3, 7]
    assert fold([0, 3, 1, 0], 2, worst=True) == [3, 1]
    assert fold([5], 3) == [5, 0, 0]
