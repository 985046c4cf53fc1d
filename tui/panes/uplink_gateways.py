"""The Uplinks tab's gateways view (``g``): its actions, and service summaries turned into the table's lines."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from textual.widgets import ContentSwitcher

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


class GatewaysView:
    """Mixed into the Uplinks pane (a plain mixin: a Widget base would change the pane's focus and CSS).

    ``g`` shows the gateways, Enter one gateway's devices, ``esc`` goes back.
    """

    if TYPE_CHECKING:
        gateways: GatewayTracker
        telemetry_off: bool
        problem: str

        def query_one(self, selector: Any, expect_type: Any = None) -> Any: ...

    def _refresh_gateways(self) -> None:
        if self.query_one(ContentSwitcher).current == "uplinks-gateways":
            refresh(self.query_one(GatewayTable), self.gateways, time.time())

    async def action_toggle_gateways(self) -> None:
        from widgets.uplink_feed import UplinkFeedView

        if self.telemetry_off or self.problem:
            return
        switcher = self.query_one(ContentSwitcher)
        showing = switcher.current == "uplinks-gateways"
        if not switcher.query("#uplinks-gateways"):
            # Mounted the first time it is asked for: a table fewer for the dashboard to style at start-up.
            await switcher.mount(GatewayTable(id="uplinks-gateways"))
        switcher.current = "uplinks-feed" if showing else "uplinks-gateways"
        table = self.query_one(GatewayTable)
        table.gateway = None
        self._refresh_gateways()
        (self.query_one(UplinkFeedView) if showing else table).focus()

    def on_gateway_table_chosen(self, event: GatewayTable.Chosen) -> None:
        """Enter on a gateway: its devices (which moved to other gateways, which went silent)."""
        event.stop()
        self.query_one(GatewayTable).gateway = event.gateway_id
        self._refresh_gateways()

    def gateway_devices_closed(self) -> bool:
        """``esc`` on a gateway's devices returns to the gateways (True when that is what it did)."""
        if self.query_one(ContentSwitcher).current != "uplinks-gateways":
            return False
        table = self.query_one(GatewayTable)
        if table.gateway is None:
            return False
        table.gateway = None
        self._refresh_gateways()
        return True
