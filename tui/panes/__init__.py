"""Dashboard panes: each composes widgets and runs the workers that feed them from a service.

The dashboard calls methods down: :meth:`Pane.stack_loaded` whenever the stack has been
(re)loaded, :meth:`Pane.reload` on ``r``. Navigation beyond the pane belongs to the screen: a
pane posts a message (e.g. the Health pane's ``DetailsRequested``) and the screen decides; a
pane may open a modal that only shows one of its own items (the journal's entry fields).
"""

from __future__ import annotations

from typing import Any

from textual.containers import Vertical

from services.core.config import Profile
from services.stack.model import Stack
from tui.worker_errors import ShowsWorkerFailures


class Pane(ShowsWorkerFailures, Vertical):
    """Base of the dashboard's panes and tabs."""

    DEFAULT_CSS = """
    Pane { height: 1fr; }
    """

    def __init__(self, profile: Profile, *, read_only: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.profile = profile
        self.read_only = read_only
        self.stack: Stack | None = None

    def stack_loaded(self, stack: Stack) -> None:
        """The stack was loaded or reloaded; panes that need its outputs start here."""
        self.stack = stack

    def reload(self) -> None:
        """The operator asked for fresh data (``r``)."""

    def show_failure(self, sentence: str) -> None:
        """A worker of this pane stopped: say so on the pane's border (panes with a status line override)."""
        self.border_subtitle = sentence
        self.add_class("-failed")

    def focus_content(self) -> None:
        """Give the keyboard to the pane's first focusable widget (its view, its list)."""
        for widget in self.screen.focus_chain:
            if self in widget.ancestors:
                widget.focus()
                return
