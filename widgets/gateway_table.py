"""Gateways heard on the feed, silent ones first; Enter lists one gateway's devices (small data: a DataTable)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from rich.text import Text
from textual.message import Message
from textual.widgets import DataTable

GATEWAY_COLUMNS = ("State", "Gateway", "EUI", "Last heard", "Per min", "Devices", "RSSI dBm", "SNR dB", "MHz", "Location")
DEVICE_COLUMNS = ("State", "Application", "Device", "Heard here", "Heard by any", "RSSI", "SNR", "Heard now by")


@dataclass(frozen=True)
class GatewayLine:
    """One gateway as plain, already safe text."""

    key: str  # the gateway id
    silent: bool
    state: str  # "SILENT 25 s" | "ok"
    gateway: str
    eui: str
    last_heard: str
    per_minute: str
    devices: str  # "27" or "27 (23 moved, 4 silent)"
    rssi: str  # "-84 ±12"
    snr: str
    channels: str
    location: str


@dataclass(frozen=True)
class GatewayDeviceLine:
    """One device of the gateway shown; ``state`` is heard | moved | silent."""

    key: str
    state: str
    application: str
    device: str
    heard_here: str
    heard_any: str
    rssi: str
    snr: str
    heard_by: str


class GatewayTable(DataTable[Any]):
    """Two lists in one place: the gateways, or the devices of one (``gateway`` is then its id)."""

    DEFAULT_CSS = """
    GatewayTable { height: 1fr; }
    GatewayTable > .gateway-table--silent { color: $error; text-style: bold; }
    GatewayTable > .gateway-table--moved { color: $warning; }
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {"gateway-table--silent", "gateway-table--moved"}

    class Chosen(Message):
        """Enter on a gateway: the pane lists its devices."""

        def __init__(self, gateway_id: str) -> None:
            super().__init__()
            self.gateway_id = gateway_id

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)
        self.gateway: str | None = None  # None: the gateways list is shown
        self._columns: tuple[str, ...] = ()

    def _use_columns(self, columns: tuple[str, ...]) -> None:
        if self._columns != columns:
            self.clear(columns=True)
            self.add_columns(*columns)
            self._columns = columns
        else:
            self.clear()

    def show_gateways(self, lines: Sequence[GatewayLine]) -> None:
        """Replace the list with the gateways (a handful of rows, once a second)."""
        keep = self.cursor_row if self.gateway is None else 0
        self.gateway = None
        self._use_columns(GATEWAY_COLUMNS)
        silent = self.get_component_rich_style("gateway-table--silent", partial=True)
        for ln in lines:
            self.add_row(
                Text(ln.state, style=silent if ln.silent else ""),
                Text(ln.gateway), Text(ln.eui), ln.last_heard, ln.per_minute, ln.devices,
                ln.rssi, ln.snr, Text(ln.channels), ln.location,
                key=ln.key,
            )  # fmt: skip
        if lines:
            self.move_cursor(row=min(keep, len(lines) - 1))

    def show_devices(self, gateway_id: str, lines: Sequence[GatewayDeviceLine]) -> None:
        """List one gateway's devices: silent ones, then moved, then still heard."""
        keep = self.cursor_row if self.gateway == gateway_id else 0
        self.gateway = gateway_id
        self._use_columns(DEVICE_COLUMNS)
        styles = {
            "silent": self.get_component_rich_style("gateway-table--silent", partial=True),
            "moved": self.get_component_rich_style("gateway-table--moved", partial=True),
        }
        words = {"silent": "SILENT", "moved": "moved", "heard": "ok"}
        for ln in lines:
            self.add_row(
                Text(words.get(ln.state, ln.state), style=styles.get(ln.state, "")),
                Text(ln.application), Text(ln.device), ln.heard_here, ln.heard_any, ln.rssi, ln.snr, Text(ln.heard_by),
                key=ln.key,
            )  # fmt: skip
        if lines:
            self.move_cursor(row=min(keep, len(lines) - 1))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if self.gateway is None and event.row_key.value is not None:
            self.post_message(self.Chosen(str(event.row_key.value)))
