"""The health history: transitions only, bounded, 0600, and a torn last line is no obstacle."""

from __future__ import annotations

import json
import stat
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import services.timeline.health_history as history
from services.core.config import Profile, render_profile_toml
from services.health.run import CheckResult, Status
from services.timeline.health_history import history_path, read_history, record_health
from tests.conftest import RunningSandbox, run_cli
from tests.health_sandbox import closed_port

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _profile(tmp_path: Path) -> Profile:
    return Profile(name="p", stack="s", health_history=str(tmp_path / "state" / "health.jsonl"))


def _run(*statuses: tuple[str, Status]) -> list[CheckResult]:
    return [CheckResult(name, status, f"{name} is {status.value}") for name, status in statuses]


def test_only_changes_are_written_and_the_file_is_private(tmp_path: Path) -> None:
    profile = _profile(tmp_path)
    first = record_health(profile, _run(("dns", Status.OK), ("tls", Status.OK)), now=T0)
    assert [(c.check, c.previous) for c in first] == [("dns", None), ("tls", None)]
    assert record_health(profile, _run(("dns", Status.OK), ("tls", Status.OK)), now=T0 + timedelta(minutes=1)) == []
    changed = record_health(profile, _run(("dns", Status.CRITICAL), ("tls", Status.OK)), now=T0 + timedelta(minutes=2))
    assert [(c.check, c.previous, c.status, c.is_transition) for c in changed] == [("dns", "ok", "critical", True)]
    path = history_path(profile)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [c.is_transition for c in read_history(path)] == [False, False, True]


def test_a_torn_last_line_is_skipped_and_the_next_line_starts_fresh(tmp_path: Path) -> None:
    profile = _profile(tmp_path)
    record_health(profile, _run(("ssh", Status.OK)), now=T0)
    path = history_path(profile)
    with path.open("a") as fh:
        fh.write('{"time": "2026-03-01T12:01:00+00:00", "check": "ssh", "sta')  # killed mid-write
    assert [c.status for c in read_history(path)] == ["ok"]
    written = record_health(profile, _run(("ssh", Status.CRITICAL)), now=T0 + timedelta(minutes=2))
    assert [(c.previous, c.status) for c in written] == [("ok", "critical")]
    lines = path.read_text().splitlines()
    assert json.loads(lines[-1])["status"] == "critical"
    assert [c.status for c in read_history(path)] == ["ok", "critical"]


def test_the_file_is_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(history, "MAX_LINES", 50)
    monkeypatch.setattr(history, "KEEP_LINES", 40)
    profile = _profile(tmp_path)
    for i in range(200):
        record_health(profile, _run(("dns", Status.OK if i % 2 else Status.WARN)), now=T0 + timedelta(minutes=i))
    path = history_path(profile)
    kept = read_history(path)
    assert 40 <= len(kept) <= 50
    assert kept[-1].time == T0 + timedelta(minutes=199)  # the newest lines stay
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_default_place_is_the_user_state_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg"))
    path = history_path(Profile(name="prod eu", stack="my-stack"))
    assert path == tmp_path / "xdg" / "ttes-console" / "health-prod_eu-my-stack.jsonl"


def test_two_check_runs_with_different_results_leave_one_transition(sandbox: RunningSandbox, tmp_path: Path) -> None:
    """`check` as cron would run it: the IoT endpoint goes away between the runs."""
    profile = replace(sandbox.profile(), health_history=str(tmp_path / "health.jsonl"))
    good, bad = tmp_path / "good.toml", tmp_path / "bad.toml"
    good.write_text(render_profile_toml(profile))
    bad.write_text(render_profile_toml(replace(profile, iot=replace(profile.iot, port=closed_port()))))
    first = run_cli("--config", str(good), "check", env=sandbox.environ)
    assert first.returncode == 0, first.stdout + first.stderr
    second = run_cli("--config", str(bad), "check", env=sandbox.environ)
    assert second.returncode != 0, second.stdout
    changes = read_history(tmp_path / "health.jsonl")
    transitions = [c for c in changes if c.is_transition]
    assert [(c.check, c.previous) for c in transitions] == [("iot", "ok")], changes
    assert all(c.previous is None for c in changes if not c.is_transition)


async def test_the_health_pane_writes_the_same_history(tmp_path: Path) -> None:
    """The TUI's Health pane records each finished round through the same function as `check`."""
    from textual.app import App, ComposeResult

    from tests.health_sandbox import eventually, health_peers, peer_checks
    from tui.panes.health import HealthPane

    async with health_peers(tmp_path) as peers:
        profile = replace(peers.profile, health_history=str(tmp_path / "pane-health.jsonl"))

        class PaneApp(App[None]):
            def compose(self) -> ComposeResult:
                yield HealthPane(profile, checks=peer_checks(), id="health")

        app = PaneApp()
        async with app.run_test(size=(80, 24)) as pilot:
            pane = app.query_one(HealthPane)
            pane.stack_loaded(peers.stack)
            await eventually(lambda: pane.checked_at is not None, timeout=60)
            await pilot.pause()
        changes = read_history(tmp_path / "pane-health.jsonl")
        assert {c.check for c in changes} == set(pane.results)
        assert all(c.previous is None and c.status == "ok" for c in changes)
