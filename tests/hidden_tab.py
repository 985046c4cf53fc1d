"""An app with a view in a tab that is not shown, for views that must wait until their tab is."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widget import Widget
from textual.widgets import Static, TabbedContent, TabPane


class HiddenTabApp(App[None]):
    """Two tabs: ``other`` (shown) and ``view`` (holding ``view``); :meth:`show_view` switches."""

    def __init__(self, view: Widget) -> None:
        super().__init__()
        self.view = view

    def compose(self) -> ComposeResult:
        with TabbedContent(initial="other"):
            with TabPane("Other", id="other"):
                yield Static("the tab on screen")
            with TabPane("View", id="view"):
                yield self.view

    def show_view(self) -> None:
        self.query_one(TabbedContent).active = "view"
