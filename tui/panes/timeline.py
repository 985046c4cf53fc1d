"""The Timeline tab: what changed, and when, across every source on one time axis.

A band of per-minute strips (journal errors, uplinks, health, changes) over the range, the
cursor's minute lit, and the merged list below. ``w`` cycles the range (1h/6h/24h/7d), ``o``
the source filter, Enter opens an item, ``r`` reloads; the timeline reloads by itself every
minute while the console is open, keeping the cursor on the same item.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Static

from services.core.aws import AwsClients
from services.core.config import Profile
from services.timeline.model import RANGES, SOURCES, Timeline, TimelineItem, parse_range
from tui.panes import RefreshingPane
from widgets.timeline_band import TimelineBand

REFRESH_SECONDS = 60.0
MAX_ROWS = 3000  # the newest items shown; `timeline --json` has them all
_SEVERITY_STYLE = {"critical": "bold red", "error": "red", "warning": "yellow", "notice": "cyan", "info": ""}


class TimelinePane(RefreshingPane):
    """Every source merged in time order; the band shows where the list's cursor is."""

    DEFAULT_CSS = """
    TimelinePane { height: 1fr; }
    TimelinePane #timeline-status { height: 1; color: $text-muted; }
    TimelinePane #timeline-status.-problem { color: $warning; }
    TimelinePane DataTable { height: 1fr; }
    """

    STATUS_ID = "timeline-status"
    # Not in the footer: the status line names them, and at 80 columns the footer would cut its last key.
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("w", "next_range", "Range", show=False),
        Binding("o", "next_source", "Source", show=False),  # s is Snapshots everywhere
    ]

    def __init__(
        self,
        profile: Profile,
        *,
        read_only: bool = False,
        clients: AwsClients | None = None,
        interval: float = REFRESH_SECONDS,
        **kwargs: Any,
    ) -> None:
        super().__init__(profile, interval=interval, read_only=read_only, **kwargs)
        self.clients = clients or AwsClients(profile)
        self.range = RANGES[0]
        self.source = ""  # "" = every source
        self.timeline: Timeline | None = None
        self.shown: list[TimelineItem] = []
        self._pending = False  # a read asked for while the tab was hidden

    def compose(self) -> ComposeResult:
        # The band and the list are mounted when the tab is first shown (on_show): a DataTable and the
        # band's styles are a good part of the dashboard's start-up, and most sessions never open this tab.
        yield Static("waiting for the stack", id=self.STATUS_ID)

    async def _mount_list(self) -> None:
        table: DataTable[Text] = DataTable(id="timeline-list", cursor_type="row", zebra_stripes=False)
        table.add_columns("time", "source", "severity", "what")
        await self.mount(TimelineBand(id="timeline-band"), table)
        self.focus_content()  # the tab was just opened: its keys work at once

    def action_next_range(self) -> None:
        self.range = RANGES[(RANGES.index(self.range) + 1) % len(RANGES)]
        self.load()

    def action_next_source(self) -> None:
        choices = ("", *SOURCES)
        self.source = choices[(choices.index(self.source) + 1) % len(choices)]
        self._show()

    def load(self) -> None:
        if not self.is_on_screen:
            # Read only while shown: the journal's part is a journalctl over hours on the host.
            self._pending = True
            return
        self._pending = False
        self._status(f"reading every source over the last {self.range}…")
        self._load(self.range)

    async def on_show(self) -> None:
        if not self.query(TimelineBand):
            await self._mount_list()
        if self._pending:
            self.load()

    @work(exclusive=True, group="timeline", exit_on_error=False)
    async def _load(self, span: str) -> None:
        from services.timeline.assemble import build_timeline  # its sources load with the tab, not at start-up

        self.timeline = await build_timeline(self.profile, parse_range(span), clients=self.clients)
        self._show()

    def _show(self) -> None:
        timeline = self.timeline
        if timeline is None or not self.query(TimelineBand):
            return
        table = self.query_one(DataTable)
        keep = self._current()
        self.shown = [i for i in timeline.items if not self.source or i.source == self.source][-MAX_ROWS:]
        table.clear()
        for entry in self.shown:
            style = _SEVERITY_STYLE.get(entry.severity, "")
            table.add_row(
                Text(f"{entry.time:%m-%d %H:%M}"),
                Text(entry.source),
                Text(entry.severity, style=style),
                Text(entry.summary, style=style if entry.kind == "unavailable" else ""),
            )
        fmt = "%H:%M" if timeline.minutes <= 24 * 60 else "%a %H:%M"
        band = self.query_one(TimelineBand)
        band.show(timeline.strips, start=f"{timeline.start:{fmt}}", end=f"{timeline.end:{fmt}} UTC")
        if self.shown:
            row = self.shown.index(keep) if keep in self.shown else len(self.shown) - 1
            table.move_cursor(row=row)
            band.cursor = timeline.minute_of(self.shown[row].time)
        failed = ", ".join(r.source for r in timeline.failed)
        which = self.source or "all sources"
        status = f"last {self.range} · {which} · {len(self.shown)} items · updated {datetime.now():%H:%M:%S}"
        status += f" · not read: {failed}" if failed else ""
        self._status(status + " · w range · o source · ⏎ open", problem=bool(failed))

    def _current(self) -> TimelineItem | None:
        if not self.query(DataTable):
            return None
        table = self.query_one(DataTable)
        row = table.cursor_row
        return self.shown[row] if 0 <= row < len(self.shown) else None

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if self.timeline is not None and 0 <= event.cursor_row < len(self.shown):
            self.query_one(TimelineBand).cursor = self.timeline.minute_of(self.shown[event.cursor_row].time)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if 0 <= event.cursor_row < len(self.shown):
            from tui.screens.timeline_item import TimelineItemScreen

            host = self.profile.ssh.host or (self.stack.public_ip if self.stack is not None else "")
            self.app.push_screen(TimelineItemScreen(self.shown[event.cursor_row], profile=self.profile, host=host))
