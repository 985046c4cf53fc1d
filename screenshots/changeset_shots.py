"""SVG screenshots of the change-set screen's six steps, driven headless against a (sandbox) profile.

``await save_changeset_screenshots(profile, Path("screenshots"))`` replaces the stack's database
(DatabaseName → other) through the screen: run it only against a fresh sandbox, with its AWS
credentials in the environment. It writes ``changeset-1-template.svg`` … ``changeset-6-progress.svg``.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from pathlib import Path
from typing import Any

from textual.app import App
from textual.pilot import Pilot
from textual.widgets import Button, Input

from services.core.aws import AwsClients
from services.core.config import Profile
from tui.handoff import SnapshotHandoff
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
        self.snapshot_handoff = SnapshotHandoff(handoff or {})

    def on_mount(self) -> None:
        self.title = f"{self.profile.stack} · {self.profile.region}"
        self.push_screen(
            ChangeSetScreen(self.profile, AwsClients(self.profile), read_only=self.read_only, handoff=self.snapshot_handoff)
        )


async def wait_until(pilot: Pilot[Any], condition: Callable[[], bool], timeout: float = 30.0) -> None:
    """Let the app run until ``condition()`` holds (checked every 50 ms)."""
    for _ in range(int(timeout / 0.05)):
        if condition():
            return
        await pilot.pause(0.05)
    raise TimeoutError("the change-set screen did not reach the expected state")


async def press(pilot: Pilot[Any], selector: str) -> None:
    """Press a button of the current screen (as Enter on it would) once the screen has settled."""
    await pilot.pause()
    pilot.app.screen.query_one(selector, Button).press()
    await pilot.pause()


def screen_of(app: App[Any]) -> ChangeSetScreen:
    screen = app.screen_stack[-1] if isinstance(app.screen_stack[-1], ChangeSetScreen) else app.screen_stack[-2]
    assert isinstance(screen, ChangeSetScreen)
    return screen


async def save_changeset_screenshots(
    profile: Profile,
    directory: Path,
    *,
    size: tuple[int, int] = SIZE,
    only: Collection[str] | None = None,
    suffix: str = "",
) -> list[Path]:
    """Walk the six steps (database replacement, blocked guard, override, execution) and save each as SVG.

    ``only`` limits the steps saved (e.g. ``{"6-progress"}``); ``suffix`` is added to the file names,
    e.g. ``-rolled-back`` for a sandbox running scenario ``update-fails``.
    """
    directory.mkdir(parents=True, exist_ok=True)
    saved: list[Path] = []
    app = ChangeSetHost(profile)

    def shoot(name: str) -> None:
        if only is not None and name not in only:
            return
        path = directory / f"changeset-{name}{suffix}.svg"
        path.write_text(app.export_screenshot(title=f"ttes-console · change set · {name}"))
        saved.append(path)

    async with app.run_test(size=size) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, ChangeSetScreen))
        screen = screen_of(app)
        screen.follow_interval = 0.5
        await pilot.pause()
        shoot("1-template")

        await press(pilot, "#to-params")
        await wait_until(pilot, lambda: screen.step == 2 and bool(screen.query(ParameterForm)))
        await pilot.pause()
        screen.query_one("#value-DatabaseName", Input).value = "other"
        row = screen.query_one("#param-DatabaseName", ParameterRow)
        screen.query_one(ParameterForm).scroll_to_widget(row, animate=False, top=True)
        await pilot.pause(0.2)
        shoot("2-parameters")

        await press(pilot, "#to-review")
        await wait_until(pilot, lambda: screen.step == 3)
        await pilot.pause()
        shoot("3-review")

        await press(pilot, "#to-guard")
        await wait_until(pilot, lambda: screen.guard is not None)
        await pilot.pause()
        shoot("4-guard-blocked")

        await press(pilot, "#override")
        await pilot.pause()
        await press(pilot, "#yes")
        await wait_until(pilot, lambda: screen.override)
        await press(pilot, "#to-confirm")
        await wait_until(pilot, lambda: screen.step == 5)
        await pilot.press(*profile.stack)
        await pilot.pause()
        shoot("5-confirm")

        await press(pilot, "#execute")
        await wait_until(pilot, lambda: screen.progress is not None and screen.progress.finished, timeout=60)
        await pilot.pause()
        shoot("6-progress")
    return saved


async def save_all_changeset_screenshots(directory: Path) -> list[Path]:
    """Every step on a fresh sandbox, then the rolled-back progress on an ``update-fails`` one."""
    import os
    import tempfile

    from sandbox.core import Sandbox

    saved: list[Path] = []
    for scenarios, kwargs in (((), {}), (("update-fails",), {"only": {"6-progress"}, "suffix": "-rolled-back"})):
        from moto.moto_api._internal.models import moto_api_backend

        moto_api_backend.reset()
        async with Sandbox(Path(tempfile.mkdtemp(prefix="ttes-shots-")), scenarios) as sb:
            assert sb.profile is not None
            os.environ.update(sb.environ)
            saved += await save_changeset_screenshots(sb.profile, directory, **kwargs)  # type: ignore[arg-type]
    return saved
