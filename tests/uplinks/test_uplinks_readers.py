"""The two readers of an uplink agree: the typed one (schema.read_clean) reads a message exactly as the
lenient one would, with no problem, or declines it; and it does take the messages a stack sends."""

from __future__ import annotations

import copy
import json
import math
import time
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from sandbox.uplink_sim import UplinkSimulator
from services.uplinks.parse import parse_message, read_lenient
from services.uplinks.schema import read_clean
from tests.uplinks.test_uplinks_parse import APPLICATION_UP, TOPIC

SIM = UplinkSimulator("ttes-readers", seed=7)
PRE_3_22 = copy.deepcopy(APPLICATION_UP)  # coding_rate in settings, as stacks before v3.22 wrote it
PRE_3_22["uplink_message"]["settings"]["coding_rate"] = PRE_3_22["uplink_message"]["settings"]["data_rate"]["lora"].pop(
    "coding_rate"
)
SIM_MESSAGES = [(SIM.topic(d), SIM.application_up(d, 1_764_000_000.0 + i)) for i, d in enumerate(SIM.devices[:6])]

# Every field either reader looks at, and a few it skips.
PATHS: list[tuple[Any, ...]] = [
    (),
    ("end_device_ids",),
    ("end_device_ids", "device_id"),
    ("end_device_ids", "dev_eui"),
    ("end_device_ids", "dev_addr"),
    ("end_device_ids", "application_ids"),
    ("end_device_ids", "application_ids", "application_id"),
    ("received_at",),
    ("correlation_ids",),
    ("uplink_message",),
    ("uplink_message", "f_port"),
    ("uplink_message", "f_cnt"),
    ("uplink_message", "frm_payload"),
    ("uplink_message", "decoded_payload"),
    ("uplink_message", "decoded_payload", "battery"),
    ("uplink_message", "consumed_airtime"),
    ("uplink_message", "rx_metadata"),
    ("uplink_message", "rx_metadata", 0),
    ("uplink_message", "rx_metadata", 0, "gateway_ids"),
    ("uplink_message", "rx_metadata", 0, "gateway_ids", "gateway_id"),
    ("uplink_message", "rx_metadata", 0, "rssi"),
    ("uplink_message", "rx_metadata", 0, "snr"),
    ("uplink_message", "rx_metadata", 0, "channel_index"),
    ("uplink_message", "rx_metadata", 0, "time"),
    ("uplink_message", "rx_metadata", 0, "location"),
    ("uplink_message", "rx_metadata", 0, "location", "latitude"),
    ("uplink_message", "rx_metadata", 1, "location", "longitude"),
    ("uplink_message", "settings"),
    ("uplink_message", "settings", "frequency"),
    ("uplink_message", "settings", "coding_rate"),
    ("uplink_message", "settings", "data_rate"),
    ("uplink_message", "settings", "data_rate", "lora"),
    ("uplink_message", "settings", "data_rate", "lora", "bandwidth"),
    ("uplink_message", "settings", "data_rate", "lora", "spreading_factor"),
    ("uplink_message", "settings", "data_rate", "lora", "coding_rate"),
    ("format",),
    ("payload",),
    ("topic",),
]
DELETE = object()

scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(2**80), max_value=2**80)
    | st.floats(allow_nan=False)
    | st.sampled_from([1e308, -1e308, 3.0, -0.0, 90.0, 180.5])
    | st.text(max_size=10)
    | st.sampled_from(["867900000", " 12 ", "1_000", "0x10", "12.5", "2026-12-02T10:00:00Z", "0.05s", "AQ==", "?!"])
)
json_values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=12,
)


def _mutated(doc: dict[str, Any], path: tuple[Any, ...], value: object) -> dict[str, Any]:
    doc = copy.deepcopy(doc)
    if not path:
        return doc
    node: Any = doc
    for key in path[:-1]:
        try:
            node = node[key]
        except (KeyError, IndexError, TypeError):
            return doc
    last = path[-1]
    if value is DELETE:
        if isinstance(node, dict):
            node.pop(last, None)
        elif isinstance(node, list) and isinstance(last, int) and last < len(node):
            del node[last]
    elif isinstance(node, dict) or (isinstance(node, list) and isinstance(last, int) and last < len(node)):
        node[last] = value
    return doc


def _same(a: Any, b: Any) -> bool:
    """Equal, with -0.0 and 0.0 told apart and floats compared bit for bit where they are floats."""
    if isinstance(a, float) and isinstance(b, float):
        return math.copysign(1, a) == math.copysign(1, b) and a == b
    return bool(a == b)


def _assert_agree(topic: str, text: str) -> bool:
    """True when the typed reader took the message (and then it said what the lenient one says)."""
    clean = read_clean(topic, text, 5.0)
    lenient = read_lenient(topic, text, 5.0)
    if clean is None:
        return False
    assert lenient.problems == ()
    assert clean == lenient, f"{clean!r} != {lenient!r}"
    assert type(clean.f_cnt) is type(lenient.f_cnt)
    for ours, theirs in zip(clean.gateways, lenient.gateways, strict=True):
        assert _same(ours.rssi, theirs.rssi) and _same(ours.snr, theirs.snr)
        assert ours.location == theirs.location
    return True


@settings(max_examples=600, deadline=None)
@given(
    base=st.sampled_from([APPLICATION_UP, PRE_3_22, *(doc for _, doc in SIM_MESSAGES)]),
    edits=st.lists(st.tuples(st.sampled_from(PATHS), json_values | st.just(DELETE)), max_size=3),
)
def test_the_typed_reader_says_what_the_lenient_one_says_or_declines(base: dict[str, Any], edits: list) -> None:
    doc = base
    for path, value in edits:
        doc = _mutated(doc, path, value)
    text = json.dumps(doc)
    _assert_agree(TOPIC, text)
    _assert_agree("not/an/uplink/topic", text)


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=200) | json_values.map(json.dumps))
def test_any_text_is_read_alike_or_declined(text: str) -> None:
    _assert_agree(TOPIC, text)


def test_the_typed_reader_takes_what_a_stack_sends() -> None:
    assert _assert_agree(TOPIC, json.dumps(APPLICATION_UP))
    assert _assert_agree(TOPIC, json.dumps(PRE_3_22))
    for topic, doc in SIM_MESSAGES:
        assert _assert_agree(topic, json.dumps(doc, separators=(",", ":")))
        assert parse_message(topic, json.dumps(doc).encode(), 5.0) == read_clean(topic, json.dumps(doc), 5.0)


def test_what_the_typed_reader_declines_is_read_with_its_problems() -> None:
    doc = copy.deepcopy(APPLICATION_UP)
    doc["uplink_message"]["rx_metadata"][0]["rssi"] = "strong"
    doc["received_at"] = "yesterday"
    text = json.dumps(doc)
    assert read_clean(TOPIC, text, time.time()) is None
    up = parse_message(TOPIC, text)
    assert up.gateways[0].rssi is None and up.received_at is None
    assert any("rssi" in p for p in up.problems) and any("received_at" in p for p in up.problems)
    huge = json.dumps(APPLICATION_UP).replace('"snr": 7.25', '"snr": 1e400')
    assert read_clean(TOPIC, huge, 0.0) is None
    assert parse_message(TOPIC, huge).gateways[0].snr is None
