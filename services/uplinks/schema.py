"""Uplinks: The Things Stack's ApplicationUp as typed structs, and the reader for messages that match them.

The fast path of :func:`services.uplinks.parse.parse_message`. msgspec decodes the fields the
console shows straight into these structs (skipping the rest: correlation ids, tokens, network
ids) and checks their types as it goes, in C. A message it reads is exactly what the lenient
reader would make of it, with no problem found; anything else (a wrong type, a ``null``, an
export envelope, a bad timestamp, a missing device id) is declined with ``None`` and read again
by the lenient reader, which says what is wrong. So the fast path never decides what a problem
is, and a property test holds the two readers to the same result.
"""

from __future__ import annotations

from typing import Any

import msgspec
from msgspec import UNSET, UnsetType

from services.uplinks import values
from services.uplinks.model import GatewayRx, Uplink, topic_ids

# No field here accepts null: where the lenient reader treats null apart from absent, the two must not differ.
# A float field refuses what is out of range (1e400), as the lenient reader refuses infinities.
Integer = int | str  # proto3 JSON writes 64-bit numbers as strings


class _GatewayIds(msgspec.Struct):
    gateway_id: str = ""
    eui: str = ""


class _RxMetadata(msgspec.Struct):
    gateway_ids: _GatewayIds | UnsetType = UNSET
    rssi: float | UnsetType = UNSET
    channel_rssi: float | UnsetType = UNSET
    snr: float | UnsetType = UNSET
    channel_index: Integer | UnsetType = UNSET
    time: str = ""
    location: Any = None  # optional, and anything that is not a location is none (values.location)


class _Lora(msgspec.Struct):
    bandwidth: Integer | UnsetType = UNSET
    spreading_factor: Integer | UnsetType = UNSET
    coding_rate: str = ""


class _DataRate(msgspec.Struct):
    lora: _Lora | UnsetType = UNSET


class _Settings(msgspec.Struct):
    data_rate: _DataRate | UnsetType = UNSET
    frequency: Integer | UnsetType = UNSET
    coding_rate: str = ""  # before v3.22; later stacks put it in data_rate.lora


class _UplinkMessage(msgspec.Struct):
    f_port: Integer | UnsetType = UNSET
    f_cnt: Integer | UnsetType = UNSET
    frm_payload: str = ""
    decoded_payload: dict[str, Any] | UnsetType = UNSET
    rx_metadata: list[_RxMetadata] | UnsetType = UNSET
    settings: _Settings | UnsetType = UNSET
    consumed_airtime: str = ""


class _ApplicationIds(msgspec.Struct):
    application_id: str = ""


class _EndDeviceIds(msgspec.Struct):
    device_id: str = ""
    application_ids: _ApplicationIds | UnsetType = UNSET
    dev_eui: str = ""
    join_eui: str = ""
    dev_addr: str = ""


class _ApplicationUp(msgspec.Struct):
    end_device_ids: _EndDeviceIds | UnsetType = UNSET
    received_at: str = ""
    uplink_message: _UplinkMessage | UnsetType = UNSET


_DECODER = msgspec.json.Decoder(_ApplicationUp)
_NOT_READ = (msgspec.DecodeError, msgspec.ValidationError)
_EMPTY_UPLINK = _UplinkMessage()
_NO_IDS = _EndDeviceIds()
_NO_APP = _ApplicationIds()
_NO_GATEWAY = _GatewayIds()
_NO_SETTINGS = _Settings()
_NO_DATA_RATE = _DataRate()
_NO_LORA = _Lora()


class _Declined(Exception):
    """A value the lenient reader would call a problem."""


def _int(value: int | str | UnsetType) -> int | None:
    if value is UNSET:
        return None
    if type(value) is int:
        return value
    number = values.integer(value)  # type: ignore[arg-type]
    if number is None:
        raise _Declined
    return number


def read_clean(topic: str, text: str, arrived: float) -> Uplink | None:
    """The uplink in ``text`` when it is a well-formed ApplicationUp, else ``None`` (see the module)."""
    try:
        doc = _DECODER.decode(text)
    except _NOT_READ:
        return None
    up = doc.uplink_message
    if up is UNSET or up == _EMPTY_UPLINK:  # an export envelope, or not an uplink: the lenient reader says so
        return None
    ids = _NO_IDS if doc.end_device_ids is UNSET else doc.end_device_ids
    topic_app, topic_device = topic_ids(topic)
    device_id = ids.device_id or topic_device
    if not device_id:
        return None
    app = _NO_APP if ids.application_ids is UNSET else ids.application_ids
    settings = _NO_SETTINGS if up.settings is UNSET else up.settings
    data_rate = _NO_DATA_RATE if settings.data_rate is UNSET else settings.data_rate
    lora = _NO_LORA if data_rate.lora is UNSET else data_rate.lora
    problems: list[str] = []
    received_at = values.timestamp(doc.received_at, problems)
    airtime = values.duration(up.consumed_airtime, problems)
    values.payload(up.frm_payload, problems)
    if problems:
        return None
    try:
        # The stack's JSON leaves out zero values: a data uplink (it has an f_port) without f_cnt counts 0.
        f_cnt = 0 if up.f_cnt is UNSET and up.f_port is not UNSET else _int(up.f_cnt)
        gateways = () if up.rx_metadata is UNSET else tuple(_gateway(rx) for rx in up.rx_metadata)
        return Uplink(
            topic,
            arrived,
            app.application_id or topic_app,
            device_id,
            ids.dev_eui,
            ids.join_eui,
            ids.dev_addr,
            received_at,
            _int(up.f_port),
            f_cnt,
            up.frm_payload,
            None if up.decoded_payload is UNSET else up.decoded_payload,
            gateways,
            _int(lora.spreading_factor),
            _int(lora.bandwidth),
            lora.coding_rate or settings.coding_rate,
            _int(settings.frequency),
            airtime,
            (),
            text,
        )
    except _Declined:
        return None


def _gateway(rx: _RxMetadata) -> GatewayRx:
    ids = _NO_GATEWAY if rx.gateway_ids is UNSET else rx.gateway_ids
    where = rx.location
    return GatewayRx(
        ids.gateway_id or "?",
        ids.eui,
        None if rx.rssi is UNSET else rx.rssi,
        None if rx.channel_rssi is UNSET else rx.channel_rssi,
        None if rx.snr is UNSET else rx.snr,
        _int(rx.channel_index),
        rx.time,
        values.location(where.get("latitude"), where.get("longitude")) if type(where) is dict else None,
    )
