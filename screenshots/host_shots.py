"""SVG screenshots of the Host screen and of the doctor's findings, at 80×24.

    python -m screenshots host

``host-80x24.svg``: scenario cert-not-reloaded (the renewed certificate warning), config.yml
open in the viewer with its secrets masked. ``doctor-80x24.svg``: scenario ssh-blocked, the
doctor opened from the Health pane's ssh line (Enter on it, then ``d``).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

SIZE = (80, 24)


async def _until(pilot: Pilot[Any], condition: Callable[[], bool], seconds: float = 60.0) -> None:
    for _ in range(int(seconds / 0.1)):
        if condition():
            return
        await pilot.pause(0.1)


async def _host_screen(pilot: Pilot[Any]) -> None:
    from textual.widgets import Log, Static, Tree

    await pilot.pause(1.0)
    await pilot.press("h")
    screen = pilot.app.screen
    await _until(pilot, lambda: "3.33.1" in str(screen.query_one("#host-facts", Static).content))
    tree: Tree[Any] = screen.query_one("#host-tree", Tree)
    nodes = [n for d in tree.root.children for n in d.children]
    tree.focus()
    tree.move_cursor(next(n for n in nodes if str(n.label).startswith("config.yml")))
    await pilot.press("enter")
    await _until(pilot, lambda: bool(screen.query_one("#host-viewer", Log).lines))
    screen.query_one("#host-viewer", Log).scroll_to(y=12, animate=False)
    await pilot.pause(0.5)


async def _doctor_from_health(pilot: Pilot[Any]) -> None:
    from tui.panes.health import HealthPane
    from widgets.health_list import HealthList

    def ssh_done() -> bool:
        return any(r.name == "ssh" for p in pilot.app.screen.query(HealthPane) for r in p.results.values())

    await _until(pilot, ssh_done, seconds=90)
    health_list = pilot.app.screen.query_one(HealthList)
    health_list.focus()
    health_list.highlighted = 5  # the ssh line
    await pilot.press("enter")
    await pilot.pause(0.3)
    await pilot.press("d")
    await _until(pilot, lambda: getattr(pilot.app.screen, "report", None) is not None)
    await pilot.pause(0.5)


async def save_host_screenshots(directory: Path) -> list[Path]:
    """Start a sandbox per scenario, drive the console, write the two SVGs."""
    from sandbox.process import SandboxProcess
    from services.core.config import load_profile
    from tui.app import TtesConsoleApp

    shots = [
        ("host-80x24", ("cert-not-reloaded",), _host_screen),
        ("doctor-80x24", ("ssh-blocked",), _doctor_from_health),
    ]
    written = []
    for name, scenarios, steps in shots:
        with tempfile.TemporaryDirectory() as tmp, SandboxProcess(scenarios, workdir=Path(tmp)) as sandbox:
            os.environ.update(sandbox.environ)
            app = TtesConsoleApp(load_profile(sandbox.config_path, environ={}))
            async with app.run_test(size=SIZE) as pilot:
                await steps(pilot)
                app.save_screenshot(filename=f"{name}.svg", path=str(directory))
        written.append(directory / f"{name}.svg")
    return written
