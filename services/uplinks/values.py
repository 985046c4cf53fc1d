"""Uplinks: the values of an ApplicationUp that need more than a type check, read the same way by both readers.

Each takes the raw value and the message's problem list, and says what is wrong there instead of
raising (see :mod:`services.uplinks.parse`).
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any


def integer(value: str) -> int | None:
    """A 64-bit number as proto3 JSON writes it (a string); ``None`` when it is not one."""
    try:
        return int(value)
    except ValueError:
        return None


def location(latitude: Any, longitude: Any) -> tuple[float, float] | None:
    """``rx_metadata[].location``'s latitude and longitude; anything else is no location (it is optional)."""
    # Called for every gateway of every uplink: two plain checks, no generator.
    if type(latitude) not in (int, float) or type(longitude) not in (int, float):
        return None
    lat, lon = float(latitude), float(longitude)
    return (lat, lon) if -90 <= lat <= 90 and -180 <= lon <= 180 else None


def timestamp(value: str, problems: list[str]) -> datetime | None:
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


def duration(value: str, problems: list[str]) -> float | None:
    """``consumed_airtime``: proto3 JSON writes a duration as seconds with an ``s``."""
    if not value:
        return None
    try:
        return float(value.removesuffix("s"))
    except ValueError:
        problems.append(f"consumed_airtime {value!r:.40} is not a duration")
        return None


def payload(value: str, problems: list[str]) -> str:
    """``frm_payload``, kept as sent (base64) once it is known to be base64."""
    if value:
        try:
            base64.b64decode(value, validate=True)
        except ValueError:
            problems.append("frm_payload is not base64")
    return value
