"""The Host screen (``h``): the instance's facts and findings, /tti, a file viewer, restart, doctor.

Left, the ``/tti`` tree (bootstrap logs newest first); Enter opens a file in the viewer, its
secrets already masked by the service. In the viewer ``/`` finds (``n`` the next match) and ``f``
follows a growing log. ``R`` restarts the service after the stack name is typed, and the
viewer follows the restart to the end; ``d`` asks AWS why SSH fails. Under ``--read-only`` the
restart is refused (and audited as refused) with one sentence.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Input, Log, Static, Tree

from services.core.config import Profile
from services.core.errors import ConsoleError
from services.core.ssh import SshConnection
from services.host.files import HostFile, TreeEntry, read_file, read_new
from services.host.overview import HostOverview, load_overview, open_host
from services.host.render import facts_lines, size_text
from services.host.restart import RestartStep, restart_service
from tui.screens.host_dialogs import DoctorScreen, RestartConfirmScreen, findings_text

FOLLOW_SECONDS = 2.0


class HostScreen(Screen[None]):
    """One instance, as an engineer sees it after ``ssh`` and ``cd /tti``."""

    DEFAULT_CSS = """
    HostScreen #host-top { height: 9; border: round $panel-lighten-2; border-title-color: $accent; padding: 0 1; }
    HostScreen #host-main { height: 1fr; }
    HostScreen #host-tree { width: 34; border: round $panel-lighten-2; border-title-color: $accent; }
    HostScreen #host-viewer { width: 1fr; border: round $panel-lighten-2; border-title-color: $accent; }
    HostScreen #host-main > *:focus { border: round $accent; }
    HostScreen #host-find { dock: bottom; display: none; }
    HostScreen #host-find.-open { display: block; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back"),
        Binding("r", "refresh", "Refresh"),
        Binding("slash", "find", "Find"),
        Binding("n", "find_next", "Next", show=False),
        Binding("f", "follow", "Follow"),
        Binding("R", "restart", "Restart"),
        Binding("d", "doctor", "Why no SSH?"),
    ]

    def __init__(self, profile: Profile, *, read_only: bool = False) -> None:
        super().__init__()
        self.profile = profile
        self.read_only = read_only
        self.overview: HostOverview | None = None
        self.file: HostFile | None = None
        self._file_size = 0
        self._conn: SshConnection | None = None
        self._needle = ""
        self._match_from = 0

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="host-top") as top:
            top.border_title = "Host"
            yield Static(Text("Connecting over SSH…"), id="host-facts")
        with Horizontal(id="host-main"):
            tree: Tree[TreeEntry] = Tree(Text("/tti"), id="host-tree")
            tree.border_title = "/tti"
            yield tree
            viewer = Log(id="host-viewer", highlight=False)
            viewer.border_title = "Enter on a file shows it"
            yield viewer
        yield Input(placeholder="find in the file (enter: next match, esc: close)", id="host-find")
        yield Footer()

    def on_mount(self) -> None:
        self.load()

    async def on_unmount(self) -> None:
        await self._close()

    async def _close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            await conn.close()

    async def connection(self) -> SshConnection:
        """One SSH connection for the screen's reads, opened on first use."""
        if self._conn is None:
            self._conn = await open_host(self.profile)
        return self._conn

    # --- the overview ---------------------------------------------------------------------

    def action_refresh(self) -> None:
        self.load()

    @work(exclusive=True, group="host-load")
    async def load(self) -> None:
        facts = self.query_one("#host-facts", Static)
        try:
            overview = await load_overview(self.profile)
        except ConsoleError as exc:
            facts.update(Text(f"{exc}\nd asks AWS why SSH fails.", style="bold"))
            self.query_one("#host-top", VerticalScroll).border_title = "Host · not reachable"
            return
        self.overview = overview
        self.query_one("#host-top", VerticalScroll).border_title = f"Host · {overview.host} · {overview.status.nagios}"
        order = sorted(overview.findings, key=lambda f: -f.status.severity)
        text = findings_text([(f.status, f.sentence, ()) for f in order])
        now = datetime.now(UTC)
        for line in facts_lines(overview.facts):
            text.append(line + "\n")
        certs = overview.certificates
        for acme in certs.on_disk:
            text.append(f"on disk {acme.path}: until {acme.cert.not_after:%Y-%m-%d} ({acme.cert.days_left(now)} d)\n")
        if certs.served is not None:
            text.append(f"served: until {certs.served.not_after:%Y-%m-%d} ({certs.served.days_left(now)} d)\n")
        facts.update(text)
        self._fill_tree(overview.tree)

    def _fill_tree(self, entries: tuple[TreeEntry, ...]) -> None:
        tree: Tree[TreeEntry] = self.query_one("#host-tree", Tree)
        tree.clear()
        nodes = {"/tti": tree.root}
        tree.root.expand()
        for entry in entries:
            if entry.path == "/tti":
                continue
            parent = nodes.get(entry.path.rsplit("/", 1)[0], tree.root)
            name = entry.path.rsplit("/", 1)[-1]
            if entry.kind == "dir":
                nodes[entry.path] = parent.add(Text(name + "/"), data=entry, expand=True)
            else:
                label = Text(f"{name} ")
                label.append(size_text(entry.size), style="dim")
                if entry.kind == "link":
                    label.append(f" → {entry.link_target}", style="bold red" if entry.leaves_tti else "dim")
                parent.add_leaf(label, data=entry)

    # --- the viewer -----------------------------------------------------------------------

    @on(Tree.NodeSelected, "#host-tree")
    def selected(self, event: Tree.NodeSelected[TreeEntry]) -> None:
        entry = event.node.data
        if entry is not None and entry.kind != "dir":
            self.show_file(entry.path)

    @work(exclusive=True, group="host-file")
    async def show_file(self, path: str) -> None:
        viewer = self.query_one("#host-viewer", Log)
        viewer.clear()
        viewer.border_title = path
        try:
            host_file = await read_file(await self.connection(), path)
        except ConsoleError as exc:
            viewer.border_subtitle = ""
            viewer.write_line(str(exc))
            return
        self.file, self._file_size, self._match_from = host_file, host_file.size, 0
        notes = [size_text(host_file.size)]
        if host_file.truncated:
            notes.append("its tail")
        if host_file.masked:
            notes.append(f"{host_file.masked} secrets masked")
        viewer.border_subtitle = " · ".join(notes)
        viewer.write_lines(host_file.text.split("\n"))
        viewer.scroll_home(animate=False)

    def action_find(self) -> None:
        box = self.query_one("#host-find", Input)
        box.add_class("-open")
        box.focus()

    @on(Input.Submitted, "#host-find")
    def find_submitted(self, event: Input.Submitted) -> None:
        if event.value != self._needle:
            self._needle, self._match_from = event.value, 0
        self.action_find_next()

    def action_find_next(self) -> None:
        viewer = self.query_one("#host-viewer", Log)
        if not self._needle:
            return
        needle = self._needle.lower()
        lines = viewer.lines
        total = sum(1 for line in lines if needle in line.lower())
        for offset in range(len(lines)):
            index = (self._match_from + offset) % max(len(lines), 1)
            if needle in lines[index].lower():
                self._match_from = index + 1
                viewer.scroll_to(y=max(index - 2, 0), animate=False)
                viewer.border_subtitle = f"{self._needle!r}: line {index + 1}, {total} matching lines"
                return
        viewer.border_subtitle = f"{self._needle!r}: not found"

    def action_follow(self) -> None:
        if self.file is None:
            self.notify("Open a log first (Enter on a file in the tree).", timeout=4)
            return
        self.follow()

    @work(exclusive=True, group="host-follow")
    async def follow(self) -> None:
        import asyncio

        host_file = self.file
        assert host_file is not None
        viewer = self.query_one("#host-viewer", Log)
        viewer.border_subtitle = "following (f again restarts, Enter on another file stops)"
        viewer.scroll_end(animate=False)
        while self.file is host_file:
            try:
                text, self._file_size = await read_new(await self.connection(), host_file.path, self._file_size)
            except ConsoleError as exc:
                viewer.border_subtitle = str(exc)
                return
            if text:
                viewer.write_lines(text.rstrip("\n").split("\n"))
            await asyncio.sleep(FOLLOW_SECONDS)

    # --- actions --------------------------------------------------------------------------

    def action_restart(self) -> None:
        if self.read_only:
            self.run_restart(self.profile.stack)  # refused and audited as refused by the service
            return

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.run_restart(self.profile.stack)

        self.app.push_screen(RestartConfirmScreen(self.profile.stack, self.profile.ssh.unit), confirmed)

    @work(exclusive=True, group="host-restart")
    async def run_restart(self, confirm: str) -> None:
        viewer = self.query_one("#host-viewer", Log)
        self.file = None
        viewer.clear()
        viewer.border_title = f"Restart of {self.profile.ssh.unit}"

        def step(s: RestartStep) -> None:
            viewer.write_line(("  " if s.phase in ("journal", "check") else "") + s.message)

        try:
            await restart_service(self.profile, confirm=confirm, read_only=self.read_only, on_step=step)
        except ConsoleError as exc:
            viewer.write_line(str(exc))
            self.notify(str(exc), title="Restart", severity="error", timeout=10, markup=False)
            return
        self.notify(f"{self.profile.ssh.unit} is back.", title="Restart", timeout=6, markup=False)
        self.load()

    def action_doctor(self) -> None:
        self.app.push_screen(DoctorScreen(self.profile))

    def action_back(self) -> None:
        box = self.query_one("#host-find", Input)
        if box.has_class("-open"):  # esc closes the find box first, like lnav and less
            box.remove_class("-open")
            self.query_one("#host-viewer", Log).focus()
            return
        self.app.pop_screen()
