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
        from textual.widgets import TabbedContent, TabPane

        from tui.panes.events import EventsPane
        from tui.panes.health import HealthPane
        from tui.panes.journal import JournalPane
        from tui.panes.metrics import MetricsPane
        from tui.panes.stack import StackPane
        from tui.panes.timeline import TimelinePane
        from tui.panes.uplinks import UplinksPane

        profile, read_only = self.profile, self.read_only
        with Horizontal(id="top"):
            stack = StackPane(profile, read_only=read_only, id="stack")
            stack.border_title = f"Stack {profile.stack}"
            yield stack
            health = HealthPane(profile, read_only=read_only, id="health")
            health.border_title = "Health"
            yield health
        with TabbedContent(id="lower", initial="tab-events"):
            with TabPane("Journal", id="tab-journal"):
                yield JournalPane(profile, read_only=read_only, id="journal")
            with TabPane("Uplinks", id="tab-uplinks"):
                yield UplinksPane(profile, read_only=read_only, id="uplinks")
            with TabPane("Events", id="tab-events"):
                yield EventsPane(profile, clients=self.clients, read_only=read_only, id="events")
            with TabPane("Metrics", id="tab-metrics"):
                yield MetricsPane(profile, clients=self.clients, read_only=read_only, id="metrics")
            with TabPane("Timeline", id="tab-timeline"):
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
    ]

    def __init__(self, profile: Profile, clients: AwsClients, *, read_only: bool = False) -> None:
        super().__init__()
        self.profile = profile
        self.clients = clients
        self.read_only = read_only

    def compose(self) -> ComposeResult:
        # The first frame is light; the panes follow once it is on screen (see build()).
        yield Header()
        yield Static(f"Opening {self.profile.stack} in {self.profile.region}…", id="opening")
        yield Footer()

    async def build(self) -> None:
        """Mount the panes, then load the stack (the first AWS call imports boto3)."""
        if self.query("#body"):
            return
        await self.mount(DashboardBody(self.profile, self.clients, read_only=self.read_only), after="#opening")
        await self.query_one("#opening").remove()
        self.load()

    def action_refresh(self) -> None:
        if not self.query("#body"):
            return  # still opening
        self.load()
        for pane in self.query(Pane):
            pane.reload()

    def action_show_tab(self, tab: str) -> None:
        from textual.widgets import TabbedContent

        for tabs in self.query("#lower").results(TabbedContent):
            tabs.active = f"tab-{tab}"

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

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        """A tab's keys work as soon as it is shown: focus its view."""
        for pane in event.pane.query(Pane):
            pane.focus_content()
            break

    def on_health_pane_details_requested(self, event: HealthPane.DetailsRequested) -> None:
        """Enter on a health line: everything that check saw (full chain, every resolver)."""
        from tui.screens.check_details import CheckDetailsScreen

        self.app.push_screen(CheckDetailsScreen(event.result))

    def stack_loaded(self, stack: Stack) -> None:
        for pane in self.query(Pane):
            pane.stack_loaded(stack)
