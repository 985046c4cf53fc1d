"""Per-gateway statistics from rx_metadata, fed by the sandbox's uplink simulator (and the scenario gateway-down)."""

from __future__ import annotations

import json

from sandbox.uplink_sim import CHANNELS_HZ, GATEWAY_LOCATIONS, GATEWAYS, UplinkSimulator
from services.uplinks.gateways import MIN_SILENCE, GatewayTracker
from services.uplinks.parse import parse_message
from tests.conftest import run_cli

RATE = 20.0


def feed(sim: UplinkSimulator, tracker: GatewayTracker, start: float, end: float) -> None:
    """The simulator's messages from ``start`` to ``end`` (a fake clock), parsed and tracked."""
    now = start
    while now < end:
        topic, payload = sim.next_message(now)
        tracker.observe(parse_message(topic, payload, arrived=now))
        now += 1 / RATE


def expected_outcome() -> UplinkSimulator:
    sim = UplinkSimulator("ttes-demo")
    sim.take_gateway_down()
    return sim


def test_every_gateway_is_summarised_from_rx_metadata() -> None:
    sim, tracker = UplinkSimulator("ttes-demo"), GatewayTracker()
    feed(sim, tracker, 1000.0, 1060.0)
    summaries = {s.gateway_id: s for s in tracker.summaries(1060.0)}
    assert set(summaries) == {gw for gw, _ in GATEWAYS}
    total_rx = 0
    for index, (gateway_id, eui) in enumerate(GATEWAYS):
        s = summaries[gateway_id]
        assert s.eui == eui and s.location == GATEWAY_LOCATIONS[index]
        assert not s.silent and s.quiet_for < 5
        assert s.devices == sum(1 for d in sim.devices if index in d.gateways)
        assert s.rssi is not None and -130 < s.rssi.median < -30 and s.rssi.spread >= 0
        assert s.snr is not None and -25 < s.snr.median < 12
        assert {round(mhz * 1e6) for mhz, _ in s.channels} <= set(CHANNELS_HZ)
        assert s.per_minute > 0 and s.usual_interval is not None
        total_rx += s.uplinks
    # Coverage overlaps: an uplink is heard by one to three gateways.
    assert 1200 < total_rx < 3 * 1200


def test_a_gateway_that_goes_down_is_silent_with_its_moved_and_silent_devices() -> None:
    sim, tracker = UplinkSimulator("ttes-demo"), GatewayTracker()
    sim.down_at = 1030.0
    feed(sim, tracker, 1000.0, 1029.9)
    assert not any(s.silent for s in tracker.summaries(1029.9))
    feed(sim, tracker, 1030.0, 1060.0)
    expected = expected_outcome()
    assert sim.down_gateway == expected.down_gateway and sim.silenced == expected.silenced
    summaries = {s.gateway_id: s for s in tracker.summaries(1060.0)}
    down = summaries[sim.down_gateway]
    assert down.silent and down.quiet_for > MIN_SILENCE
    assert tracker.summaries(1060.0)[0].gateway_id == sim.down_gateway  # silent ones first
    assert sorted(dev for _, dev in down.gone_silent) == sorted(sim.silenced)
    moved = {dev for _, dev in down.moved}
    assert set(sim.moved) <= moved and not moved & set(sim.silenced)
    assert len(moved) + len(down.gone_silent) == down.devices
    assert not any(s.silent for gid, s in summaries.items() if gid != sim.down_gateway)

    devices = tracker.devices_of(sim.down_gateway, 1060.0)
    states = {d.device_id: d for d in devices}
    assert {k for k, d in states.items() if d.state == "silent"} == set(sim.silenced)
    assert all(d.heard_by_others and sim.down_gateway not in d.heard_by_others for d in devices if d.state == "moved")
    assert devices[0].state == "silent"  # silent first, then moved
    assert all(d.state == "heard" for d in tracker.devices_of(GATEWAYS[1][0], 1060.0))


def test_a_quiet_minute_is_not_silence_below_the_floor() -> None:
    sim, tracker = UplinkSimulator("ttes-demo"), GatewayTracker()
    feed(sim, tracker, 1000.0, 1010.0)
    assert not any(s.silent for s in tracker.summaries(1010.0 + MIN_SILENCE - 1))
    assert all(s.silent for s in tracker.summaries(1010.0 + MIN_SILENCE + 1))


def test_uplinks_without_rx_metadata_or_with_a_bad_location_count_nothing_wrong() -> None:
    tracker = GatewayTracker()
    tracker.observe(parse_message("lorawan/s/app/things/dev/up", b"not json", arrived=1.0))
    assert len(tracker) == 0
    doc = {
        "end_device_ids": {"device_id": "dev", "application_ids": {"application_id": "app"}},
        "uplink_message": {
            "f_port": 1, "f_cnt": 3,
            "rx_metadata": [{"gateway_ids": {"gateway_id": "gw-1"}, "rssi": -80, "snr": 5, "location": {"latitude": "x"}}],
        },
    }  # fmt: skip
    uplink = parse_message("lorawan/s/app/things/dev/up", json.dumps(doc), arrived=2.0)
    assert uplink.ok and uplink.gateways[0].location is None
    tracker.observe(uplink)
    (summary,) = tracker.summaries(2.0)
    assert summary.gateway_id == "gw-1" and summary.location is None and summary.devices == 1


def test_uplinks_gateways_reports_the_silent_gateway_and_its_devices() -> None:
    env = {"TTES_SANDBOX_GATEWAY_DOWN_AFTER": "8", "TTES_SANDBOX_UPLINK_RATE": "100"}
    done = run_cli(
        "--demo", "--demo-scenario", "gateway-down", "uplinks", "--gateways", "--seconds", "22", "--json", env=env
    )
    assert done.returncode == 0, done.stderr
    rows = {r["gateway_id"]: r for r in map(json.loads, done.stdout.splitlines())}
    expected = expected_outcome()
    assert set(rows) == {gw for gw, _ in GATEWAYS}
    down = rows[expected.down_gateway]
    assert down["silent"] is True
    assert sorted(d.split("/")[1] for d in down["silent_devices"]) == sorted(expected.silenced)
    assert set(expected.moved) <= {d.split("/")[1] for d in down["moved_devices"]}
    assert [r["silent"] for gid, r in rows.items() if gid != expected.down_gateway] == [False] * 3


def test_the_plain_summary_names_a_silent_gateway_and_its_devices() -> None:
    from tui.cli.uplinks_gateways import plain_lines

    sim, tracker = UplinkSimulator("ttes-demo"), GatewayTracker()
    sim.down_at = 1010.0
    feed(sim, tracker, 1000.0, 1040.0)
    silent = tracker.summaries(1040.0)[0]
    lines = plain_lines(silent)
    assert lines[0].startswith(sim.down_gateway) and "SILENT" in lines[0]
    head, _, names = lines[2].partition(": ")
    assert head == f"  silent with it ({len(sim.silenced)})" and sorted(names.split(", ")) == sorted(sim.silenced)
    assert all(dev in lines[1] for dev in sim.moved)
