"""Devices heard on the feed, silent ones first, with RSSI/SNR sparklines (small, slow data: a DataTable).

State and last seen come first: "any silent devices?" is answered at 80 columns; the rest scrolls
horizontally. Rows are updated in place, so the cursor and the horizontal scroll stay where the
operator put them; the cursor follows its device when the order changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual.widgets import DataTable

from services.core.safe_text import safe_text

BLOCKS = "▁▂▃▄▅▆▇█"
COLUMNS = (
    "State",
    "Last seen",
    "Device",
    "RSSI",
    "SNR",
    "Application",
    "Uplinks",
    "Lost",
    "Rejoins",
    "f_cnt",
    "SF",
    "Gateways",
    "Every",
)
SPARK_WIDTH = 8


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
    state: str = ""  # the State column's words; default SILENT / ok


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
        """Show ``rows`` (≈50, once a second): cells change in place; a new order keeps the cursor's device."""
        if not self._ready:
            return
        keys = [row.key for row in rows]
        current = [str(k.value) for k in self.rows]
        if keys == current:
            for row in rows:
                for column, value in zip(self.columns, self._cells(row), strict=True):
                    self.update_cell(row.key, column, value, update_width=True)
            return
        chosen = current[self.cursor_row] if current and 0 <= self.cursor_row < len(current) else None
        scroll_x = self.scroll_x
        self.clear()
        for row in rows:
            self.add_row(*self._cells(row), key=row.key)
        if rows:
            self.move_cursor(row=keys.index(chosen) if chosen in keys else 0, scroll=False)
        self.scroll_x = scroll_x

    @staticmethod
    def _cells(row: DeviceRow) -> tuple[object, ...]:
        words = row.state or ("SILENT" if row.silent else "ok")
        return (
            Text(words, style="bold reverse") if row.silent else Text(words),
            row.last_seen,
            Text(safe_text(row.device)),
            f"{sparkline(row.rssi, SPARK_WIDTH, low=-125, high=-30)} {row.rssi[-1]:.0f}" if row.rssi else "",
            f"{sparkline(row.snr, SPARK_WIDTH, low=-20, high=12)} {row.snr[-1]:.1f}" if row.snr else "",
            Text(safe_text(row.application)),
            str(row.uplinks),
            Text(str(row.lost), style="bold" if row.lost else ""),
            str(row.rejoins),
            row.f_cnt,
            Text(safe_text(row.spreading_factors)),
            Text(safe_text(row.gateways)),
            row.interval,
        )
