"""Per-device state: gaps, resets, duplicates, trends, silence."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from services.uplinks.devices import DeviceTracker, Seen
from services.uplinks.model import GatewayRx, Uplink

TOPIC = "lorawan/ttes-demo/app/things/dev-1/up"


def up(
    f_cnt: int | None,
    t: float,
    *,
    dev: str = "dev-1",
    addr: str = "01000001",
    rssi: float = -80.0,
    sf: int = 7,
    gw: str = "gw-1",
) -> Uplink:
    return Uplink(
        topic=TOPIC,
        arrived=t,
        application_id="app",
        device_id=dev,
        dev_addr=addr,
        f_cnt=f_cnt,
        spreading_factor=sf,
        gateways=(GatewayRx(gw, rssi=rssi, snr=5.0),),
    )


def test_gaps_resets_and_duplicates() -> None:
    tr = DeviceTracker()
    seq = [tr.observe(up(n, float(i))) for i, n in enumerate([10, 11, 14, 14, 15])]
    assert [(o.seen, o.gap) for o in seq] == [
        (Seen.FIRST, 0),
        (Seen.NEXT, 0),
        (Seen.NEXT, 2),
        (Seen.DUPLICATE, None),
        (Seen.NEXT, 0),
    ]
    rejoin = tr.observe(up(0, 10.0, addr="01000999"))
    assert (rejoin.seen, rejoin.gap) == (Seen.RESET, 0)
    s = tr.summary("app", "dev-1", now=10.0)
    assert s is not None
    assert (s.count, s.lost, s.resets, s.duplicates, s.last_f_cnt) == (5, 2, 1, 1, 0)


def test_rejoin_with_a_counter_seen_before_is_not_a_duplicate() -> None:
    tr = DeviceTracker()
    for i in range(3):
        tr.observe(up(i, float(i)))
    assert tr.observe(up(1, 5.0, addr="0100ffff")).seen is Seen.RESET


def test_trend_histogram_gateways_and_silence() -> None:
    tr = DeviceTracker()
    for i in range(6):
        tr.observe(up(i, 60.0 * i, rssi=-70.0 - i, sf=7 if i % 2 else 9, gw=f"gw-{i % 3}"))
    s = tr.summaries(now=300.0 + 179.0)[0]
    assert s.rssi == (-70.0, -71.0, -72.0, -73.0, -74.0, -75.0)
    assert s.spreading_factors == {7: 3, 9: 3}
    assert s.gateways == ("gw-0", "gw-1", "gw-2")
    assert s.usual_interval == 60.0 and not s.silent
    assert tr.summaries(now=300.0 + 181.0)[0].silent


def test_devices_sorted_by_last_seen() -> None:
    tr = DeviceTracker()
    tr.observe(up(1, 5.0, dev="a"))
    tr.observe(up(1, 9.0, dev="b"))
    tr.observe(up(1, 7.0, dev="c"))
    assert [s.device_id for s in tr.summaries(now=10.0)] == ["b", "c", "a"]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=5), min_size=1, max_size=60))
def test_lost_equals_the_sum_of_gaps(steps: list[int]) -> None:
    tr = DeviceTracker()
    f_cnt, total_gap = 0, 0
    for i, step in enumerate(steps):
        f_cnt += step
        obs = tr.observe(up(f_cnt, float(i)))
        total_gap += obs.gap or 0
    s = tr.summary("app", "dev-1", now=0.0)
    assert s is not None and s.lost == total_gap == f_cnt - steps[0] - (len(steps) - 1)
