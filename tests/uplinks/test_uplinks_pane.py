"""The Uplinks tab with Pilot against the sandbox broker: live rows, pause, filter, detail, export, telemetry off."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from pathlib import Path

import pytest
from textual.app import App, ComposeResult

from sandbox.mqtt import MqttPart
from services.core.config import IotSettings, Profile
from services.stack.model import Stack, StackParameter
from services.uplinks.parse import parse_message
from tests.hidden_tab import HiddenTabApp
from tui.panes.uplinks import UplinksPane
from widgets.device_table import DeviceTable, sparkline
from widgets.uplink_detail import UplinkDetail
from widgets.uplink_feed import FeedLine, UplinkFeedView

pytestmark = pytest.mark.usefixtures("fake_aws_credentials")


def profile_for(part: MqttPart) -> Profile:
    iot = dataclasses.replace(IotSettings(), **part.settings()["iot"])
    return Profile(name="t", stack="ttes-demo", region="eu-west-1", iot=iot)


class PaneApp(App[None]):
    def __init__(self, pane: UplinksPane) -> None:
        super().__init__()
        self.pane = pane

    def compose(self) -> ComposeResult:
        yield self.pane


def stack(telemetry: str) -> Stack:
    params = (StackParameter("AWSIoTTelemetry", telemetry, "AWS IoT Telemetry."),)
    return Stack("ttes-demo", "id", "eu-west-1", "CREATE_COMPLETE", "", {}, params, (), None, None)


async def wait_for(predicate, pilot, seconds: float = 20.0) -> None:  # type: ignore[no-untyped-def]
    async with asyncio.timeout(seconds):
        while not predicate():
            await pilot.pause(0.05)


async def test_feed_pause_filter_detail_export(broker: MqttPart, tmp_path: Path) -> None:
    pane = UplinksPane(profile_for(broker), export_dir=tmp_path)
    async with PaneApp(pane).run_test(size=(160, 40)) as pilot:
        view = pane.query_one(UplinkFeedView)
        await wait_for(lambda: view.line_count >= 30, pilot)
        assert "connected" in pane.header_text()[0] and "msg/s" in pane.header_text()[0]

        view.focus()
        await pilot.press("space")
        frozen = view.line_count
        await wait_for(lambda: view.held_count > 0, pilot)
        assert view.line_count == frozen and "PAUSED" in pane.header_text()[0]
        await pilot.press("space")
        assert view.line_count > frozen and view.held_count == 0

        await pilot.press("slash")
        await pilot.press(*"app:climate")
        await pilot.press("enter")
        assert view.visible_lines and {line.application for line in view.visible_lines} == {"climate-sensors"}

        await pilot.press("ctrl+s")
        await wait_for(lambda: any(tmp_path.glob("uplinks-*.ndjson")), pilot)
        assert oct(next(tmp_path.glob("uplinks-*.ndjson")).stat().st_mode & 0o777) == "0o600"
        exported = next(tmp_path.glob("uplinks-*.ndjson")).read_text().splitlines()
        assert exported and all(parse_message("x", line).application_id == "climate-sensors" for line in exported)
        assert {"format", "payload", "qos", "timestamp", "topic"} <= set(json.loads(exported[0]))

        view.focus()
        await pilot.press("up", "enter")
        detail = pane.query_one(UplinkDetail)
        assert detail.display and "climate-sensors/" in str(detail.root.label)
        labels = [str(node.label) for node in _walk(detail.root)]
        assert any(label.startswith("rx_metadata [") for label in labels)
        await pilot.press("escape", "v")
        await pilot.pause(1.2)
        assert pane.query_one(DeviceTable).row_count > 0


def _walk(node):  # type: ignore[no-untyped-def]
    yield node
    for child in node.children:
        yield from _walk(child)


async def test_telemetry_off_is_said_in_words(broker: MqttPart) -> None:
    pane = UplinksPane(profile_for(broker), autostart=False)
    async with PaneApp(pane).run_test(size=(120, 30)) as pilot:
        pane.stack_loaded(stack("false"))
        await pilot.pause()
        message = str(pane.query_one("#uplinks-message").render())
        assert "AWS IoT Telemetry is off" in message and "AWSIoTTelemetry=true" in message
        assert "Telemetry is off" in pane.header_text()[0]


async def test_unreachable_endpoint_is_one_sentence_in_the_pane(broker: MqttPart) -> None:
    profile = profile_for(broker)
    bad = dataclasses.replace(profile, iot=dataclasses.replace(profile.iot, port=1))
    pane = UplinksPane(bad)
    async with PaneApp(pane).run_test(size=(120, 30)) as pilot:
        await wait_for(lambda: bool(pane.problem), pilot)
        assert pane.problem.startswith("Cannot reach the IoT endpoint 127.0.0.1:1")


def test_sparkline_scales_into_blocks() -> None:
    assert sparkline([-120, -75, -30], low=-120, high=-30) == "▁▅█"
    assert sparkline([]) == ""


async def test_shared_subscriptions_on_a_broker_without_them_are_said_not_silent(broker: MqttPart) -> None:
    # amqtt (the sandbox's broker) takes "$share/<group>/<filter>" as a literal filter that matches nothing.
    profile = profile_for(broker)
    two = dataclasses.replace(profile, iot=dataclasses.replace(profile.iot, connections=2))
    pane = UplinksPane(two, silence_after=1.0)
    async with PaneApp(pane).run_test(size=(200, 30)) as pilot:
        await wait_for(lambda: "shared subscriptions" in pane.header_text()[0], pilot)
        text, severity = pane.header_text()
        assert "Nothing has arrived on any of the 2 connections" in text and "iot.connections = 1" in text
        assert severity == "-warning" and pane.total == 0


class FeedApp(App[None]):
    def compose(self) -> ComposeResult:
        yield UplinkFeedView(max_lines=10)


def _row(summary: str) -> FeedLine:
    return FeedLine("12:00:00", "app", "dev", "1", "", "1", "SF7/125", "868.1", "-80", "7.5", "1", summary)


async def test_rows_are_cut_to_the_width_whatever_their_characters() -> None:
    app = FeedApp()
    async with app.run_test(size=(150, 8)) as pilot:  # the payload column starts at 106
        view = app.query_one(UplinkFeedView)
        lines = [_row("plain ascii " * 10), _row("温度 🌡 " * 20), _row("bell\x07 and \x1b[31m escape")]
        view.add_lines(lines)
        await pilot.pause(0.3)  # the next coalesced repaint
        width = view.scrollable_content_region.width
        rows = [view.render_line(y) for y in range(1, 4)]
        assert [row.cell_length for row in rows] == [width] * 3  # wide characters counted as two cells
        assert rows[0].text == lines[0].text[:width] and "plain ascii" in rows[0].text
        assert "温度 🌡" in rows[1].text and len(rows[1].text) < width  # cut by cells, not characters
        assert "bell\\x07 and \\x1b[31m escape" in rows[2].text and "\x07" not in rows[2].text


async def test_a_hidden_feed_lays_nothing_out_and_catches_up_when_shown() -> None:
    """Rows for a feed whose tab is not shown wait (a new size would lay out the tab that is
    shown ten times a second); showing the tab shows the newest."""
    app = HiddenTabApp(UplinkFeedView(max_lines=100))
    async with app.run_test(size=(150, 12)) as pilot:
        view = app.query_one(UplinkFeedView)
        for n in range(30):
            view.add_lines([_row(f"uplink {n}")])
        await pilot.pause(0.3)  # three repaint ticks
        assert view.virtual_size.height == 0
        app.show_view()
        await pilot.pause(0.3)
        assert view.virtual_size.height == 31
        assert "uplink 29" in "\n".join(view.render_line(y).text for y in range(view.size.height))
