"""Regenerate screenshots/*.svg: every screen of the console, driven by Pilot on the sandbox.

``python -m screenshots [NAME ...]`` makes all shots, or only those named. Shots that need the
same sandbox scenarios share one sandbox.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import sys
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from textual.pilot import Pilot

from screenshots.timeline_shots import timeline_tab

HERE = Path(__file__).resolve().parent
Steps = Callable[[Pilot[int]], Awaitable[None]]


@dataclass(frozen=True)
class Shot:
    name: str
    size: tuple[int, int]
    steps: Steps
    scenarios: tuple[str, ...] = ()
    read_only: bool = False


async def settle(pilot: Pilot[int], seconds: float = 0.5) -> None:
    await pilot.pause(seconds)
    await pilot.wait_for_scheduled_animations()


async def until(pilot: Pilot[int], condition: Callable[[], bool], timeout: float = 20.0) -> None:
    for _ in range(int(timeout / 0.1)):
        if condition():
            return
        await pilot.pause(0.1)


def stack_shown(pilot: Pilot[int]) -> bool:
    from tui.panes.stack import StackPane

    return any(p.stack is not None for p in pilot.app.screen.query(StackPane))


async def dashboard(pilot: Pilot[int]) -> None:
    await until(pilot, lambda: stack_shown(pilot))
    await settle(pilot, 3.0)


async def help_screen(pilot: Pilot[int]) -> None:
    await until(pilot, lambda: stack_shown(pilot))
    await pilot.press("question_mark")
    await settle(pilot)


async def palette(pilot: Pilot[int]) -> None:
    await until(pilot, lambda: stack_shown(pilot))
    await pilot.press("ctrl+p")
    await settle(pilot)
    await pilot.press(*"snap")
    await settle(pilot)


def health_checked(pilot: Pilot[int]) -> bool:
    from tui.panes.health import HealthPane

    return any(len(p.results) >= 6 for p in pilot.app.screen.query(HealthPane))


async def health(pilot: Pilot[int]) -> None:
    await until(pilot, lambda: stack_shown(pilot) and health_checked(pilot))
    await settle(pilot, 1.0)


async def check_details(pilot: Pilot[int]) -> None:
    from widgets.health_list import HealthList

    await health(pilot)
    health_list = pilot.app.screen.query_one(HealthList)
    health_list.focus()
    health_list.highlighted = 2  # tls: the certificate chain
    await pilot.press("enter")
    await settle(pilot)


def tab(key: str, seconds: float = 4.0) -> Steps:
    async def steps(pilot: Pilot[int]) -> None:
        await until(pilot, lambda: stack_shown(pilot))
        await pilot.press(key)
        await settle(pilot, seconds)

    return steps


async def devices(pilot: Pilot[int]) -> None:
    await until(pilot, lambda: stack_shown(pilot))
    await pilot.press("v")  # from anywhere on the dashboard
    await settle(pilot, 8.0)


def checks_done(pilot: Pilot[int]) -> bool:
    from tui.panes.health import HealthPane

    return any(p.checked_at is not None and not p.checking for p in pilot.app.screen.query(HealthPane))


async def incident(pilot: Pilot[int]) -> None:
    """The first frame after the checks: the worst first, the header's verdict, the tab that shows why."""
    await until(pilot, lambda: stack_shown(pilot) and checks_done(pilot), timeout=60.0)
    await settle(pilot, 1.0)


async def service_down(pilot: Pilot[int]) -> None:
    await incident(pilot)
    await pilot.press("E")  # the journal's newest error
    await settle(pilot, 2.0)


async def journal_wrapped(pilot: Pilot[int]) -> None:
    from widgets.journal_view import JournalView

    await tab("1")(pilot)
    view = pilot.app.screen.query_one(JournalView)
    view.focus()
    view.wrap = True
    await settle(pilot, 1.0)


SHOTS: list[Shot] = [
    Shot("dashboard-80x24", (80, 24), dashboard),
    Shot("dashboard-200x50", (200, 50), dashboard),
    Shot("help", (80, 24), help_screen),
    Shot("command-palette", (100, 30), palette),
    Shot("events", (120, 30), tab("3", 1.0)),
    Shot("health", (120, 30), health),
    Shot("health-two-failures", (120, 30), health, scenarios=("dns-mismatch", "plaintext-open")),
    Shot("check-details", (120, 40), check_details),
    Shot("journal", (200, 50), tab("1")),
    Shot("journal-80x24", (80, 24), tab("1")),
    Shot("journal-wrapped-80x24", (80, 24), journal_wrapped),
    Shot("uplinks", (200, 50), tab("2", 6.0)),
    Shot("devices", (200, 50), devices),
    Shot("devices-80x24", (80, 24), devices),
    Shot("dashboard-failing-80x24", (80, 24), incident, scenarios=("dns-mismatch",)),
    Shot("dashboard-service-down-80x24", (80, 24), service_down, scenarios=("service-down",)),
    Shot("metrics", (200, 50), tab("4", 4.0)),
    *(Shot(f"timeline-{w}x{h}", (w, h), timeline_tab) for w, h in ((80, 24), (200, 50))),
]


async def take(shots: list[Shot]) -> None:
    from sandbox.process import SandboxProcess
    from services.core.config import load_profile
    from tui.app import TtesConsoleApp

    key = lambda s: s.scenarios  # noqa: E731
    for scenarios, group in itertools.groupby(sorted(shots, key=key), key=key):
        with tempfile.TemporaryDirectory() as tmp, SandboxProcess(scenarios, workdir=Path(tmp)) as sandbox:
            os.environ.update(sandbox.environ)
            profile = load_profile(sandbox.config_path, environ={})
            for shot in group:
                app = TtesConsoleApp(profile, read_only=shot.read_only)
                async with app.run_test(size=shot.size) as pilot:
                    await shot.steps(pilot)
                    app.save_screenshot(filename=f"{shot.name}.svg", path=str(HERE))
                print(f"screenshots/{shot.name}.svg")


async def screens_with_their_own_sandbox(names: list[str]) -> None:
    """The snapshot and change-set screens change the stack, so each gets a fresh sandbox."""
    if not names or "snapshots" in names:
        from screenshots.make_snapshots import snapshot_screen_svg

        print(await snapshot_screen_svg(HERE / "snapshots.svg"))
    if not names or "host" in names:
        from screenshots.host_shots import save_host_screenshots

        print(*await save_host_screenshots(HERE), sep="\n")
    if not names or "snapshots-80x24" in names:
        from screenshots.make_snapshots import snapshot_screen_svg

        print(await snapshot_screen_svg(HERE / "snapshots-80x24.svg", size=(80, 24)))
    if not names or "changeset" in names:
        from screenshots.changeset_shots import save_all_changeset_screenshots

        for path in await save_all_changeset_screenshots(HERE):
            print(path)
    if not names or "fleet" in names:
        from screenshots.fleet_shots import save_fleet_screenshots

        print(*await save_fleet_screenshots(HERE), sep="\n")


def main(names: list[str]) -> int:
    shots = SHOTS
    if names:
        shots = [s for s in shots if s.name in names]

    async def everything() -> None:
        await take(shots)
        await screens_with_their_own_sandbox(names)

    asyncio.run(everything())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
