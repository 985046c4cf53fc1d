"""Uplinks: what one uplink is once read (:class:`Uplink`, :class:`GatewayRx`) and its topic's ids.

Frozen msgspec structs rather than dataclasses: a flood builds tens of thousands a second,
and a struct is built several times faster than a frozen dataclass. They are kept out of the
garbage collector's passes (``gc=False``): they hold only strings, numbers, tuples of
structs and the decoded payload (a JSON object, which cannot point back at them), so they can
never be part of a cycle, and the Uplinks tab's 20,000 lines do not lengthen every full pass.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import msgspec

TOPIC_PARTS = 6  # lorawan/<stack>/<app>/things/<device>/up


class GatewayRx(msgspec.Struct, frozen=True, gc=False):
    """How one gateway heard the uplink (an entry of ``rx_metadata``)."""

    gateway_id: str
    eui: str = ""
    rssi: float | None = None
    channel_rssi: float | None = None
    snr: float | None = None
    channel_index: int | None = None
    time: str = ""
    location: tuple[float, float] | None = None  # the gateway's latitude, longitude when it reports one


class Uplink(msgspec.Struct, frozen=True, gc=False):
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
    raw: str = ""  # the payload as text, possibly truncated
    envelope: bool = False  # raw is an AWS IoT export record

    def __repr__(self) -> str:  # not raw: up to 64 KB of someone else's text
        return f"Uplink({self.device_id!r}, f_cnt={self.f_cnt!r}, topic={self.topic!r}, problems={self.problems!r})"

    @property
    def document(self) -> Any:
        """The message as parsed JSON, read again from ``raw`` on demand (a parsed tree per kept line costs many times its text)."""
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
    def best_radio(self) -> tuple[float | None, float | None]:
        """The best RSSI and the best SNR any gateway measured (each ``None`` when none did), in one pass."""
        rssi = snr = None
        for g in self.gateways:
            if g.rssi is not None and (rssi is None or g.rssi > rssi):
                rssi = g.rssi
            if g.snr is not None and (snr is None or g.snr > snr):
                snr = g.snr
        return rssi, snr

    @property
    def best_rssi(self) -> float | None:
        return self.best_radio[0]

    @property
    def best_snr(self) -> float | None:
        return self.best_radio[1]

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
