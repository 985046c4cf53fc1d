"""``--demo`` draws the console's frame at once and shows the simulated deployment coming up in it."""

from __future__ import annotations

import argparse
from functools import partial
from pathlib import Path

import pytest

from sandbox.core import PART_NAMES
from sandbox.process import SandboxProcess
from tests.stack.test_dashboard import screen_text, wait_for
from tui.app import TtesConsoleApp
from tui.cli.session import demo_profile
from tui.panes.stack import StackPane
from tui.screens.dashboard import DashboardScreen
from tui.screens.starting import StartingScreen


def demo_args() -> argparse.Namespace:
    return argparse.Namespace(profile=None, stack=None, region=None, aws_profile=None, demo_scenario=[])


async def test_the_frame_comes_first_then_the_parts_then_the_dashboard(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(key, "ambient")  # demo_profile replaces them by the sandbox's
    sandbox = SandboxProcess(workdir=tmp_path / "sandbox")
    sandbox.launch()
    try:
        app = TtesConsoleApp(None, opening=partial(demo_profile, sandbox, demo_args()))
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            assert isinstance(app.screen, StartingScreen)  # drawn before the sandbox is up
            assert "Starting the simulated deployment" in screen_text(app)
            starting = app.screen
            await wait_for(pilot, lambda: isinstance(app.screen, DashboardScreen), tries=1200)
            assert "AWS (moto: CloudFormation, RDS, ElastiCache, IoT, CloudWatch)" in starting.parts
            assert len(starting.parts) == len(PART_NAMES)  # every part of the sandbox, as it came up
            def stack_shown() -> bool:
                panes = app.screen.query(StackPane)
                return bool(panes) and panes.first().stack is not None

            await wait_for(pilot, stack_shown, tries=600)
            assert app.title == "ttes-demo · eu-west-1"
    finally:
        sandbox.stop()
