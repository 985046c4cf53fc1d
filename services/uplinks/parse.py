"""Uplinks: The Things Stack's ApplicationUp JSON parsed into :class:`Uplink`, and NDJSON forms.

Parsing never raises and never drops a message: what cannot be read is kept, with the reasons
in :attr:`Uplink.problems`, so the operator sees broken traffic instead of silence.
"""

from __future__ import annotations

import base64
import json
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

MAX_RAW_CHARS = 65_536  # bigger payloads are kept truncated (a 1 MB garbage message must not sit in memory ×10k)
TOPIC_PARTS = 6  # lorawan/<stack>/<app>/things/<device>/up


@dataclass(frozen=True)
class GatewayRx:
    """How one gateway heard the uplink (an entry of ``rx_metadata``)."""

    gateway_id: str
    eui: str = ""
    rssi: float | None = None
    channel_rssi: float | None = None
    snr: float | None = None
    channel_index: int | None = None
    time: str = ""
    location: tuple[float, float] | None = None  # the gateway's latitude, longitude when it reports one


@dataclass(frozen=True)
class Uplink:
    """One uplink as received on the topic; fields a message lacks are ``None`` or empty."""

    topic: str
    arrived: float  # local wall-clock time of receipt (epoch seconds)
    application_id: str = ""
    device_id: str = ""
    dev_eui: str = ""
    join_eui: str = ""
    dev_addr: str = ""
    received_at: datetime | None = None
    f_port: int | None = None
    f_cnt: int | None = None
    frm_payload: str = ""  # base64, as sent
    decoded_payload: Mapping[str, Any] | None = None
    gateways: tuple[GatewayRx, ...] = ()
    spreading_factor: int | None = None
    bandwidth: int | None = None
    coding_rate: str = ""
    frequency: int | None = None  # Hz
    consumed_airtime: float | None = None  # seconds
    problems: tuple[str, ...] = ()
    raw: str = field(default="", compare=False, repr=False)  # the payload as text, possibly truncated
    envelope: bool = field(default=False, compare=False, repr=False)  # raw is an AWS IoT export record

    @property
    def document(self) -> Any:
        """The message as parsed JSON, read again from ``raw`` on demand (20,000 parsed trees cost ~300 MB)."""
        try:
            doc = json.loads(self.raw)
        except (ValueError, RecursionError):
            return None
        return doc.get("payload") if self.envelope and isinstance(doc, dict) else doc

    @property
    def ok(self) -> bool:
        """The message parsed without any problem."""
        return not self.problems

    @property
    def best_rssi(self) -> float | None:
        best = None
        for g in self.gateways:
            if g.rssi is not None and (best is None or g.rssi > best):
                best = g.rssi
        return best

    @property
    def best_snr(self) -> float | None:
        best = None
        for g in self.gateways:
            if g.snr is not None and (best is None or g.snr > best):
                best = g.snr
        return best

    @property
    def timestamp(self) -> float:
        """When it happened: the stack's ``received_at`` when present, else the arrival time."""
        return self.received_at.timestamp() if self.received_at else self.arrived


def topic_ids(topic: str) -> tuple[str, str]:
    """(application id, device id) from ``lorawan/<stack>/<app>/things/<device>/up``; empty when not that shape."""
    parts = topic.split("/")
    if len(parts) == TOPIC_PARTS and parts[3] == "things":
        return parts[2], parts[4]
    return "", ""


