"""The Snapshot screen (``s``): the stack's databases, their latest snapshots, and taking new ones.

One confirmation takes a snapshot of the selected database (``t``) or of all of them (``a``);
progress bars follow each to ``available``. ``u`` hands the RDS snapshot ARN and the ElastiCache
backup name to the next change set: it posts a :class:`tui.handoff.SnapshotsHandedOff` (keyed by
the template's parameter names) that the app keeps. Under ``--read-only`` the screen lists but refuses to take or delete, and says so.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, DataTable, Footer, Header, Label, ProgressBar, Static

from services.core.aws import AwsClients
from services.core.config import Profile
from services.core.errors import ConsoleError
from services.snapshots.actions import create_snapshot, delete_snapshot
from services.snapshots.listing import (
    RDS,
    Database,
    Snapshot,
    age_text,
    find_databases,
    follow_snapshot,
    handoff_parameters,
    list_snapshots,
)
from services.stack.model import load_stack
from tui.handoff import SnapshotHandoff, SnapshotsHandedOff
from tui.worker_errors import ShowsWorkerFailures

READ_ONLY_NOTE = "Read-only: snapshots are listed but cannot be taken or deleted (the console runs with --read-only)."
# Age and status first after the resource: "is there a fresh snapshot?" is answered at 80 columns;
# the snapshot's long id comes after them (and scrolls).
COLUMNS = ("Resource", "Age", "Status", "Source", "Latest snapshot", "Kind", "Size")
_KIND_LABEL = {
    "AWS::RDS::DBInstance": "RDS instance",
    "AWS::RDS::DBCluster": "RDS cluster",
    "AWS::ElastiCache::ReplicationGroup": "Redis group",
    "AWS::ElastiCache::CacheCluster": "Redis cluster",
}


class ConfirmScreen(ModalScreen[bool]):
    """One yes/no question before something changes the world."""

    DEFAULT_CSS = """
    ConfirmScreen { align: center middle; }
    ConfirmScreen > Vertical {
        width: 80; height: auto; padding: 1 2;
        border: thick $warning; background: $surface;
    }
    ConfirmScreen #question { margin-bottom: 1; }
    ConfirmScreen Horizontal { height: auto; align-horizontal: right; }
    ConfirmScreen Button { margin-left: 2; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "Yes"),
        Binding("n,escape", "answer(False)", "No"),
    ]

    def __init__(self, question: str, yes: str) -> None:
        super().__init__()
        self.question = question
        self.yes = yes

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text(self.question), id="question")
            with Horizontal():
                yield Button(self.yes, id="yes", variant="warning")
                yield Button("Cancel", id="no")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    @on(Button.Pressed)
    def pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)


