"""The Uplinks tab's gateways view (``g``): service summaries turned into the table's plain lines."""

from __future__ import annotations

from services.core.safe_text import safe_text
from services.uplinks.gateways import GatewayDevice, GatewaySummary, GatewayTracker, Spread
from widgets.gateway_table import GatewayDeviceLine, GatewayLine, GatewayTable


def ago(seconds: float) -> str:
    seconds = max(0.0, seconds)
    return f"{seconds:.0f} s ago" if seconds < 120 else f"{seconds / 60:.0f} min ago"


def _spread(s: Spread | None) -> str:
    return "" if s is None else f"{s.median:.0f} ±{s.spread / 2:.0f}"


def gateway_line(s: GatewaySummary) -> GatewayLine:
    devices = str(s.devices)
    if s.silent:
        devices += f" ({len(s.moved)} moved, {len(s.gone_silent)} silent)"
    return GatewayLine(
        key=s.gateway_id,
        silent=s.silent,
        state=f"SILENT {s.quiet_for:.0f} s" if s.silent else "ok",
        gateway=safe_text(s.gateway_id),
        eui=safe_text(s.eui),
        last_heard=ago(s.quiet_for),
        per_minute=f"{s.per_minute:,.0f}",
        devices=devices,
        rssi=_spread(s.rssi),
        snr=_spread(s.snr),
        channels=" ".join(f"{mhz:.1f}" for mhz, _ in sorted(s.channels)),
        location="" if s.location is None else f"{s.location[0]:.4f},{s.location[1]:.4f}",
    )


def device_line(d: GatewayDevice, now: float) -> GatewayDeviceLine:
    return GatewayDeviceLine(
        key=f"{d.application_id}/{d.device_id}",
        state=d.state,
        application=safe_text(d.application_id),
        device=safe_text(d.device_id),
        heard_here=ago(now - d.last_heard_here),
        heard_any=ago(now - d.last_heard),
        rssi="" if d.rssi is None else f"{d.rssi:.0f}",
        snr="" if d.snr is None else f"{d.snr:.1f}",
        heard_by=safe_text(", ".join(d.heard_by_others)),
    )


def refresh(table: GatewayTable, tracker: GatewayTracker, now: float) -> None:
    """Redraw whichever list the table shows."""
    if table.gateway is None:
        table.show_gateways([gateway_line(s) for s in tracker.summaries(now)])
    else:
        table.show_devices(table.gateway, [device_line(d, now) for d in tracker.devices_of(table.gateway, now)])
