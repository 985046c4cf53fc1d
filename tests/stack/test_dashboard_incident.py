"""The first frames of an incident at 80×24, against a simulated deployment in trouble (Pilot)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest
from textual.widgets import Header, TabbedContent

from sandbox.ports import free_port
from sandbox.process import SandboxProcess
from services.core.config import Profile
from tests.conftest import RunningSandbox, use_sandbox_env
from tests.stack.test_dashboard import screen_text, wait_for
from tui.app import TtesConsoleApp
from tui.panes.health import HealthPane
from tui.panes.journal import JournalPane
from tui.screens.dashboard import DashboardScreen
from widgets.health_list import HealthList


@pytest.fixture(scope="module")
def troubled(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSandbox]:
    """A deployment whose service is down (scenario service-down)."""
    with SandboxProcess(["service-down"], workdir=tmp_path_factory.mktemp("troubled")) as proc:
        yield RunningSandbox(proc.config_path, proc.environ, proc.workdir)


@pytest.fixture
def troubled_env(troubled: RunningSandbox, monkeypatch: pytest.MonkeyPatch) -> RunningSandbox:
    return use_sandbox_env(troubled, monkeypatch)


def broker_down(profile: Profile) -> Profile:
    """The same profile with the AWS IoT endpoint on a port where nothing listens (the broker is down)."""
    return replace(profile, iot=replace(profile.iot, port=free_port()))


def checks_done(app: TtesConsoleApp) -> bool:
    panes = app.screen.query(HealthPane)
    return bool(panes) and not panes.first().checking and panes.first().checked_at is not None


async def test_every_failing_check_and_its_reason_is_in_the_first_frame_at_80x24(troubled_env: RunningSandbox) -> None:
    app = TtesConsoleApp(broker_down(troubled_env.profile()))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: checks_done(app), tries=900)
        await pilot.pause()
        pane = app.screen.query_one(HealthPane)
        failing = [r for r in pane.results.values() if r.status.value != "ok"]
        assert {r.name for r in failing} >= {"iot", "service"}
        lines = pane.query_one(HealthList).lines
        assert [line.status for line in lines[: len(failing)]] == sorted(
            (line.status for line in lines[: len(failing)]), key=["critical", "warn", "unknown"].index
        )
        assert all(line.status != "ok" for line in lines[: len(failing)])  # worst first
        text = screen_text(app)
        for result in failing:
            assert f"✗ {result.name}" in text or f"! {result.name}" in text or f"? {result.name}" in text
            assert result.summary[:20] in text.replace("\n", ""), result.summary  # its reason, not just its mark
        assert f"{len([r for r in failing if r.status.value == 'critical'])} critical" in str(pane.border_title)


async def test_service_down_changes_the_header_and_opens_the_journal_on_its_error(troubled_env: RunningSandbox) -> None:
    app = TtesConsoleApp(troubled_env.profile())
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: checks_done(app), tries=900)
        screen = app.screen
        assert isinstance(screen, DashboardScreen)
        header = screen.query_one(Header)
        assert header.has_class("-critical")
        assert screen.sub_title is not None and screen.sub_title.startswith("✗ ")
        assert "service" in screen.sub_title or "iot" in screen.sub_title
        assert "lorawan-stack.service" in screen_text(app) or "service" in screen_text(app).split("\n")[0]
        assert screen.query_one("#lower", TabbedContent).active == "tab-journal"
        view = screen.query_one(JournalPane).view
        await pilot.press("E")
        await wait_for(pilot, lambda: view.entry_at_cursor() is not None and not view.waiting_for_error, tries=600)
        entry = view.entry_at_cursor()
        assert entry is not None and entry.level in ("ERROR", "FATAL")
        assert not view.follow
        await pilot.press("e")  # further back: the root cause printed before systemd's lines
        older = view.entry_at_cursor()
        assert older is not None and older.level == "ERROR" and older != entry


async def test_a_stack_that_cannot_be_loaded_is_the_headers_verdict(aws_env: RunningSandbox) -> None:
    app = TtesConsoleApp(aws_env.profile(stack="nope"))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.screen.query(Header) and app.screen.query_one(Header).has_class("-critical"))
        assert str(app.screen.sub_title).startswith("✗ stack: Stack nope not found")
