"""Parsing ApplicationUp JSON (and the AWS IoT export envelope) into Uplink."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import msgspec
from hypothesis import given, settings
from hypothesis import strategies as st

from services.uplinks.forms import export_record, uplink_as_json
from services.uplinks.model import topic_ids
from services.uplinks.parse import parse_message

# The NDJSON object's keys, in order, as the README documents them (also used by test_uplinks_cli).
NDJSON_KEYS = [
    "received_at",
    "application_id",
    "device_id",
    "dev_eui",
    "f_port",
    "f_cnt",
    "gap",
    "rssi",
    "snr",
    "spreading_factor",
    "bandwidth",
    "frequency",
    "gateways",
    "decoded_payload",
    "topic",
]
TOPIC = "lorawan/ttes-demo/motion-sensors/things/eui-70b3d57ed0000001/up"

# Shaped like The Things Stack v3.32 output, trimmed.
APPLICATION_UP = {
    "end_device_ids": {
        "device_id": "eui-70b3d57ed0000001",
        "application_ids": {"application_id": "motion-sensors"},
        "dev_eui": "70B3D57ED0000001",
        "join_eui": "0000000000000000",
        "dev_addr": "0112A3F4",
    },
    "correlation_ids": ["as:up:01H..."],
    "received_at": "2026-11-26T10:15:02.123456789Z",
    "uplink_message": {
        "session_key_id": "AYv...",
        "f_port": 1,
        "f_cnt": 42,
        "frm_payload": "AQIDBA==",
        "decoded_payload": {"occupancy": 1, "battery": 3.6},
        "rx_metadata": [
            {
                "gateway_ids": {"gateway_id": "ttig-52ec", "eui": "58A0CBFFFE8052EC"},
                "rssi": -97,
                "channel_rssi": -97,
                "snr": 7.25,
                "channel_index": 2,
                "time": "2026-11-26T10:15:02.1Z",
            },
            {
                "gateway_ids": {"gateway_id": "eui-0242020000247803", "eui": "0242020000247803"},
                "rssi": -112,
                "channel_rssi": -112,
                "snr": -3.5,
            },
        ],
        "settings": {
            "data_rate": {"lora": {"bandwidth": 125000, "spreading_factor": 9, "coding_rate": "4/5"}},
            "frequency": "868300000",
            "timestamp": 1234,
        },
        "received_at": "2026-11-26T10:15:02.100Z",
        "consumed_airtime": "0.185344s",
    },
}


def test_full_application_up_is_parsed() -> None:
    up = parse_message(TOPIC, json.dumps(APPLICATION_UP).encode(), arrived=1.0)
    assert up.ok, up.problems
    assert (up.application_id, up.device_id, up.dev_eui, up.dev_addr) == (
        "motion-sensors",
        "eui-70b3d57ed0000001",
        "70B3D57ED0000001",
        "0112A3F4",
    )
    assert (up.f_port, up.f_cnt, up.spreading_factor, up.bandwidth, up.coding_rate) == (1, 42, 9, 125000, "4/5")
    assert up.frequency == 868_300_000
    assert up.consumed_airtime == 0.185344
    assert up.received_at == datetime(2026, 11, 26, 10, 15, 2, 123456, tzinfo=UTC)
    assert [g.gateway_id for g in up.gateways] == ["ttig-52ec", "eui-0242020000247803"]
    assert (up.best_rssi, up.best_snr) == (-97.0, 7.25)
    assert up.decoded_payload == {"occupancy": 1, "battery": 3.6}


def test_coding_rate_in_settings_for_stacks_before_3_22() -> None:
    doc = json.loads(json.dumps(APPLICATION_UP))
    del doc["uplink_message"]["settings"]["data_rate"]["lora"]["coding_rate"]
    doc["uplink_message"]["settings"]["coding_rate"] = "4/6"
    assert parse_message(TOPIC, json.dumps(doc)).coding_rate == "4/6"


def test_export_envelope_is_unwrapped_and_round_trips() -> None:
    envelope = {"format": "json", "payload": APPLICATION_UP, "qos": 0, "timestamp": 1764152102123, "topic": TOPIC}
    up = parse_message("ignored/topic", json.dumps(envelope))
    assert up.ok and up.topic == TOPIC and up.f_cnt == 42
    again = parse_message("x", json.dumps(export_record(up)))
    assert again == msgspec.structs.replace(up, arrived=again.arrived, raw=again.raw)


def test_truncated_json_is_kept_with_ids_from_the_topic() -> None:
    up = parse_message(TOPIC, json.dumps(APPLICATION_UP)[:120].encode())
    assert not up.ok and "not valid JSON" in up.problems[0]
    assert (up.application_id, up.device_id) == ("motion-sensors", "eui-70b3d57ed0000001")
    assert export_record(up)["format"] == "string"


def test_wrong_types_are_reported_not_raised() -> None:
    doc = json.loads(json.dumps(APPLICATION_UP))
    doc["uplink_message"]["f_cnt"] = "forty"
    doc["uplink_message"]["rx_metadata"][0]["rssi"] = "loud"
    doc["uplink_message"]["settings"] = [1, 2]
    up = parse_message(TOPIC, json.dumps(doc))
    assert up.f_cnt is None and up.gateways[0].rssi is None and up.spreading_factor is None
    assert any("f_cnt" in p for p in up.problems) and any("rssi" in p for p in up.problems)
    assert any("settings" in p for p in up.problems)


def test_binary_and_huge_payloads_are_kept_and_bounded() -> None:
    binary = parse_message(TOPIC, b"\xff\xfe\x00garbage")
    assert "binary" in binary.problems[0] and binary.device_id == "eui-70b3d57ed0000001"
    huge = parse_message(TOPIC, b'{"x": "' + b"a" * 500_000 + b'"}')
    assert len(huge.raw) <= 65_536 and any("kept the first" in p for p in huge.problems)


def test_ndjson_keys_are_the_documented_ones() -> None:
    out = uplink_as_json(parse_message(TOPIC, json.dumps(APPLICATION_UP)), gap=3)
    assert list(out) == NDJSON_KEYS
    assert out["gap"] == 3 and out["received_at"] == "2026-11-26T10:15:02.123456Z"
    json.dumps(out)


def test_topic_ids_only_for_the_uplink_shape() -> None:
    assert topic_ids(TOPIC) == ("motion-sensors", "eui-70b3d57ed0000001")
    assert topic_ids("lorawan/x/up") == ("", "")


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=10),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)


def _mutate(doc: dict, path: list[str], value: object) -> dict:
    doc = json.loads(json.dumps(doc))
    node = doc
    for key in path[:-1]:
        nxt = node.get(key) if isinstance(node, dict) else None
        if not isinstance(nxt, dict):
            return doc
        node = nxt
    node[path[-1]] = value
    return doc


PATHS = [
    ["uplink_message"],
    ["end_device_ids"],
    ["end_device_ids", "application_ids"],
    ["uplink_message", "f_cnt"],
    ["uplink_message", "rx_metadata"],
    ["uplink_message", "settings"],
    ["uplink_message", "settings", "data_rate"],
    ["uplink_message", "decoded_payload"],
    ["received_at"],
    ["uplink_message", "consumed_airtime"],
    ["uplink_message", "settings", "frequency"],
    ["uplink_message", "frm_payload"],
    ["format"],
]


@settings(max_examples=300, deadline=None)
@given(path=st.sampled_from(PATHS), value=json_values)
def test_any_field_of_any_type_never_crashes(path: list[str], value: object) -> None:
    up = parse_message(TOPIC, json.dumps(_mutate(APPLICATION_UP, path, value)))
    assert up.device_id  # kept, and still attributable through the topic
    json.dumps(uplink_as_json(up, None))
    json.dumps(export_record(up))


@settings(max_examples=300, deadline=None)
@given(payload=st.binary(max_size=300) | json_values.map(lambda v: json.dumps(v).encode()))
def test_any_bytes_never_crash(payload: bytes) -> None:
    up = parse_message(TOPIC, payload)
    assert up.ok is (not up.problems)
    json.dumps(uplink_as_json(up, None))


def test_f_cnt_zero_is_left_out_by_the_stack() -> None:
    doc = json.loads(json.dumps(APPLICATION_UP))
    del doc["uplink_message"]["f_cnt"]
    assert parse_message(TOPIC, json.dumps(doc)).f_cnt == 0
    del doc["uplink_message"]["f_port"]
    assert parse_message(TOPIC, json.dumps(doc)).f_cnt is None
