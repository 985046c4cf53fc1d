"""The fleet: one row per profile, worst first (a handful to a few dozen rows: a DataTable)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from rich.style import Style
from rich.text import Text
from textual.message import Message
from textual.widgets import DataTable
from textual.widgets.data_table import CellDoesNotExist

# What decides "which stack is on fire" comes first: an 80-column terminal shows health, profile,
# region and stack status; the rest scrolls into view (→).
COLUMNS = ("Health", "Profile", "Region", "Stack status", "Checks", "Uplinks", "Changed", "Snapshot", "Stack", "Account")
LEVELS = ("critical", "unknown", "warn", "ok", "pending")  # worst first
MARKS = {"ok": "✓", "warn": "!", "critical": "✗", "unknown": "?", "pending": "…"}


@dataclass(frozen=True)
class FleetLine:
    """One profile's row as plain, already safe text; ``level`` is one of :data:`LEVELS`."""

    key: str  # the profile name
    level: str
    health: str  # "CRITICAL"
    profile: str
    stack: str
    region: str
    account: str
    status: str
    status_level: str  # ok | busy | bad | idle (widgets.status_style)
    checks: Sequence[tuple[str, str]]  # (check name, level)
    uplinks: str
    changed: str
    snapshot: str
    error: str = ""


class FleetTable(DataTable[Any]):
    """Rows sorted worst first; Enter posts :class:`FleetTable.Chosen` with the profile name."""

    DEFAULT_CSS = """
    FleetTable { height: 1fr; }
    FleetTable > .fleet-table--critical { color: $error; text-style: bold; }
    FleetTable > .fleet-table--unknown { color: $error; }
    FleetTable > .fleet-table--warn { color: $warning; }
    FleetTable > .fleet-table--ok { color: $success; }
    FleetTable > .fleet-table--pending { color: $text-muted; }
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {f"fleet-table--{level}" for level in LEVELS}

    class Chosen(Message):
        """The operator pressed Enter on a profile's row."""

        def __init__(self, profile: str) -> None:
            super().__init__()
            self.profile = profile

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)
        self._ready = False
        self._lines: dict[str, FleetLine] = {}

    def on_mount(self) -> None:
        self.add_columns(*COLUMNS)
        self._ready = True

    def _style(self, level: str) -> Style:
        return self.get_component_rich_style(f"fleet-table--{level}", partial=True)

    def _status_style(self, status_level: str) -> Style:
        level = {"ok": "ok", "busy": "warn", "bad": "critical"}.get(status_level, "pending")
        return self._style(level)

    def show(self, lines: Sequence[FleetLine]) -> None:
        """Replace the rows (worst first, then by profile), keeping the cursor on the same profile."""
        if not self._ready:
            return
        loading = any(ln.level == "pending" for ln in lines)
        was_loading = not self._lines or any(ln.level == "pending" for ln in self._lines.values())
        # While rows are read the cursor keeps its place; once all are in it starts on the worst
        # row; after that it follows the profile it is on.
        current = None if loading or was_loading else self.current_key()
        keep_row = self.cursor_row if loading else 0
        self._lines = {line.key: line for line in lines}
        ordered = sorted(lines, key=lambda ln: (LEVELS.index(ln.level) if ln.level in LEVELS else 0, ln.key))
        self.clear()
        for line in ordered:
            health = Text(f"{MARKS.get(line.level, '?')} {line.health}", style=self._style(line.level))
            if line.error:
                cells: list[Any] = [
                    health, Text(line.profile), Text(line.region), Text(line.error, style=self._style("unknown")),
                    "", "", "", "", Text(line.stack), "",
                ]  # fmt: skip
            else:
                checks = Text()
                # Every check's mark, the failing ones first so a narrow terminal still shows them.
                for name, level in sorted(line.checks, key=lambda c: LEVELS.index(c[1]) if c[1] in LEVELS else 0):
                    checks.append(MARKS.get(level, "?"), style=self._style(level))
                    checks.append(f"{name} ")
                cells = [
                    health, Text(line.profile), Text(line.region),
                    Text(line.status, style=self._status_style(line.status_level)), checks,
                    Text(line.uplinks), Text(line.changed), Text(line.snapshot), Text(line.stack), Text(line.account),
                ]  # fmt: skip
            self.add_row(*cells, key=line.key)
        if current is not None and current in self._lines:
            self.move_cursor(row=self.get_row_index(current))
        elif ordered:
            self.move_cursor(row=min(keep_row, len(ordered) - 1))

    def current_key(self) -> str | None:
        """The profile under the cursor."""
        if not self.row_count:
            return None
        try:
            key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
        except CellDoesNotExist:
            return None
        return str(key) if key is not None else None

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if event.row_key.value is not None:
            self.post_message(self.Chosen(str(event.row_key.value)))
