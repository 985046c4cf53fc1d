"""The question before quitting while a created change set still exists in CloudFormation.

Delete is the default (Enter, ``d``): a change set left behind (one that replaces a database,
say) is a loaded gun for the next person who opens CloudFormation. Keeping it is a choice (``k``);
``esc`` stays on the screen.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static


class LeaveChangeSetScreen(ModalScreen[str]):
    """Dismisses with ``delete``, ``keep`` or ``stay``."""

    DEFAULT_CSS = """
    LeaveChangeSetScreen { align: center middle; }
    LeaveChangeSetScreen > Vertical {
        width: 76; max-width: 100%; height: auto; padding: 1 2;
        border: thick $warning; background: $surface;
    }
    LeaveChangeSetScreen #leave-question { margin-bottom: 1; }
    LeaveChangeSetScreen Horizontal { height: auto; }
    LeaveChangeSetScreen Button { margin-right: 2; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("d", "answer('delete')", "Delete and quit"),
        Binding("k", "answer('keep')", "Keep and quit"),
        Binding("escape", "answer('stay')", "Stay"),
    ]

    def __init__(self, change_set: str, verdict: str) -> None:
        super().__init__()
        self.change_set = change_set
        self.verdict = verdict

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(
                Text(
                    f"Change set {self.change_set} still exists in CloudFormation ({self.verdict}).\n"
                    "Delete it before quitting?"
                ),
                id="leave-question",
            )
            with Horizontal():
                yield Button("Delete and quit (d)", id="delete", variant="warning")
                yield Button("Keep it and quit (k)", id="keep")
                yield Button("Stay (esc)", id="stay")

    def on_mount(self) -> None:
        self.query_one("#delete", Button).focus()  # Enter deletes: the safe default

    @on(Button.Pressed)
    def pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id or "stay")

    def action_answer(self, answer: str) -> None:
        self.dismiss(answer)
