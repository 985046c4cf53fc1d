"""Dashboard panes: each composes widgets and runs the workers that feed them from a service.

The dashboard calls methods down: :meth:`Pane.stack_loaded` whenever the stack has been
(re)loaded, :meth:`Pane.reload` on ``r``. Navigation beyond the pane belongs to the screen: a
pane posts a message (e.g. the Health pane's ``DetailsRequested``) and the screen decides; a
pane may open a modal that only shows one of its own items (the journal's entry fields).
"""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual.containers import Vertical
from textual.widgets import Static

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
        """Give the keyboard to the pane's first focusable widget (its view, its list), now.

        Now and not after the queue (``Widget.focus``): keys typed in a burst run before a deferred
        focus would, and focusing a widget in a tab the operator has already left switches back to
        it. The focus chain holds only what is shown, so a pane in a hidden tab takes nothing.
        """
        for widget in self.screen.focus_chain:
            if self in widget.ancestors:
                self.screen.set_focus(widget)
                return


class RefreshingPane(Pane):
    """A pane that reads its data again every ``interval`` seconds once the stack is known, and on ``r``.

    Subclasses implement :meth:`load` (start the worker that reads) and compose a one-line
    ``Static`` with the id :attr:`STATUS_ID`, which :meth:`_status` writes.
    """

    STATUS_ID: ClassVar[str]

    def __init__(self, profile: Profile, *, interval: float, read_only: bool = False, **kwargs: Any) -> None:
        super().__init__(profile, read_only=read_only, **kwargs)
        self.interval = interval
        self._started = False

    def stack_loaded(self, stack: Stack) -> None:
        super().stack_loaded(stack)
        if not self._started:
            self._started = True
            self.set_interval(self.interval, self.load)
        self.load()

    def reload(self) -> None:
        self.load()

    def load(self) -> None:
        """Start reading the pane's data: at the first stack, every ``interval`` and on ``r``."""
        raise NotImplementedError

    def _status(self, text: str, *, problem: bool = False) -> None:
        """The status line, as plain text (remote words are never read as markup)."""
        status = self.query_one(f"#{self.STATUS_ID}", Static)
        status.update(Text(text))
        status.set_class(problem, "-problem")
