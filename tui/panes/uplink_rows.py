"""Service data (uplinks, device summaries) as the plain rows the Uplinks tab's widgets show."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

from services.uplinks.devices import DeviceSummary, Observation, Seen
from services.uplinks.model import Uplink
from widgets.device_table import DeviceRow
from widgets.uplink_feed import FeedLine


def feed_line(entry: tuple[Uplink, Observation]) -> FeedLine:
    """Format one uplink for the feed (called only for rows drawn or filtered)."""
    uplink, obs = entry
    when = datetime.fromtimestamp(uplink.timestamp).strftime("%H:%M:%S")
    if obs.seen is Seen.RESET:
        kind, mark = "reset", "rejoin"
    elif obs.gap:
        kind, mark = "gap", f"+{obs.gap} lost"
    else:
        kind, mark = "ok", ""
    if uplink.problems:
        kind, mark = "broken", mark or "broken"
    summary = (
        json.dumps(uplink.decoded_payload, ensure_ascii=False, separators=(",", ":"))[:120]
        if uplink.decoded_payload
        else (uplink.problems[0] if uplink.problems else uplink.frm_payload[:40])
    )
    rssi, snr = uplink.best_radio
    return FeedLine(
        time=when,
        application=uplink.application_id,
        device=uplink.device_id,
        f_cnt="" if uplink.f_cnt is None else str(uplink.f_cnt),
        mark=mark,
        port="" if uplink.f_port is None else str(uplink.f_port),
        radio=f"SF{uplink.spreading_factor}/{(uplink.bandwidth or 0) // 1000}" if uplink.spreading_factor else "",
        mhz=f"{uplink.frequency / 1e6:.1f}" if uplink.frequency else "",
        rssi="" if rssi is None else f"{rssi:.0f}",
        snr="" if snr is None else f"{snr:.1f}",
        gateways=str(len(uplink.gateways)),
        summary=summary,
        kind=kind,
        item=entry,
    )


def device_row(s: DeviceSummary, now: float) -> DeviceRow:
    ago = max(0.0, now - s.last_seen)
    return DeviceRow(
        key=f"{s.application_id}/{s.device_id}",
        last_seen=ago_text(ago),
        application=s.application_id,
        device=s.device_id,
        uplinks=s.count,
        lost=s.lost,
        rejoins=s.resets,
        f_cnt="" if s.last_f_cnt is None else str(s.last_f_cnt),
        rssi=s.rssi,
        snr=s.snr,
        spreading_factors=" ".join(f"SF{sf}×{n}" for sf, n in s.spreading_factors.items()),
        gateways=", ".join(s.gateways),
        interval="" if s.usual_interval is None else f"{s.usual_interval:.0f} s",
        silent=s.silent,
        state="" if s.heard_this_run else ("SILENT since before start" if s.silent else "not heard yet"),
    )


def ago_text(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s ago"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min ago"
    if seconds < 172800:
        return f"{seconds / 3600:.0f} h ago"
    return f"{seconds / 86400:.0f} d ago"


def device_rows(summaries: Sequence[DeviceSummary], now: float) -> list[DeviceRow]:
    """Silent devices first, then by application and device: an order that does not shuffle every second."""
    ordered = sorted(summaries, key=lambda s: (not s.silent, s.application_id, s.device_id))
    return [device_row(s, now) for s in ordered]
