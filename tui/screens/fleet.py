"""The Fleet screen (``F``): every profile's stack and health on one screen; Enter opens that stack.

Rows fill in as each stack answers (the service reads them concurrently, under a bound and a
per-stack timeout); ``r`` reads them all again. Enter asks the app to open the stack's dashboard
in place of the current one; ``esc`` goes back to the dashboard it was opened from.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from services.core.config import Profile
from services.core.safe_text import safe_text
from services.fleet.rows import FleetRow, age, iter_fleet
from services.health.run import Status
from services.snapshots.listing import age_text
from widgets.fleet_table import FleetLine, FleetTable
from widgets.status_style import status_class

REFRESH_SECONDS = 120.0
SHOW_EVERY = 0.3  # seconds between redraws while rows arrive


def _age(seconds: float | None) -> str:
    return age_text(None if seconds is None else timedelta(seconds=seconds))


def fleet_line(row: FleetRow, now: datetime) -> FleetLine:
    """A service row as the table's plain, safe data."""
    level = Status.UNKNOWN.value if row.error else row.health.value
    return FleetLine(
        key=row.profile,
        level=level,
        health="UNREAD" if row.error else row.health.nagios,
        profile=row.profile,
        stack=safe_text(row.stack),
        region=row.region,
        account=row.account,
        status=safe_text(row.status),
        status_level=status_class(row.status),
        checks=tuple((c.name, c.status.value) for c in row.checks),
        uplinks="—" if row.uplinks_per_minute is None else f"{row.uplinks_per_minute:,.0f}/min",
        changed=_age(age(row.last_change, now)),
        snapshot=_age(age(row.last_snapshot, now)),
        error=safe_text(row.error),
    )


def pending_line(profile: Profile) -> FleetLine:
    return FleetLine(
        key=profile.name, level="pending", health="…", profile=profile.name, stack=profile.stack,
        region=profile.region, account="", status="reading…", status_level="idle", checks=(),
        uplinks="", changed="", snapshot="",
    )  # fmt: skip


class FleetScreen(Screen[None]):
    """One row per profile; the app keeps this screen, so rows survive a visit to a dashboard."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "refresh", "Refresh"),
        Binding("escape", "back", "Back"),
    ]
    DEFAULT_CSS = """
    FleetScreen #fleet-status { height: 1; padding: 0 1; color: $text-muted; }
    FleetScreen #fleet-detail { height: auto; max-height: 4; padding: 0 1; color: $text-muted; }
    """

    class Open(Message):
        """Open this profile's dashboard (the app switches stacks)."""

        def __init__(self, profile: Profile) -> None:
            super().__init__()
            self.profile = profile

    def __init__(self, profiles: Sequence[Profile], *, concurrency: int = 8, stack_timeout: float = 30.0) -> None:
        super().__init__()
        self.profiles = list(profiles)
        self.concurrency = concurrency
        self.stack_timeout = stack_timeout
        self.rows: dict[str, FleetRow] = {}
        self.started = 0.0
        self.finished: float | None = None
        self._dirty = False

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="fleet-status")
        yield FleetTable(id="fleet-table")
        yield Static("", id="fleet-detail")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = f"Fleet · {len(self.profiles)} profiles"
        self.load()
        self.set_interval(REFRESH_SECONDS, self.load)
        self.set_interval(SHOW_EVERY, self._show_if_dirty)

    @property
    def complete(self) -> bool:
        """Every profile has its row."""
        return all(p.name in self.rows for p in self.profiles)

    def action_refresh(self) -> None:
        self.load()

    def action_back(self) -> None:
        if len(self.app.screen_stack) > 2:  # opened over a dashboard
            self.app.pop_screen()

    @work(exclusive=True, group="fleet")
    async def load(self) -> None:
        self.started = time.monotonic()
        self.finished = None
        self._show()
        async for row in iter_fleet(self.profiles, concurrency=self.concurrency, stack_timeout=self.stack_timeout):
            self.rows[row.profile] = row
            # Rows arrive in bursts; redrawing the table for each would take the loop from the checks.
            self._dirty = True
        self.finished = time.monotonic()
        self._show()

    def _show_if_dirty(self) -> None:
        if self._dirty:
            self._show()

    def _show(self) -> None:
        self._dirty = False
        now = datetime.now(UTC)
        lines = [fleet_line(self.rows[p.name], now) if p.name in self.rows else pending_line(p) for p in self.profiles]
        self.query_one(FleetTable).show(lines)
        counts: dict[str, int] = {}
        for line in lines:
            counts[line.level] = counts.get(line.level, 0) + 1
        order = (("critical", "critical"), ("unknown", "unreadable/unknown"), ("warn", "warning"), ("ok", "ok"))
        parts = [f"{counts[level]} {word}" for level, word in order if counts.get(level)]
        if self.finished is None:
            parts.append(f"reading {counts.get('pending', 0)} of {len(lines)}…")
        else:
            parts.append(f"read in {self.finished - self.started:.1f} s; r reads again, Enter opens a stack")
        self.query_one("#fleet-status", Static).update(Text(" · ".join(parts)))
        self._describe_current()

    def _describe_current(self) -> None:
        key = self.query_one(FleetTable).current_key()
        row = self.rows.get(key or "")
        text = ""
        if row is not None:
            bad = [c for c in row.checks if c.status is not Status.OK]
            text = row.error or "; ".join(f"{c.name}: {c.summary}" for c in bad) or "Every check OK."
        self.query_one("#fleet-detail", Static).update(Text(safe_text(text)))

    def on_data_table_row_highlighted(self) -> None:
        self._describe_current()

    def on_fleet_table_chosen(self, event: FleetTable.Chosen) -> None:
        profile = next((p for p in self.profiles if p.name == event.profile), None)
        if profile is not None:
            self.post_message(self.Open(profile))
