"""Workers that fail say so in their own pane or screen and never take the app down; screens hand off typed data."""

from __future__ import annotations

import pytest
from textual import work
from textual.app import App, ComposeResult

from services.core.config import Profile
from services.core.errors import StackNotFound
from tests.health_sandbox import closed_port, eventually
from tui.app import TtesConsoleApp
from tui.handoff import SnapshotHandoff, SnapshotsHandedOff
from tui.panes import Pane
from tui.screens.changeset import ChangeSetScreen


class FailingPane(Pane):
    """A pane whose worker reads a stack output that is not there (the kind of bug a new pane has)."""

    def __init__(self, profile: Profile, error: Exception | None = None) -> None:
        super().__init__(profile, id="failing")
        self.error = error

    @work(exclusive=True, group="failing-pane", exit_on_error=False)
    async def fetch(self) -> None:
        if self.error is not None:
            raise self.error
        outputs: dict[str, str] = {}
        self.border_title = outputs["DashboardURL"]


class PaneHost(App[None]):
    def __init__(self, pane: Pane) -> None:
        super().__init__()
        self.pane = pane

    def compose(self) -> ComposeResult:
        yield self.pane


async def test_an_unexpected_error_is_a_sentence_in_the_pane_and_the_app_keeps_running() -> None:
    pane = FailingPane(Profile(name="t", stack="ttes-demo"))
    app = PaneHost(pane)
    async with app.run_test(size=(100, 20)) as pilot:
        pane.fetch()
        await eventually(lambda: bool(pane.border_subtitle))
        assert str(pane.border_subtitle).startswith("failing-pane stopped on an unexpected error (KeyError: ")
        assert "r retries" in str(pane.border_subtitle) and pane.has_class("-failed")
        assert app.is_running
        await pilot.press("tab")  # still answering keys
        assert app.is_running


async def test_a_console_error_is_shown_as_its_own_sentence_made_safe() -> None:
    pane = FailingPane(Profile(name="t", stack="ttes-demo"), StackNotFound("Stack \x1b[2Jevil not found."))
    app = PaneHost(pane)
    async with app.run_test(size=(100, 20)):
        pane.fetch()
        await eventually(lambda: bool(pane.border_subtitle))
        assert pane.border_subtitle == "Stack \\x1b[2Jevil not found."


async def test_the_app_keeps_the_snapshot_handoff_and_gives_it_to_the_change_set_screen(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Nothing answers: every pane's worker fails, and the app must stay up through all of them.
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    profile = Profile(name="t", stack="ttes-demo", region="eu-west-1", endpoint_url=f"http://127.0.0.1:{closed_port()}")
    app = TtesConsoleApp(profile)
    async with app.run_test(size=(120, 40)) as pilot:
        await eventually(lambda: bool(app.screen.query("#stack")), timeout=60)
        await eventually(lambda: app.sub_title == "AWS principal unknown", timeout=60)  # the identity worker failed
        app.post_message(SnapshotsHandedOff(SnapshotHandoff({"RDSSnapshotArn": "arn:old", "ElastiCacheSnapshotName": "b1"})))
        app.post_message(SnapshotsHandedOff(SnapshotHandoff({"RDSSnapshotArn": "arn:new"})))
        await pilot.pause(0.2)
        await pilot.press("c")
        await eventually(lambda: isinstance(app.screen, ChangeSetScreen))
        screen = app.screen
        assert isinstance(screen, ChangeSetScreen)
        assert dict(screen.handoff.parameters) == {"RDSSnapshotArn": "arn:new", "ElastiCacheSnapshotName": "b1"}
        assert screen.clients is app.clients
        assert app.is_running
