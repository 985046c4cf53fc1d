"""The devices view (Uplinks tab, ``v``) with Pilot against the sandbox broker: stable cursor, local history."""

from __future__ import annotations

import stat
import time
from pathlib import Path

import pytest

from sandbox.mqtt import MqttPart
from services.uplinks.history import KnownDevice, load_history, save_history
from tests.uplinks.test_uplinks_pane import PaneApp, profile_for, wait_for
from tui.panes.uplinks import UplinksPane
from widgets.device_table import COLUMNS, DeviceTable

pytestmark = pytest.mark.usefixtures("fake_aws_credentials")


def cursor_key(table: DeviceTable) -> str:
    return str(list(table.rows)[table.cursor_row].value)


async def test_state_comes_first_and_the_cursor_stays_on_its_device_across_ten_refreshes(
    broker: MqttPart, tmp_path: Path
) -> None:
    pane = UplinksPane(profile_for(broker), history_file=tmp_path / "devices.json")
    async with PaneApp(pane).run_test(size=(80, 24)) as pilot:
        table = pane.query_one(DeviceTable)
        await wait_for(lambda: len(pane.tracker) >= 5, pilot)
        pane.action_toggle_devices()
        await wait_for(lambda: table.row_count >= 5, pilot)
        assert COLUMNS[:3] == ("State", "Last seen", "Device")
        table.focus()
        await pilot.press("down", "down", "down")
        chosen = cursor_key(table)
        for _ in range(10):
            before = table.row_count
            pane._refresh_devices()  # what the one-second timer does
            await pilot.pause(0.1)
            assert cursor_key(table) == chosen, f"cursor moved off {chosen} ({before} → {table.row_count} rows)"


async def test_a_device_silent_since_before_start_is_listed_after_a_restart(broker: MqttPart, tmp_path: Path) -> None:
    history = tmp_path / "devices.json"
    pane = UplinksPane(profile_for(broker), history_file=history)
    async with PaneApp(pane).run_test(size=(100, 30)) as pilot:
        await wait_for(lambda: len(pane.tracker) >= 3, pilot)
    heard = load_history(history)  # written when the console closed
    assert len(heard) >= 3 and stat.S_IMODE(history.stat().st_mode) == 0o600
    # A device of that earlier run that has not talked since (its battery died two hours ago).
    gone = KnownDevice(heard[0].application_id, "eui-70b3d57ed0000999", time.time() - 7200, 60.0)
    save_history(history, [*heard, gone])

    pane = UplinksPane(profile_for(broker), history_file=history)
    async with PaneApp(pane).run_test(size=(100, 30)) as pilot:
        table = pane.query_one(DeviceTable)
        await wait_for(
            lambda: pane.tracker.summary(gone.application_id, gone.device_id, time.time()) is not None, pilot
        )
        pane.action_toggle_devices()
        await wait_for(lambda: table.row_count >= 1, pilot)
        first = [str(cell) for cell in table.get_row_at(0)]
        assert first[0].startswith("SILENT") and "before start" in first[0]
        assert first[1] == "2 h ago" and first[2] == gone.device_id  # silent first, with its last-seen time
        summary = pane.tracker.summary(gone.application_id, gone.device_id, time.time())
        assert summary is not None and summary.silent and not summary.heard_this_run

        # Devices talking now are not called silent after a few seconds of their own history.
        def talking() -> list[object]:
            return [s for s in pane.tracker.summaries(time.time()) if s.heard_this_run]

        await wait_for(lambda: len(talking()) >= 3, pilot)
        assert not any(s.silent for s in pane.tracker.summaries(time.time()) if s.heard_this_run)
