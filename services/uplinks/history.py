"""A small local history of the devices heard, so a device silent since before start is still listed.

One JSON file per stack in the user's state directory (platformdirs), mode 0600: application,
device, when it was last heard and its usual interval. Nothing else about the uplinks is kept.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

MAX_DEVICES = 5000  # the file stays small: the most recently heard are kept


@dataclass(frozen=True)
class KnownDevice:
    """A device heard in an earlier run of the console."""

    application_id: str
    device_id: str
    last_seen: float  # epoch seconds
    usual_interval: float | None = None


def history_path(stack: str) -> Path:
    """Where the device history of ``stack`` lives (the user's state directory)."""
    from platformdirs import user_state_dir

    safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in stack) or "stack"
    return Path(user_state_dir("ttes-console")) / f"devices-{safe}.json"


def load_history(path: Path) -> list[KnownDevice]:
    """The devices recorded at ``path``; an absent or unreadable file is an empty history."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    out = []
    for item in raw.get("devices", []) if isinstance(raw, dict) else []:
        try:
            interval = item.get("usual_interval")
            out.append(
                KnownDevice(
                    str(item["application_id"]),
                    str(item["device_id"]),
                    float(item["last_seen"]),
                    None if interval is None else float(interval),
                )
            )
        except (KeyError, TypeError, ValueError, AttributeError):
            continue
    return out


def save_history(path: Path, devices: Iterable[KnownDevice]) -> None:
    """Write the history (newest first, at most MAX_DEVICES) with mode 0600, replacing the file atomically."""
    records = sorted(devices, key=lambda d: d.last_seen, reverse=True)[:MAX_DEVICES]
    body = json.dumps({"devices": [d.__dict__ for d in records]}, separators=(",", ":"))
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(body)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)
