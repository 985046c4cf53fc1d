"""The Fleet screen and the gateways view, with Pilot, on the sandbox's fleet scenario."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from textual.pilot import Pilot

from sandbox.process import SandboxProcess
from services.fleet.profiles import load_profiles
from tests.conftest import RunningSandbox, use_sandbox_env
from tui.app import TtesConsoleApp
from tui.screens.dashboard import DashboardScreen
from tui.screens.fleet import FleetScreen
from widgets.fleet_table import FleetTable
from widgets.gateway_table import GatewayTable


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSandbox]:
    with SandboxProcess(scenarios=["fleet"], workdir=tmp_path_factory.mktemp("fleet-tui")) as proc:
        yield RunningSandbox(proc.config_path, proc.environ, proc.workdir)


@pytest.fixture
def app(fleet: RunningSandbox, monkeypatch: pytest.MonkeyPatch) -> TtesConsoleApp:
    use_sandbox_env(fleet, monkeypatch)
    profiles = load_profiles(fleet.config_path, environ={})
    return TtesConsoleApp(profiles[0], fleet=profiles, start_on_fleet=True)


async def until(pilot: Pilot[int], condition: Callable[[], bool], timeout: float = 60.0) -> None:
    for _ in range(int(timeout / 0.1)):
        if condition():
            return
        await pilot.pause(0.1)
    raise AssertionError("condition not met in time")


async def choose(pilot: Pilot[int], profile: str) -> None:
    table = pilot.app.screen.query_one(FleetTable)
    table.focus()
    for _ in range(table.row_count):
        if table.current_key() == profile:
            break
        await pilot.press("down")
    assert table.current_key() == profile
    await pilot.press("enter")


def dashboard_of(app: TtesConsoleApp, stack: str) -> bool:
    return isinstance(app.screen, DashboardScreen) and app.screen.profile.stack == stack and bool(app.screen.query("#body"))


async def test_fleet_opens_stacks_and_switches_without_restarting(app: TtesConsoleApp) -> None:
    async with app.run_test(size=(120, 30)) as pilot:
        fleet = app.screen
        assert isinstance(fleet, FleetScreen)
        await until(pilot, lambda: fleet.complete)
        await pilot.pause(0.2)
        table = fleet.query_one(FleetTable)
        assert table.row_count == 5
        assert table.current_key() == "ttes-staging"  # worst first, cursor on it
        detail = str(fleet.query_one("#fleet-detail").render())
        assert "UPDATE_ROLLBACK_COMPLETE" in detail
        assert fleet.rows["ttes-us"].health.value == "warn"

        await choose(pilot, "ttes-us")
        await until(pilot, lambda: dashboard_of(app, "ttes-us"))
        us_dashboard = app.screen
        assert app.profile.name == "ttes-us" and "ttes-us" in app.title

        await pilot.press("F")
        assert app.screen is fleet and fleet.query_one(FleetTable).row_count == 5
        await pilot.press("escape")
        assert app.screen is us_dashboard  # back to the same dashboard, not a new one

        await pilot.press("F")
        await choose(pilot, "sandbox")
        await until(pilot, lambda: dashboard_of(app, "ttes-demo"))
        assert app.profile.stack == "ttes-demo" and len(app.screen_stack) == 2
        assert us_dashboard not in app.screen_stack

        from tui.panes.uplinks import UplinksPane

        pane = app.screen.query_one(UplinksPane)
        await pilot.press("2")
        await until(pilot, lambda: app.focused is not None and pane in app.focused.ancestors_with_self)
        await pilot.press("g")
        gateways = app.screen.query_one(GatewayTable)
        await until(pilot, lambda: gateways.row_count >= 3)
        assert gateways.gateway is None
        await pilot.press("enter")
        await until(pilot, lambda: gateways.gateway is not None and gateways.row_count > 0, 10)
        first = gateways.gateway
        await pilot.press("escape")
        assert gateways.gateway is None and first
        await pilot.press("escape")
        from textual.widgets import ContentSwitcher

        assert pane.query_one(ContentSwitcher).current == "uplinks-feed"


async def test_the_palette_offers_the_fleet_and_r_reads_again(app: TtesConsoleApp) -> None:
    from tui.commands import ACTIONS

    assert ("Fleet", "F", "app.fleet") in [(name, key, action) for name, key, action, _ in ACTIONS]
    async with app.run_test(size=(80, 24)) as pilot:
        fleet = app.screen
        assert isinstance(fleet, FleetScreen)
        await until(pilot, lambda: fleet.finished is not None)
        first = fleet.finished
        await pilot.press("r")
        await until(pilot, lambda: fleet.finished not in (None, first))  # read again
        assert fleet.complete
