"""The dashboard: Stack and Health on top, Journal / Uplinks / Events / Metrics / Timeline tabs below."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from services.core.aws import AwsClients
from services.core.config import Profile
from services.core.errors import ConsoleError
from services.stack.model import Stack, load_stack
from tui.panes import Pane
from tui.worker_errors import ShowsWorkerFailures

if TYPE_CHECKING:
    from textual.widgets import TabbedContent

    from tui.panes.health import HealthPane

INITIAL_TAB = "tab-events"  # the lower area's tab when the dashboard opens


class DashboardBody(Vertical):
    """Stack and Health on top, the tabs below."""

    DEFAULT_CSS = """
    DashboardBody { height: 1fr; }
    """

    def __init__(self, profile: Profile, clients: AwsClients, *, read_only: bool) -> None:
        super().__init__(id="body")
        self.profile = profile
        self.clients = clients
        self.read_only = read_only

    def compose(self) -> ComposeResult:
        # Imported here, after the first frame: these modules and their CSS cost start-up time.
        from textual.widgets import TabPane

        from tui.panes.events import EventsPane
        from tui.panes.health import HealthPane
        from tui.panes.journal import JournalPane
        from tui.panes.metrics import MetricsPane
        from tui.panes.stack import StackPane
        from tui.panes.timeline import TimelinePane
        from tui.panes.uplinks import UplinksPane
        from widgets.tabbed_content import KeyedTabbedContent

        profile, read_only = self.profile, self.read_only
        with Horizontal(id="top"):
            stack = StackPane(profile, read_only=read_only, id="stack")
            stack.border_title = f"Stack {profile.stack}"
            yield stack
            health = HealthPane(profile, read_only=read_only, id="health")
            health.border_title = "Health"
            yield health
        with KeyedTabbedContent(id="lower", initial=INITIAL_TAB):
            # The number key of each tab is in its label (5 is kept for the Timeline tab).
            with TabPane("1 Journal", id="tab-journal"):
                yield JournalPane(profile, read_only=read_only, id="journal")
            with TabPane("2 Uplinks", id="tab-uplinks"):
                yield UplinksPane(profile, read_only=read_only, id="uplinks")
            with TabPane("3 Events", id="tab-events"):
                yield EventsPane(profile, clients=self.clients, read_only=read_only, id="events")
            with TabPane("4 Metrics", id="tab-metrics"):
                yield MetricsPane(profile, clients=self.clients, read_only=read_only, id="metrics")
            with TabPane("5 Timeline", id="tab-timeline"):
                yield TimelinePane(profile, clients=self.clients, read_only=read_only, id="timeline")


class DashboardScreen(ShowsWorkerFailures, Screen[None]):
    """Everything about one deployment on one screen."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "refresh", "Refresh"),
        Binding("1", "show_tab('journal')", "Journal", show=False),
        Binding("2", "show_tab('uplinks')", "Uplinks", show=False),
        Binding("3", "show_tab('events')", "Events", show=False),
        Binding("4", "show_tab('metrics')", "Metrics", show=False),
        Binding("5", "show_tab('timeline')", "Timeline", show=False),
        Binding("E", "newest_error", "Newest error", show=False),
        Binding("v", "devices", "Devices", show=False),
    ]
    # Which tab the lower area opens on when a check fails: the place that shows why.
    TAB_FOR_FAILING_CHECK: ClassVar[dict[str, str]] = {"service": "journal", "iot": "uplinks"}

    def __init__(self, profile: Profile, clients: AwsClients, *, read_only: bool = False) -> None:
        super().__init__()
        self.profile = profile
        self.clients = clients
        self.read_only = read_only
        self.tab_chosen = False  # the operator picked a tab: failures no longer move the lower area
        self._tab_shown: str | None = None

    def compose(self) -> ComposeResult:
        # The first frame is light; the panes follow once it is on screen (see build()).
        yield Header()
        yield Static(f"Opening {self.profile.stack} in {self.profile.region}…", id="opening")
        yield Footer(compact=True)

    async def build(self) -> None:
        """Mount the panes, then load the stack (the first AWS call imports boto3)."""
        if self.query("#body"):
            return
        await self.mount(DashboardBody(self.profile, self.clients, read_only=self.read_only), after="#opening")
        await self.query_one("#opening").remove()
        from tui.panes.health import HealthPane

        self.query_one(HealthPane).focus_content()  # worst first: the line to read is under the cursor
        self.load()

    def action_refresh(self) -> None:
        if not self.query("#body"):
            return  # still opening
        self.load()
        for pane in self.query(Pane):
            pane.reload()

    def action_show_tab(self, tab: str) -> None:
        self.tab_chosen = True
        self.show_tab(tab)

    def show_tab(self, tab: str) -> None:
        from textual.widgets import TabbedContent

        for tabs in self.query("#lower").results(TabbedContent):
            tabs.active = f"tab-{tab}"

    def action_newest_error(self) -> None:
        """``E`` from anywhere on the dashboard: the journal, on its newest error (or the first to come)."""
        from tui.panes.journal import JournalPane

        self.action_show_tab("journal")
        for pane in self.query(JournalPane):
            self.set_focus(pane.view)  # now: see Pane.focus_content
            pane.view.action_newest_error()

    def action_devices(self) -> None:
        """``v`` from anywhere on the dashboard: the Uplinks tab's devices view (silent ones first)."""
        from tui.panes.uplinks import UplinksPane

        self.action_show_tab("uplinks")
        for pane in self.query(UplinksPane):
            pane.show_devices()

    def on_health_pane_verdict_changed(self, event: HealthPane.VerdictChanged) -> None:
        """A failing state changes the header (colour and what is wrong) and opens the tab that shows why."""
        self.show_verdict(event.status, event.summary)
        if self.tab_chosen:
            return
        for name in event.failing:
            tab = self.TAB_FOR_FAILING_CHECK.get(name)
            if tab is not None:
                self.show_tab(tab)
                return

    @work(exclusive=True, group="stack", exit_on_error=False)
    async def load(self) -> None:
        """Load the stack, then tell every pane; a failure is said in the Stack pane."""
        try:
            stack = await load_stack(self.clients)
        except ConsoleError as exc:
            self.show_failure(str(exc))
            return
        self.stack_loaded(stack)

    def show_failure(self, sentence: str) -> None:
        """The stack could not be loaded: said in the Stack pane, and once as a notification."""
        from tui.panes.stack import StackPane

        self.query_one("#stack", StackPane).show_error(sentence)
        self.notify(sentence, title="Stack", severity="error", timeout=8, markup=False)
        self.show_verdict("critical", f"✗ stack: {sentence}")  # nothing else can be checked without it

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        """A tab's keys work as soon as it is shown: focus its view.

        Not the tab the dashboard opens on: the health list has the keys then (see build()), and
        each change of focus restyles the whole screen, which at start-up delays the panes.
        """
        opening = self._tab_shown is None and event.pane.id == INITIAL_TAB
        self._tab_shown = event.pane.id
        if opening:
            return
        for pane in event.pane.query(Pane):
            pane.focus_content()
            break

    def on_health_pane_details_requested(self, event: HealthPane.DetailsRequested) -> None:
        """Enter on a health line: everything that check saw (full chain, every resolver)."""
        from tui.screens.check_details import CheckDetailsScreen

        self.app.push_screen(CheckDetailsScreen(event.result))

    def show_verdict(self, status: str, summary: str) -> None:
        """The header's colour and line: what is wrong, or (all well) the AWS principal."""
        from textual.widgets import Header

        header = self.query_one(Header)
        for name in ("critical", "warn", "unknown"):
            header.set_class(status == name, f"-{name}")
        self.sub_title = summary if status in ("critical", "warn", "unknown") else None

    def stack_loaded(self, stack: Stack) -> None:
        for pane in self.query(Pane):
            pane.stack_loaded(stack)
