"""Uplinks written out: the ``uplinks --json`` line and the AWS IoT console's export record."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from services.uplinks.model import Uplink


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
