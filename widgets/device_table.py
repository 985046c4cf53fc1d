"""Devices heard on the feed, most recent first, with RSSI/SNR sparklines (small, slow data: a DataTable)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual.widgets import DataTable

from services.core.safe_text import safe_text

BLOCKS = "▁▂▃▄▅▆▇█"
COLUMNS = (
    "Last seen",
    "Application",
    "Device",
    "Uplinks",
    "Lost",
    "Rejoins",
    "f_cnt",
    "RSSI",
    "SNR",
    "SF",
    "Gateways",
    "Every",
    "State",
)


def sparkline(values: Sequence[float], width: int = 16, low: float | None = None, high: float | None = None) -> str:
    """The last ``width`` values as block characters scaled between ``low`` and ``high``."""
    tail = list(values)[-width:]
    if not tail:
        return ""
    lo = min(tail) if low is None else low
    hi = max(tail) if high is None else high
    span = hi - lo
    if span <= 0:
        return BLOCKS[len(BLOCKS) // 2] * len(tail)
    return "".join(BLOCKS[max(0, min(len(BLOCKS) - 1, int((v - lo) / span * (len(BLOCKS) - 1) + 0.5)))] for v in tail)


@dataclass(frozen=True)
class DeviceRow:
    """One device, as plain data."""

    key: str
    last_seen: str  # "12 s ago"
    application: str
    device: str
    uplinks: int
    lost: int
    rejoins: int
    f_cnt: str
    rssi: Sequence[float]
    snr: Sequence[float]
    spreading_factors: str  # "SF7×12 SF9×3"
    gateways: str
    interval: str
    silent: bool


class DeviceTable(DataTable[Any]):
    """Devices sorted by last seen; silent ones are marked in words and colour."""

    DEFAULT_CSS = """
    DeviceTable { height: 1fr; }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)
        self._ready = False

    def on_mount(self) -> None:
        self.add_columns(*COLUMNS)
        self._ready = True

    def show(self, rows: Sequence[DeviceRow]) -> None:
        """Replace the contents (≈50 rows, once a second): cheap enough to rebuild."""
        if not self._ready:
            return
        keep = self.cursor_row
        self.clear()
        for row in rows:
            state = Text("SILENT", style="bold reverse") if row.silent else Text("ok")
            self.add_row(
                row.last_seen,
                Text(safe_text(row.application)),
                Text(safe_text(row.device)),
                str(row.uplinks),
                Text(str(row.lost), style="bold" if row.lost else ""),
                str(row.rejoins),
                row.f_cnt,
                f"{sparkline(row.rssi, low=-125, high=-30)} {row.rssi[-1]:.0f}" if row.rssi else "",
                f"{sparkline(row.snr, low=-20, high=12)} {row.snr[-1]:.1f}" if row.snr else "",
                Text(safe_text(row.spreading_factors)),
                Text(safe_text(row.gateways)),
                row.interval,
                state,
                key=row.key,
            )
        if rows:
            self.move_cursor(row=min(keep, len(rows) - 1))
