"""The timeline's `devices` source: silences the live feed saw, read from the devices view's history file."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

from textual.app import App, ComposeResult
from textual.widgets import DataTable

from services.core.config import Profile, render_profile_toml
from services.timeline.assemble import build_timeline, merge, nothing_read
from services.timeline.local_sources import device_items
from services.timeline.model import SOURCES, SourceResult
from services.timeline.report import SILENT_DEVICES_LISTED, render_report
from services.uplinks.devices import SILENT_FLOOR, SILENT_UNKNOWN, silent_after
from services.uplinks.history import KnownDevice, history_path, save_history
from tests.conftest import run_cli
from tui.panes.timeline import TimelinePane

SPAN = timedelta(hours=2)


def _write(stack: str, now: datetime) -> Path:
    """A history as the Uplinks pane writes it: silent, talking, silent before the range, rhythm unknown."""
    ago = now.timestamp()
    path = history_path(stack)
    save_history(
        path,
        [
            KnownDevice("fields", "eui-70b3d57ed0000001", ago - 30 * 60, 60.0),  # silent 27 min ago
            KnownDevice("fields", "eui-70b3d57ed0000002", ago - 60, 60.0),  # heard a minute ago: fine
            KnownDevice("fields", "eui-70b3d57ed0000003", ago - 5 * 3600, 60.0),  # silent before the range
            KnownDevice("meters", "meter\x1b[31m-7", ago - 90 * 60, None),  # no rhythm: silent after an hour
        ],
    )
    return path


def test_the_rule_is_the_devices_views() -> None:
    assert silent_after(60.0) == 180.0
    assert silent_after(2.0) == SILENT_FLOOR
    assert silent_after(None) == SILENT_UNKNOWN


def test_silent_devices_in_the_range_become_warnings_the_others_do_not() -> None:
    now = datetime.now(UTC)
    profile = Profile(name="p", stack="silences-a")
    _write(profile.stack, now)
    items, figures = device_items(profile, now - SPAN, now)
    assert {i.ref for i in items} == {"devices:fields/eui-70b3d57ed0000001", "devices:meters/meter\\x1b[31m-7"}
    by_ref = {i.ref: i for i in items}
    silent = by_ref["devices:fields/eui-70b3d57ed0000001"]
    last = datetime.fromtimestamp(now.timestamp() - 30 * 60, UTC)
    assert silent.source == "devices" and silent.kind == "silent" and silent.severity == "warning"
    assert silent.time == last + timedelta(seconds=180)  # when it became silent, not when last heard
    assert silent.summary == f"eui-70b3d57ed0000001 (app fields) silent since {last:%H:%M} (usually every 60 s)"
    unknown = by_ref["devices:meters/meter\\x1b[31m-7"]
    assert "\x1b" not in unknown.summary and "meter\\x1b[31m-7 (app meters)" in unknown.summary
    assert unknown.summary.endswith("(usual interval unknown)")
    assert unknown.time == datetime.fromtimestamp(now.timestamp() - 90 * 60, UTC) + timedelta(hours=1)
    # Still silent at the end of the range, the one silent since before it included; newest silence first.
    assert [d["device_id"] for d in figures["silent"]] == [
        "eui-70b3d57ed0000001",
        "meter\x1b[31m-7",
        "eui-70b3d57ed0000003",
    ]


def test_a_silence_after_the_feed_last_wrote_is_not_one_it_saw() -> None:
    now = datetime.now(UTC)
    profile = Profile(name="p", stack="silences-b")
    path = _write(profile.stack, now)
    closed = now.timestamp() - 40 * 60  # the console closed 40 min ago: the later silences it never saw
    os.utime(path, (closed, closed))
    items, figures = device_items(profile, now - SPAN, now)
    assert items == []
    assert [d["device_id"] for d in figures["silent"]] == ["eui-70b3d57ed0000003"]
    # An older range that ends before the file was last written sees them.
    items, _ = device_items(profile, now - timedelta(hours=6), now - timedelta(minutes=20))
    assert [i.ref for i in items] == ["devices:fields/eui-70b3d57ed0000003"]


async def test_no_history_is_an_empty_source_not_a_failure() -> None:
    profile = Profile(name="p", stack="never-watched")
    assert not history_path(profile.stack).exists()
    timeline = await build_timeline(profile, SPAN, sources=("devices",))
    assert timeline.items == () and not timeline.failed and not nothing_read(timeline)


def test_the_report_lists_silent_devices_as_still_failing() -> None:
    now = datetime.now(UTC)
    profile = Profile(name="p", stack="silences-c")
    _write(profile.stack, now)
    items, figures = device_items(profile, now - SPAN, now)
    timeline = merge([SourceResult("devices", tuple(items), figures=figures)], now - SPAN, now)
    text = render_report(timeline, stack_name="s", region="eu-west-1", stack_status="UPDATE_COMPLETE", health=[])
    failing = text.split("## Still failing", 1)[1]
    assert "- Device **eui-70b3d57ed0000001** (app fields) silent since" in failing
    assert "(usually every 60 s)." in failing and "(usual interval unknown)." in failing
    assert "eui-70b3d57ed0000003" in failing and "\x1b" not in text
    # Many silent devices: the first ones listed, the rest counted.
    many = [{**figures["silent"][0], "device_id": f"d{n}"} for n in range(SILENT_DEVICES_LISTED + 3)]
    crowded = merge([SourceResult("devices", (), figures={"silent": many})], now - SPAN, now)
    text = render_report(crowded, stack_name="s", region="r", stack_status="", health=[])
    assert text.count("- Device **") == SILENT_DEVICES_LISTED and "And 3 more silent devices" in text


def test_timeline_json_source_devices_reads_the_history(tmp_path: Path) -> None:
    now = datetime.now(UTC)
    profile = Profile(name="field", stack="silences-cli", region="eu-west-1")
    _write(profile.stack, now)
    config = tmp_path / "config.toml"
    config.write_text(render_profile_toml(profile))
    done = run_cli("--config", str(config), "timeline", "--since", "2h", "--source", "devices", "--json")
    assert done.returncode == 0, done.stderr
    items = [json.loads(line) for line in done.stdout.splitlines()]
    assert {i["source"] for i in items} == {"devices"}
    assert [i["ref"] for i in items] == ["devices:meters/meter\\x1b[31m-7", "devices:fields/eui-70b3d57ed0000001"]
    assert all(i["severity"] == "warning" and i["kind"] == "silent" for i in items)
    assert [i["time"] for i in items] == sorted(i["time"] for i in items)
    assert "\x1b" not in done.stdout


class _PaneApp(App[None]):
    def __init__(self, profile: Profile) -> None:
        super().__init__()
        self.profile = profile

    def compose(self) -> ComposeResult:
        yield TimelinePane(self.profile, interval=3600)


async def test_the_source_filter_cycles_through_devices() -> None:
    now = datetime.now(UTC)
    profile = Profile(name="p", stack="silences-d")
    _write(profile.stack, now)
    app = _PaneApp(profile)
    async with app.run_test(size=(120, 30)) as pilot:
        pane = app.query_one(TimelinePane)
        pane.timeline = await build_timeline(profile, SPAN, sources=("devices", "audit"))
        pane._show()
        for _ in range(SOURCES.index("devices") + 1):
            await pilot.press("o")
        await pilot.pause(0.1)
        assert pane.source == "devices"
        assert len(pane.shown) == 2 and {i.source for i in pane.shown} == {"devices"}
        assert app.query_one(DataTable).row_count == 2