class SnapshotScreen(ShowsWorkerFailures, Screen[None]):
    """RDS snapshots and ElastiCache backups of the stack's databases."""

    DEFAULT_CSS = """
    SnapshotScreen #snap-note { padding: 0 1; color: $text-muted; }
    SnapshotScreen #snap-note.read-only { color: $warning; }
    SnapshotScreen #databases { height: auto; max-height: 12; margin: 1 0; }
    SnapshotScreen #progress { height: auto; padding: 0 1; }
    SnapshotScreen .progress-row { height: 1; }
    SnapshotScreen .progress-label { width: 60; }
    SnapshotScreen #snap-status { padding: 0 1; height: auto; }
    SnapshotScreen #snap-status.error { color: $error; }
    SnapshotScreen #snap-status.ok { color: $success; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back"),
        Binding("t", "take_selected", "Snapshot selected"),
        Binding("a", "take_all", "Snapshot all"),
        Binding("u", "use_in_change_set", "Use in change set"),
        Binding("x", "delete_latest", "Delete latest manual"),
        Binding("r", "refresh", "Refresh"),
    ]

    def __init__(self, profile: Profile, clients: AwsClients, *, read_only: bool = False) -> None:
        super().__init__()
        self.profile = profile
        self.read_only = read_only
        self.clients = clients
        self.databases: tuple[Database, ...] = ()
        self.snapshots: dict[str, list[Snapshot]] = {}
        self.taken: dict[str, Snapshot] = {}  # logical id -> snapshot taken here, once available
        self.running: set[str] = set()

    def compose(self) -> ComposeResult:
        yield Header()
        if self.read_only:
            yield Static(Text(READ_ONLY_NOTE), id="snap-note", classes="read-only")
        else:
            yield Static(
                Text("t snapshots the selected database, a all of them; u hands the results to the next change set."),
                id="snap-note",
            )
        table: DataTable[Text] = DataTable(id="databases", cursor_type="row", zebra_stripes=True)
        for column in COLUMNS:
            table.add_column(column, key=column)
        yield table
        yield Vertical(id="progress")
        yield Static("Loading the stack's databases…", id="snap-status")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.sub_title = "Snapshots"
        self.load()
        self.set_interval(30, self.fill_table)  # keep the ages true without asking AWS again

    # --- listing --------------------------------------------------------------------------

    def show_failure(self, sentence: str) -> None:
        self.set_status(sentence, "error")

    def set_status(self, text: str, kind: str = "") -> None:
        status = self.query_one("#snap-status", Static)
        status.set_class(False, "error", "ok")
        status.update(Text(text))
        if kind:
            status.add_class(kind)

    @work(exclusive=True, group="snapshot-list", exit_on_error=False)
    async def load(self) -> None:
        first = not self.databases
        try:
            stack = await load_stack(self.clients)
            self.databases = find_databases(stack)
            listed = await asyncio.gather(*(list_snapshots(self.clients, d) for d in self.databases))
        except ConsoleError as exc:
            self.set_status(str(exc), "error")
            return
        self.snapshots = {d.logical_id: s for d, s in zip(self.databases, listed, strict=True)}
        self.fill_table()
        if not self.databases:
            self.set_status(f"Stack {stack.name} has no RDS or ElastiCache database.")
        elif first:
            self.set_status(f"{len(self.databases)} database(s) in {stack.name}.")

    def fill_table(self) -> None:
        table = self.query_one("#databases", DataTable)
        now = datetime.now(UTC)
        for database in self.databases:
            latest = next(iter(self.snapshots.get(database.logical_id, [])), None)
            cells = {
                "Resource": database.logical_id,
                "Kind": _KIND_LABEL.get(database.resource_type, database.resource_type),
                "Latest snapshot": latest.id if latest else f"no {database.what}",
                "Source": latest.source if latest else "",
                "Status": latest.status if latest else "—",
                "Age": age_text(latest.age(now)) if latest else "—",
                "Size": latest.size if latest else "",
            }
            row = [Text(cells[c]) for c in COLUMNS]
            if database.logical_id in table.rows:
                for column, value in zip(COLUMNS, row, strict=True):
                    table.update_cell(database.logical_id, column, value)
            else:
                table.add_row(*row, key=database.logical_id)

    def action_refresh(self) -> None:
        self.load()

    def action_back(self) -> None:
        self.app.pop_screen()

    # --- taking snapshots -----------------------------------------------------------------

    def selected(self) -> Database | None:
        table = self.query_one("#databases", DataTable)
        if not self.databases or table.row_count == 0:
            return None
        return self.databases[min(table.cursor_row, len(self.databases) - 1)]

    def action_take_selected(self) -> None:
        database = self.selected()
        if database is not None:
            self.ask_to_take([database])

    def action_take_all(self) -> None:
        self.ask_to_take(list(self.databases))

    def ask_to_take(self, databases: list[Database]) -> None:
        databases = [d for d in databases if d.logical_id not in self.running]
        if not databases:
            self.set_status("Nothing to snapshot: the databases are still loading or already being snapshotted.")
            return
        if self.read_only:
            # The service refuses, records the refused attempt, and gives the sentence to show.
            self.take(databases)
            return
        names = ", ".join(f"{d.logical_id} ({d.what})" for d in databases)
        question = f"Take a snapshot of {names} in stack {self.profile.stack}? This is recorded in the audit log."

        def answered(yes: bool | None) -> None:
            if yes:
                self.take(databases)

        self.app.push_screen(ConfirmScreen(question, "Take snapshot"), answered)

    @work(group="snapshot-take", exit_on_error=False)
    async def take(self, databases: list[Database]) -> None:
        self.running.update(d.logical_id for d in databases)
        container = self.query_one("#progress", Vertical)
        rows: dict[str, tuple[Label, ProgressBar]] = {}
        for database in databases:
            await container.query(f"#progress-{database.logical_id}").remove()
            label = Label(Text(f"{database.logical_id}: starting…"), classes="progress-label")
            bar = ProgressBar(total=100 if database.kind == RDS else None, show_eta=False)
            await container.mount(Horizontal(label, bar, classes="progress-row", id=f"progress-{database.logical_id}"))
            rows[database.logical_id] = (label, bar)
        self.set_status(f"Taking snapshots of {', '.join(rows)}; this page follows them until they are available.")
        try:
            await asyncio.gather(*(self.take_one(d, *rows[d.logical_id]) for d in databases))
        finally:
            self.running.difference_update(d.logical_id for d in databases)
        if self.taken and not self.running:
            self.set_status("Snapshots available: press u to use them in the next change set.", "ok")
        self.load()

    async def take_one(self, database: Database, label: Label, bar: ProgressBar) -> None:
        try:
            snapshot = await create_snapshot(self.clients, database, read_only=self.read_only)
        except ConsoleError as exc:
            label.update(Text(f"{database.logical_id}: not taken"))
            bar.display = False
            self.set_status(str(exc), "error")
            return
        self.load()
        try:
            async for state in follow_snapshot(self.clients, snapshot, interval=0.5, max_interval=10.0):
                if state.available:
                    bar.update(total=100, progress=100)
                elif state.progress is not None:
                    bar.update(total=100, progress=state.progress)
                label.update(Text(f"{database.logical_id}: {state.id} {state.status}"))
                snapshot = state
        except ConsoleError as exc:
            label.update(Text(f"{database.logical_id}: {snapshot.id} failed"))
            self.set_status(str(exc), "error")
            return
        self.taken[database.logical_id] = snapshot

    # --- hand-off and delete ----------------------------------------------------------------

    def action_use_in_change_set(self) -> None:
        chosen = dict(self.taken)
        for database in self.databases:
            if database.logical_id not in chosen:
                latest = next((s for s in self.snapshots.get(database.logical_id, []) if s.available), None)
                if latest is not None:
                    chosen[database.logical_id] = latest
        params = handoff_parameters(chosen.values())
        if not params:
            self.set_status("No available snapshot yet: take one with t or a first.", "error")
            return
        self.post_message(SnapshotsHandedOff(SnapshotHandoff(params)))
        given = ", ".join(f"{k}={v}" for k, v in params.items())
        self.set_status(f"The next change set starts with {given}.", "ok")
        self.notify(given, title="Used in the next change set", markup=False)

    def action_delete_latest(self) -> None:
        database = self.selected()
        if database is None:
            return
        manual = [s for s in self.snapshots.get(database.logical_id, []) if s.source == "manual" and s.available]
        if not manual:
            self.set_status(f"{database.logical_id} has no available manual {database.what} to delete.")
            return
        victim = manual[0]
        if self.read_only:
            self.delete(victim)
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.delete(victim)

        question = f"Delete the {database.what} {victim.id} of {database.logical_id}? It cannot be restored afterwards."
        self.app.push_screen(ConfirmScreen(question, "Delete"), answered)

    @work(group="snapshot-delete", exit_on_error=False)
    async def delete(self, snapshot: Snapshot) -> None:
        try:
            await delete_snapshot(self.clients, snapshot, read_only=self.read_only)
        except ConsoleError as exc:
            self.set_status(str(exc), "error")
            return
        self.taken = {k: v for k, v in self.taken.items() if v.id != snapshot.id}
        self.set_status(f"Deleted {snapshot.id}.", "ok")
        self.load()
