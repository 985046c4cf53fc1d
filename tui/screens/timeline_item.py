"""One timeline item where it came from: its source, its reference and every field it carries.

Enter on the Timeline's list opens it; Escape closes. The reference names where the item lives
(a journal cursor for ``logs``/``journalctl --after-cursor``, a stack event id, an audit line, a
check and its time), so the operator can go there with the tool that owns it. A journal item
also shows the journal at that time: the entries from half a minute before it, read over SSH.
"""

from __future__ import annotations

from datetime import timedelta
from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from services.core.config import Profile
from services.core.errors import ConsoleError
from services.core.safe_text import safe_text
from services.timeline.model import TimelineItem

MAX_VALUE = 2000
CONTEXT_BEFORE = timedelta(seconds=30)
CONTEXT_ENTRIES = 120


class TimelineItemScreen(ModalScreen[None]):
    """The item's time, source, kind, severity, summary, reference and details."""

    DEFAULT_CSS = """
    TimelineItemScreen { align: center middle; }
    TimelineItemScreen > Vertical { width: 90%; height: 80%; border: thick $accent; background: $surface; }
    TimelineItemScreen #item-title { padding: 0 1; color: $text-muted; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,q,enter", "dismiss", "Close")]

    def __init__(self, entry: TimelineItem, *, profile: Profile | None = None, host: str = "") -> None:
        super().__init__()
        self.entry = entry
        self.profile = profile
        self.host = host

    def compose(self) -> ComposeResult:
        e = self.entry
        table = Table.grid(padding=(0, 2))
        table.add_column(style="bold", no_wrap=True)
        table.add_column(overflow="fold")
        rows = [
            ("time", f"{e.time:%Y-%m-%d %H:%M:%S} UTC"),
            ("source", e.source),
            ("kind", e.kind),
            ("severity", e.severity),
            ("summary", e.summary),
            ("where", e.ref),
        ]
        if e.count > 1:
            rows.append(("count", str(e.count)))
        if e.new:
            rows.append(("new", "first seen in this range"))
        rows += [(k, v if len(v) <= MAX_VALUE else v[:MAX_VALUE] + " …") for k, v in e.details if v]
        for key, value in rows:
            # Text objects: remote text is never read as markup.
            table.add_row(Text(key), Text(value))
        with Vertical():
            yield Static(Text(f"{e.source} · {e.time:%H:%M:%S}"), id="item-title")
            with VerticalScroll():
                yield Static(table, id="item-fields")
                if self._journal_wanted():
                    yield Static(Text("the journal at that time: reading…"), id="item-journal")

    def _journal_wanted(self) -> bool:
        return self.entry.ref.startswith("journal:") and self.profile is not None and bool(self.host)

    def on_mount(self) -> None:
        if self._journal_wanted():
            self._read_journal()

    @work(exclusive=True, group="timeline-item-journal", exit_on_error=False)
    async def _read_journal(self) -> None:
        from services.journal.follow import follow_journal

        assert self.profile is not None
        text = Text("the journal at that time\n", style="bold")
        shown = 0
        try:
            stream = follow_journal(self.profile, self.host, follow=False, since=self.entry.time - CONTEXT_BEFORE)
            async for batch in stream:
                for e in batch.entries:
                    mark = "▶ " if f"journal:{e.cursor}" == self.entry.ref else "  "
                    line = safe_text(f"{e.timestamp:%H:%M:%S} {e.level:<5} {e.namespace} {e.message}")
                    text.append(f"{mark}{line}\n")
                    shown += 1
                    if shown >= CONTEXT_ENTRIES:
                        break
                if shown >= CONTEXT_ENTRIES:
                    break
            await stream.aclose()
        except ConsoleError as exc:
            text.append(f"could not be read: {exc}")
        self.query_one("#item-journal", Static).update(text)
