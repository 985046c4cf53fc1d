"""The Host screen with Pilot against the sandbox: facts, tree, masked viewer, find, restart, doctor."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from textual.app import App
from textual.pilot import Pilot
from textual.widgets import Log, Static, Tree

from sandbox.core import Sandbox
from sandbox.host_files import SECRETS
from services.core.audit import read_records
from services.core.config import Profile
from tests.conftest import start_in_process_sandbox
from tui.screens.host import HostScreen
from tui.screens.host_dialogs import DoctorScreen


class Console(App[None]):
    """What the Host screen needs from the real App: the profile and read_only."""

    def __init__(self, profile: Profile, *, read_only: bool = False) -> None:
        super().__init__()
        self.profile = profile
        self.read_only = read_only

    def on_mount(self) -> None:
        self.push_screen(HostScreen(self.profile, read_only=self.read_only))


async def until(pilot: Pilot[None], condition: Callable[[], bool], seconds: float = 60.0) -> bool:
    for _ in range(int(seconds / 0.1)):
        if condition():
            return True
        await pilot.pause(0.1)
    return condition()


def facts_text(app: App[None]) -> str:
    return str(app.screen.query_one("#host-facts", Static).content)


def viewer_text(app: App[None]) -> str:
    return "\n".join(app.screen.query_one("#host-viewer", Log).lines)


def assert_no_secret(app: App[None]) -> None:
    shown = facts_text(app) + viewer_text(app) + app.export_screenshot()
    assert not [s for s in SECRETS if s in shown]


async def open_file(pilot: Pilot[None], name: str) -> None:
    tree: Tree[object] = pilot.app.screen.query_one("#host-tree", Tree)
    node = next(n for n in _walk(tree.root) if str(n.label).startswith(name + " "))
    tree.focus()
    tree.move_cursor(node)
    await pilot.press("enter")


def _walk(node: object) -> list[object]:
    children = list(getattr(node, "children", []))
    return children + [grand for child in children for grand in _walk(child)]


def profile_of(sb: Sandbox) -> Profile:
    assert sb.profile is not None
    return sb.profile


async def test_host_screen_views_masked_files_finds_and_restarts(sb: Sandbox) -> None:
    app = Console(profile_of(sb))
    async with app.run_test(size=(100, 32)) as pilot:
        assert await until(pilot, lambda: "3.33.1" in facts_text(app))
        assert "OK" in facts_text(app) and "clock synchronised" in facts_text(app)
        await open_file(pilot, "config.yml")
        assert await until(pilot, lambda: "password: ••••" in viewer_text(app))
        assert "11 secrets masked" in str(app.screen.query_one("#host-viewer", Log).border_subtitle)
        assert_no_secret(app)
        await pilot.press("slash", *"redis", "enter")
        assert await until(
            pilot, lambda: "matching lines" in str(app.screen.query_one("#host-viewer", Log).border_subtitle)
        )
        await pilot.press("escape")
        assert isinstance(app.screen, HostScreen)  # esc closed the find box, not the screen
        await open_file(pilot, "shadow.log")
        assert await until(pilot, lambda: "outside /tti" in viewer_text(app))
        assert "sandbox-shadow-hash" not in viewer_text(app)
        await pilot.press("R")
        await pilot.pause(0.3)
        await pilot.press(*"ttes-demo", "enter")
        assert await until(pilot, lambda: "is active again" in viewer_text(app), seconds=90)
        assert "activating" in viewer_text(app) and "Started The Things Stack." in viewer_text(app)
        assert_no_secret(app)
    assert [(r.action, r.outcome) for r in read_records(profile_of(sb))] == [("restart_service", "ok")]

    read_only = Console(profile_of(sb), read_only=True)
    async with read_only.run_test(size=(100, 32)) as pilot:
        assert await until(pilot, lambda: "3.33.1" in facts_text(read_only))
        await pilot.press("R")
        assert await until(pilot, lambda: "--read-only" in viewer_text(read_only))
    assert read_records(profile_of(sb))[-1].outcome == "refused"


async def test_doctor_from_the_host_screen(sb: Sandbox) -> None:
    app = Console(profile_of(sb))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("d")
        assert isinstance(app.screen, DoctorScreen)
        assert await until(pilot, lambda: app.screen.report is not None)  # type: ignore[attr-defined]
        assert "Nothing AWS shows blocks SSH" in str(app.screen.query_one("#doctor-verdict", Static).content)


async def test_cert_not_reloaded_is_a_warning_on_the_host_screen(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sandbox = await start_in_process_sandbox(tmp_path, monkeypatch, ("cert-not-reloaded",))
    try:
        app = Console(profile_of(sandbox))
        async with app.run_test(size=(100, 32)) as pilot:
            assert await until(pilot, lambda: "renewed certificate" in facts_text(app))
            assert "WARNING" in facts_text(app)
    finally:
        await sandbox.aclose()


async def test_the_doctor_opens_from_the_ssh_checks_details_only(sb: Sandbox) -> None:
    from services.health.run import CheckResult, Status
    from tui.screens.check_details import CheckDetailsScreen

    app = Console(profile_of(sb))
    async with app.run_test(size=(80, 24)) as pilot:
        await app.push_screen(CheckDetailsScreen(CheckResult("tls", Status.OK, "fine")))
        await pilot.press("d")
        assert isinstance(app.screen, CheckDetailsScreen)  # d means nothing on other checks
        await pilot.press("escape")
        await app.push_screen(CheckDetailsScreen(CheckResult("ssh", Status.CRITICAL, "refused")))
        await pilot.press("d")
        assert isinstance(app.screen, DoctorScreen)
        assert await until(pilot, lambda: app.screen.report is not None)  # type: ignore[attr-defined]
