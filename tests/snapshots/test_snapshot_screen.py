"""The Snapshot screen with Pilot, against the sandbox (real HTTP to moto)."""

from __future__ import annotations

from collections.abc import Callable

from textual.app import App
from textual.pilot import Pilot
from textual.widgets import DataTable, ProgressBar, Static

from sandbox.core import Sandbox
from services.core.audit import read_records
from services.core.aws import AwsClients
from services.core.config import Profile
from services.snapshots.listing import find_databases, list_snapshots
from services.stack.model import load_stack
from tui.handoff import SnapshotHandoff, SnapshotsHandedOff
from tui.screens.snapshots import COLUMNS, READ_ONLY_NOTE, ConfirmScreen, SnapshotScreen


class Host(App[None]):
    """What the screen needs from the real App: profile, AWS clients, read_only; it keeps the hand-off."""

    def __init__(self, profile: Profile, *, read_only: bool = False) -> None:
        super().__init__()
        self.profile = profile
        self.read_only = read_only
        self.snapshot_handoff = SnapshotHandoff()

    def on_mount(self) -> None:
        self.push_screen(SnapshotScreen(self.profile, AwsClients(self.profile), read_only=self.read_only))

    def on_snapshots_handed_off(self, message: SnapshotsHandedOff) -> None:
        self.snapshot_handoff = self.snapshot_handoff.merged(message.handoff)


async def until(pilot: Pilot[None], condition: Callable[[], bool], steps: int = 300) -> bool:
    """Let the app run until ``condition`` holds (bounded, so a hang fails instead of blocking)."""
    for _ in range(steps):
        if condition():
            return True
        await pilot.pause(0.05)
    return condition()


def status_text(screen: SnapshotScreen) -> str:
    return str(screen.query_one("#snap-status", Static).content)


def loaded(screen: SnapshotScreen) -> Callable[[], bool]:
    return lambda: screen.query_one("#databases", DataTable).row_count == 2


async def snapshots_of(profile: Profile) -> dict[str, list[str]]:
    clients = AwsClients(profile)
    stack = await load_stack(clients)
    return {d.logical_id: [s.id for s in await list_snapshots(clients, d)] for d in find_databases(stack)}


async def test_take_all_with_one_confirmation_shows_progress_and_hands_off(sb: Sandbox) -> None:
    assert sb.profile is not None
    app = Host(sb.profile)
    async with app.run_test(size=(120, 30)) as pilot:
        screen = app.screen
        assert isinstance(screen, SnapshotScreen)
        assert await until(pilot, loaded(screen))
        table = screen.query_one("#databases", DataTable)
        database = dict(zip(COLUMNS, (str(c) for c in table.get_row("Database")), strict=True))
        assert database["Kind"] == "RDS instance" and (database["Source"], database["Status"]) == ("automated", "available")
        redis = dict(zip(COLUMNS, (str(c) for c in table.get_row("Redis")), strict=True))
        assert redis["Latest snapshot"].startswith("automatic.ttes-demo-redis-")
        await pilot.press("a")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        assert app.screen is screen
        seen: set[float] = set()

        def progress() -> bool:
            for bar in screen.query("#progress-Database ProgressBar").results(ProgressBar):
                if bar.percentage is not None:
                    seen.add(bar.percentage)
            return len(screen.taken) == 2

        assert await until(pilot, progress), status_text(screen)
        assert any(0 < p < 1 for p in seen), seen
        await pilot.press("u")
        on_aws = await snapshots_of(sb.profile)
        taken = {k: s.id for k, s in screen.taken.items()}
        assert on_aws["Database"][0] == taken["Database"] and on_aws["Redis"][0] == taken["Redis"]
        assert app.snapshot_handoff.parameters == {
            "RDSSnapshotArn": f"arn:aws:rds:eu-west-1:123456789012:snapshot:{taken['Database']}",
            "ElastiCacheSnapshotName": taken["Redis"],
        }
        assert "The next change set starts with RDSSnapshotArn=" in status_text(screen)
    assert [r.outcome for r in read_records(sb.profile)] == ["ok", "ok"]


async def test_take_selected_only_cancel_does_nothing_and_delete(sb: Sandbox) -> None:
    assert sb.profile is not None
    app = Host(sb.profile)
    async with app.run_test(size=(120, 30)) as pilot:
        screen = app.screen
        assert isinstance(screen, SnapshotScreen)
        assert await until(pilot, loaded(screen))
        await pilot.press("a", "n")
        assert app.screen is screen and not read_records(sb.profile)
        await pilot.press("down", "t")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        assert await until(pilot, lambda: "Redis" in screen.taken and not screen.running)
        assert list(screen.taken) == ["Redis"]
        on_aws = await snapshots_of(sb.profile)
        assert len(on_aws["Database"]) == 1 and len(on_aws["Redis"]) == 2
        # x deletes the newest manual snapshot of the selected database, after one confirmation.
        assert await until(pilot, lambda: screen.snapshots["Redis"][0].id == screen.taken["Redis"].id)
        await pilot.press("x")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        assert await until(pilot, lambda: len(screen.snapshots["Redis"]) == 1)
    on_aws = await snapshots_of(sb.profile)
    assert len(on_aws["Redis"]) == 1 and on_aws["Redis"][0].startswith("automatic.")
    assert [(r.action, r.outcome) for r in read_records(sb.profile)] == [
        ("create_snapshot", "ok"),
        ("delete_snapshot", "ok"),
    ]


async def test_read_only_lists_but_refuses_and_says_why(sb: Sandbox) -> None:
    assert sb.profile is not None
    app = Host(sb.profile, read_only=True)
    async with app.run_test(size=(120, 30)) as pilot:
        screen = app.screen
        assert isinstance(screen, SnapshotScreen)
        assert str(screen.query_one("#snap-note", Static).content) == READ_ONLY_NOTE
        assert await until(pilot, loaded(screen))
        await pilot.press("a")
        assert app.screen is screen  # no confirmation for something that will not happen
        assert await until(pilot, lambda: "--read-only" in status_text(screen))
        await pilot.press("x")  # delete: nothing manual to delete, and read-only anyway
    on_aws = await snapshots_of(sb.profile)
    assert len(on_aws["Database"]) == 1 and len(on_aws["Redis"]) == 1
    assert {r.outcome for r in read_records(sb.profile)} == {"refused"}


async def test_read_only_iam_shows_aws_sentence_and_keeps_running(sb_read_only_iam: Sandbox) -> None:
    profile = sb_read_only_iam.profile
    assert profile is not None
    app = Host(profile)
    async with app.run_test(size=(120, 30)) as pilot:
        screen = app.screen
        assert isinstance(screen, SnapshotScreen)
        assert await until(pilot, loaded(screen))
        await pilot.press("a", "y")
        assert await until(pilot, lambda: "not authorized" in status_text(screen) and not screen.running)
        assert screen.query_one("#snap-status", Static).has_class("error")
        assert app.is_running and screen.taken == {}
    assert [r.outcome for r in read_records(profile)] == ["denied", "denied"]
