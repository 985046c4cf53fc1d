"""Uplinks: The Things Stack's ApplicationUp JSON read into :class:`Uplink`.

Parsing never raises and never drops a message: what cannot be read is kept, with the reasons
in :attr:`Uplink.problems`, so the operator sees broken traffic instead of silence. Two readers:
a well-formed message is read by the typed one (:mod:`services.uplinks.schema`), which takes
a fraction of the time; everything else by the lenient one here, which reads what it can
field by field and names each problem.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Mapping
from typing import Any

from services.uplinks import values
from services.uplinks.model import GatewayRx, Uplink, topic_ids
from services.uplinks.schema import read_clean

MAX_RAW_CHARS = 65_536  # bigger payloads are kept truncated (a 1 MB garbage message must not sit in memory ×10k)


def parse_message(topic: str, payload: bytes | str, arrived: float | None = None) -> Uplink:
    """Parse one MQTT message; the AWS IoT console's export envelope is unwrapped too."""
    when = time.time() if arrived is None else arrived
    text, binary = _decode_text(payload)
    if not binary and len(text) <= MAX_RAW_CHARS:
        clean = read_clean(topic, text, when)
        if clean is not None:
            return clean
    return read_lenient(topic, payload, when)


def read_lenient(topic: str, payload: bytes | str, arrived: float) -> Uplink:
    """The lenient reader alone: whatever the message holds, read field by field, each problem named."""
    text, binary = _decode_text(payload)
    problems: list[str] = []
    if binary:
        problems.append(f"binary payload of {len(payload)} bytes, not JSON")
    if len(text) > MAX_RAW_CHARS:
        problems.append(f"payload of {len(text)} characters; kept the first {MAX_RAW_CHARS}")
    raw = text[:MAX_RAW_CHARS]
    document: Any = None
    envelope = False
    if not binary:
        try:
            document = json.loads(text)
        except ValueError as exc:
            problems.append(f"not valid JSON ({exc})")
        except RecursionError:
            problems.append("JSON nested too deeply")
    if isinstance(document, dict) and _is_envelope(document):
        topic = str(document["topic"]) if isinstance(document.get("topic"), str) else topic
        inner = document.get("payload")
        if isinstance(inner, str):  # exported with format "string"
            return read_lenient(topic, inner, arrived)
        document = inner
        envelope = True
    if document is None and not problems:
        problems.append("empty JSON document (null)")
    elif document is not None and not isinstance(document, dict):
        problems.append(f"JSON {type(document).__name__} instead of an ApplicationUp object")
        document = None if not isinstance(document, (list, str, int, float, bool)) else document
    if isinstance(document, dict):
        return _from_application_up(topic, arrived, document, problems, raw, envelope)
    app, device = topic_ids(topic)
    return Uplink(
        topic=topic,
        arrived=arrived,
        application_id=app,
        device_id=device,
        problems=tuple(problems),
        raw=raw,
        envelope=envelope,
    )


def _decode_text(payload: bytes | str) -> tuple[str, bool]:
    if isinstance(payload, str):
        return payload, False
    try:
        return payload.decode("utf-8"), False
    except UnicodeDecodeError:
        return payload[:MAX_RAW_CHARS].decode("utf-8", "replace"), True


def _is_envelope(doc: Mapping[str, Any]) -> bool:
    return "payload" in doc and "topic" in doc and "format" in doc and "uplink_message" not in doc