def parse_message(topic: str, payload: bytes | str, arrived: float | None = None) -> Uplink:
    """Parse one MQTT message; the AWS IoT console's export envelope is unwrapped too."""
    when = time.time() if arrived is None else arrived
    problems: list[str] = []
    text, binary = _decode_text(payload)
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
            return parse_message(topic, inner, when)
        document = inner
        envelope = True
    if document is None and not problems:
        problems.append("empty JSON document (null)")
    elif document is not None and not isinstance(document, dict):
        problems.append(f"JSON {type(document).__name__} instead of an ApplicationUp object")
        document = None if not isinstance(document, (list, str, int, float, bool)) else document
    if isinstance(document, dict):
        return _from_application_up(topic, when, document, problems, raw, envelope)
    app, device = topic_ids(topic)
    return Uplink(
        topic=topic,
        arrived=when,
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
            try:
                return int(value)
            except ValueError:
                pass
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
    received_at = _timestamp(r.text(doc, "received_at", ""), problems)
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
        frm_payload=_payload(r.text(up, "frm_payload", "uplink_message."), problems),
        decoded_payload=decoded,
        gateways=_gateways(up.get("rx_metadata"), r),
        spreading_factor=r.integer(lora, "spreading_factor", "lora."),
        bandwidth=r.integer(lora, "bandwidth", "lora."),
        coding_rate=coding_rate,
        frequency=frequency,
        consumed_airtime=_duration(r.text(up, "consumed_airtime", "uplink_message."), problems),
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
    """``rx_metadata[].location{latitude, longitude}``; anything else is no location (it is optional)."""
    if not isinstance(value, dict):
        return None
    lat, lon = value.get("latitude"), value.get("longitude")
    # Called for every gateway of every uplink: two plain checks, no generator.
    if type(lat) not in (int, float) or type(lon) not in (int, float):
        return None
    latitude, longitude = float(lat), float(lon)  # type: ignore[arg-type]
    return (latitude, longitude) if -90 <= latitude <= 90 and -180 <= longitude <= 180 else None


def _timestamp(value: str, problems: list[str]) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)  # Python 3.11 reads the stack's nanoseconds and "Z" itself
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    except ValueError:
        pass
    try:
        # What fromisoformat refuses: try again with the fraction cut to microseconds.
        head, dot, rest = value.partition(".")
        if dot:
            digits = "".join(c for c in rest if c.isdigit())
            value = f"{head}.{digits[:6]}{rest[len(digits) :]}"
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    except ValueError:
        problems.append(f"received_at {value!r:.40} is not a timestamp")
        return None


def _duration(value: str, problems: list[str]) -> float | None:
    if not value:
        return None
    try:
        return float(value.removesuffix("s"))
    except ValueError:
        problems.append(f"consumed_airtime {value!r:.40} is not a duration")
        return None


def _payload(value: str, problems: list[str]) -> str:
    if value:
        try:
            base64.b64decode(value, validate=True)
        except ValueError:
            problems.append("frm_payload is not base64")
    return value


def uplink_as_json(uplink: Uplink, gap: int | None) -> dict[str, Any]:
    """The ``uplinks --json`` object (one NDJSON line)."""
    out: dict[str, Any] = {
        "received_at": _iso(uplink.received_at) if uplink.received_at else _iso_epoch(uplink.arrived),
        "application_id": uplink.application_id,
        "device_id": uplink.device_id,
        "dev_eui": uplink.dev_eui,
        "f_port": uplink.f_port,
        "f_cnt": uplink.f_cnt,
        "gap": gap,
        "rssi": uplink.best_rssi,
        "snr": uplink.best_snr,
        "spreading_factor": uplink.spreading_factor,
        "bandwidth": uplink.bandwidth,
        "frequency": uplink.frequency,
        "gateways": [
            {"gateway_id": g.gateway_id, "eui": g.eui, "rssi": g.rssi, "channel_rssi": g.channel_rssi, "snr": g.snr}
            for g in uplink.gateways
        ],
        "decoded_payload": dict(uplink.decoded_payload) if uplink.decoded_payload is not None else None,
        "topic": uplink.topic,
    }
    if uplink.problems:
        out["problems"] = list(uplink.problems)
    return out


def export_record(uplink: Uplink) -> dict[str, Any]:
    """The AWS IoT console's export envelope for one message."""
    document = uplink.document
    record: dict[str, Any] = {
        "format": "json",
        "payload": document,
        "qos": 1,
        "timestamp": round(uplink.arrived * 1000),
        "topic": uplink.topic,
    }
    if not isinstance(document, (dict, list)):
        record["format"] = "string"
        record["payload"] = uplink.raw
    return record


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _iso_epoch(value: float) -> str:
    return _iso(datetime.fromtimestamp(value, UTC))
