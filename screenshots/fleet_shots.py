"""SVG screenshots of the Fleet screen and the Uplinks tab's gateways view, each at 80×24 and 200×50.

One sandbox with scenarios ``fleet`` (five stacks in three regions, one rolled back, one with an
expiring certificate, one whose uplinks stopped) and ``gateway-down`` (brought forward to a few
seconds, so the gateways view shows a silent gateway with its moved and silent devices).
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from textual.pilot import Pilot

GATEWAY_DOWN_AFTER = "6"


async def _until(pilot: Pilot[int], condition: Callable[[], bool], timeout: float = 60.0) -> None:
    for _ in range(int(timeout / 0.1)):
        if condition():
            return
        await pilot.pause(0.1)


async def save_fleet_screenshots(here: Path) -> list[Path]:
    """Writes fleet-80x24, fleet-200x50, gateways-80x24, gateways-200x50 and gateway-devices; returns their paths."""
    from sandbox.mqtt import GATEWAY_DOWN_ENV
    from sandbox.process import SandboxProcess
    from services.fleet.profiles import load_profiles
    from tui.app import TtesConsoleApp
    from tui.panes.uplinks import UplinksPane
    from tui.screens.fleet import FleetScreen
    from widgets.fleet_table import FleetTable
    from widgets.gateway_table import GatewayTable

    os.environ[GATEWAY_DOWN_ENV] = GATEWAY_DOWN_AFTER
    saved: list[Path] = []
    with tempfile.TemporaryDirectory() as tmp, SandboxProcess(["fleet", "gateway-down"], workdir=Path(tmp)) as sb:
        os.environ.update(sb.environ)
        profiles = load_profiles(sb.config_path, environ={})

        for size in ((80, 24), (200, 50)):
            app = TtesConsoleApp(profiles[0], fleet=profiles, start_on_fleet=True)
            async with app.run_test(size=size) as pilot:
                fleet = app.screen
                assert isinstance(fleet, FleetScreen)
                await _until(pilot, lambda s=fleet: s.finished is not None)
                fleet.query_one(FleetTable).focus()
                await pilot.pause(0.5)
                name = f"fleet-{size[0]}x{size[1]}.svg"
                app.save_screenshot(filename=name, path=str(here))
                saved.append(here / name)

        app = TtesConsoleApp(profiles[0], fleet=profiles)
        async with app.run_test(size=(200, 50)) as pilot:
            await _until(pilot, lambda: bool(app.screen.query(UplinksPane)))
            await pilot.press("2", "g")
            pane = app.screen.query_one(UplinksPane)
            await _until(pilot, lambda: any(s.silent for s in pane.gateways.summaries(time.time())))
            await pilot.pause(1.5)
            app.save_screenshot(filename="gateways-200x50.svg", path=str(here))
            await pilot.press("enter")  # the silent gateway is listed first
            await pilot.pause(1.5)
            assert pane.query_one(GatewayTable).gateway is not None
            app.save_screenshot(filename="gateway-devices.svg", path=str(here))
            await pilot.press("escape")
            await pilot.resize_terminal(80, 24)
            await pilot.pause(1.5)
            app.save_screenshot(filename="gateways-80x24.svg", path=str(here))
        saved += [here / "gateways-200x50.svg", here / "gateway-devices.svg", here / "gateways-80x24.svg"]
    return saved