class _Reader:
    """Typed field access that records what was wrong instead of raising."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems

    def obj(self, parent: Any, key: str, where: str) -> Mapping[str, Any]:
        value = parent.get(key) if isinstance(parent, dict) else None
        if value is None:
            return {}
        if not isinstance(value, dict):  # JSON objects are dicts; a Mapping ABC check costs far more
            self.problems.append(f"{where}{key} is {type(value).__name__}, not an object")
            return {}
        return value

    def text(self, parent: Mapping[str, Any], key: str, where: str) -> str:
        value = parent.get(key)
        if value is None:
            return ""
        if isinstance(value, str):
            return value
        self.problems.append(f"{where}{key} is {type(value).__name__}, not a string")
        return str(value)

    def integer(self, parent: Mapping[str, Any], key: str, where: str) -> int | None:
        value = parent.get(key)
        if value is None:
            return None
        if isinstance(value, bool):
            pass
        elif isinstance(value, int):
            return value
        elif isinstance(value, float) and value.is_integer():
            return int(value)
        elif isinstance(value, str):  # proto3 JSON writes 64-bit numbers as strings
            number = values.integer(value)
            if number is not None:
                return number
        self.problems.append(f"{where}{key} is {value!r:.40}, not an integer")
        return None

    def number(self, parent: Mapping[str, Any], key: str, where: str) -> float | None:
        value = parent.get(key)
        if value is None:
            return None
        if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
            return float(value)
        self.problems.append(f"{where}{key} is {value!r:.40}, not a number")
        return None


def _from_application_up(
    topic: str, when: float, doc: Mapping[str, Any], problems: list[str], raw: str, envelope: bool
) -> Uplink:
    r = _Reader(problems)
    ids = r.obj(doc, "end_device_ids", "")
    app_ids = r.obj(ids, "application_ids", "end_device_ids.")
    topic_app, topic_device = topic_ids(topic)
    up = r.obj(doc, "uplink_message", "")
    if not up:
        problems.append("no uplink_message (not an uplink, or cut short)")
    settings = r.obj(up, "settings", "uplink_message.")
    lora = r.obj(r.obj(settings, "data_rate", "settings."), "lora", "settings.data_rate.")
    # v3.22 moved coding_rate into data_rate.lora; older stacks put it in settings.
    coding_rate = r.text(lora, "coding_rate", "lora.") or r.text(settings, "coding_rate", "settings.")
    decoded = up.get("decoded_payload")
    if decoded is not None and not isinstance(decoded, dict):
        problems.append(f"decoded_payload is {type(decoded).__name__}, not an object")
        decoded = {"value": decoded}
    device_id = r.text(ids, "device_id", "end_device_ids.") or topic_device
    application_id = r.text(app_ids, "application_id", "application_ids.") or topic_app
    if not device_id:
        problems.append("no device id in the message or the topic")
    frequency = r.integer(settings, "frequency", "settings.")
    received_at = values.timestamp(r.text(doc, "received_at", ""), problems)
    return Uplink(
        topic=topic,
        arrived=when,
        application_id=application_id,
        device_id=device_id,
        dev_eui=r.text(ids, "dev_eui", "end_device_ids."),
        join_eui=r.text(ids, "join_eui", "end_device_ids."),
        dev_addr=r.text(ids, "dev_addr", "end_device_ids."),
        received_at=received_at,
        f_port=r.integer(up, "f_port", "uplink_message."),
        f_cnt=_f_cnt(up, r),
        frm_payload=values.payload(r.text(up, "frm_payload", "uplink_message."), problems),
        decoded_payload=decoded,
        gateways=_gateways(up.get("rx_metadata"), r),
        spreading_factor=r.integer(lora, "spreading_factor", "lora."),
        bandwidth=r.integer(lora, "bandwidth", "lora."),
        coding_rate=coding_rate,
        frequency=frequency,
        consumed_airtime=values.duration(r.text(up, "consumed_airtime", "uplink_message."), problems),
        problems=tuple(problems),
        raw=raw,
        envelope=envelope,
    )


def _f_cnt(up: Mapping[str, Any], r: _Reader) -> int | None:
    # The stack's JSON leaves out zero values: a data uplink (it has an f_port) without f_cnt counts 0.
    if "f_cnt" not in up and "f_port" in up:
        return 0
    return r.integer(up, "f_cnt", "uplink_message.")


def _gateways(value: Any, r: _Reader) -> tuple[GatewayRx, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        r.problems.append(f"rx_metadata is {type(value).__name__}, not a list")
        return ()
    out: list[GatewayRx] = []
    for i, entry in enumerate(value):
        if not isinstance(entry, dict):
            r.problems.append(f"rx_metadata[{i}] is {type(entry).__name__}, not an object")
            continue
        where = f"rx_metadata[{i}]."
        gw = r.obj(entry, "gateway_ids", where)
        out.append(
            GatewayRx(
                gateway_id=r.text(gw, "gateway_id", where) or "?",
                eui=r.text(gw, "eui", where),
                rssi=r.number(entry, "rssi", where),
                channel_rssi=r.number(entry, "channel_rssi", where),
                snr=r.number(entry, "snr", where),
                channel_index=r.integer(entry, "channel_index", where),
                time=r.text(entry, "time", where),
                location=_location(entry.get("location")),
            )
        )
    return tuple(out)


def _location(value: Any) -> tuple[float, float] | None:
    return values.location(value.get("latitude"), value.get("longitude")) if isinstance(value, dict) else None
