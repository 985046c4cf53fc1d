"""SVG screenshots of the change-set screen's six steps, driven headless against a (sandbox) profile.

``await save_changeset_screenshots(profile, Path("screenshots"))`` replaces the stack's database
(DatabaseName → other) through the screen: run it only against a fresh sandbox, with its AWS
credentials in the environment. It writes ``changeset-1-template.svg`` … ``changeset-6-progress.svg``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from textual.app import App
from textual.pilot import Pilot
from textual.widgets import Input

from services.config import Profile
from tui.screens.changeset import ChangeSetScreen
from widgets.changes_form import ParameterForm, ParameterRow

SIZE = (110, 36)


class ChangeSetHost(App[None]):
    """The smallest app the change-set screen runs in: profile, read_only and the snapshot hand-off."""

    TITLE = "ttes-console"

    def __init__(self, profile: Profile, *, read_only: bool = False, handoff: Mapping[str, str] | None = None) -> None:
        super().__init__()
        self.profile = profile
        self.read_only = read_only
        self.snapshot_handoff: dict[str, str] = dict(handoff or {})

    def on_mount(self) -> None:
        self.push_screen(ChangeSetScreen(self.profile, read_only=self.read_only))


async def wait_until(pilot: Pilot[Any], condition: Callable[[], bool], timeout: float = 30.0) -> None:
    """Let the app run until ``condition()`` holds (checked every 50 ms)."""
    for _ in range(int(timeout / 0.05)):
        if condition():
            return
        await pilot.pause(0.05)
    raise TimeoutError("the change-set screen did not reach the expected state")


def screen_of(app: App[Any]) -> ChangeSetScreen:
    screen = app.screen_stack[-1] if isinstance(app.screen_stack[-1], ChangeSetScreen) else app.screen_stack[-2]
    assert isinstance(screen, ChangeSetScreen)
    return screen


async def save_changeset_screenshots(profile: Profile, directory: Path, *, size: tuple[int, int] = SIZE) -> list[Path]:
    """Walk the six steps (database replacement, blocked guard, override, execution) and save each as SVG."""
    directory.mkdir(parents=True, exist_ok=True)
    saved: list[Path] = []
    app = ChangeSetHost(profile)

    def shoot(name: str) -> None:
        path = directory / f"changeset-{name}.svg"
        path.write_text(app.export_screenshot(title=f"ttes-console · change set · {name}"))
        saved.append(path)

    async with app.run_test(size=size) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, ChangeSetScreen))
        screen = screen_of(app)
        screen.follow_interval = 0.5
        await pilot.pause()
        shoot("1-template")

        await pilot.click("#to-params")
        await wait_until(pilot, lambda: screen.step == 2 and bool(screen.query(ParameterForm)))
        await pilot.pause()
        screen.query_one("#value-DatabaseName", Input).value = "other"
        row = screen.query_one("#param-DatabaseName", ParameterRow)
        screen.query_one(ParameterForm).scroll_to_widget(row, animate=False, top=True)
        await pilot.pause(0.2)
        shoot("2-parameters")

        await pilot.click("#to-review")
        await wait_until(pilot, lambda: screen.step == 3)
        await pilot.pause()
        shoot("3-review")

        await pilot.click("#to-guard")
        await wait_until(pilot, lambda: screen.guard is not None)
        await pilot.pause()
        shoot("4-guard-blocked")

        await pilot.click("#override")
        await pilot.pause()
        await pilot.click("#yes")
        await wait_until(pilot, lambda: screen.override)
        await pilot.click("#to-confirm")
        await wait_until(pilot, lambda: screen.step == 5)
        await pilot.press(*profile.stack)
        await pilot.pause()
        shoot("5-confirm")

        await pilot.click("#execute")
        await wait_until(pilot, lambda: screen.progress is not None and screen.progress.finished, timeout=60)
        await pilot.pause()
        shoot("6-progress")
    return saved
