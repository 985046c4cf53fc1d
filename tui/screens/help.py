"""The help screen (``?`` / F1): every key, grouped by where it works."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

KEYS: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    (
        "Everywhere",
        (
            ("?  F1", "this help"),
            ("ctrl+p", "command palette"),
            ("r", "refresh the stack and re-run checks"),
            ("1 2 3 4", "Journal, Uplinks, Events, Metrics tab"),
            ("tab  shift+tab", "move between panes"),
            ("s", "snapshots of the databases"),
            ("c", "guided change set"),
            ("esc", "back / close"),
            ("q", "quit"),
        ),
    ),
    (
        "Health",
        (
            ("enter", "everything the check saw (certificate chain, every resolver)"),
            ("r", "check again now (every 60 s anyway)"),
        ),
    ),
    (
        "Journal",
        (
            ("End  s", "follow again"),
            ("w  t  l", "wrap, timestamps, minimum level"),
            ("/", "filter (regex, ! inverts)"),
            ("n  N", "next / previous match"),
            ("e  E", "next / previous error"),
            ("m", "mark a line"),
            ("enter", "fields of the entry"),
            ("ctrl+s", "save the filtered view"),
        ),
    ),
    (
        "Uplinks",
        (
            ("p", "pause"),
            ("/", "filter by app, device or text"),
            ("d", "devices view"),
            ("enter", "one uplink in full"),
            ("ctrl+s", "export NDJSON (AWS IoT console format)"),
        ),
    ),
)


class HelpScreen(ModalScreen[None]):
    """Key reference; any of esc, q, ? closes it."""

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 72; max-width: 100%; height: auto; max-height: 90%;
        border: thick $accent; background: $surface; padding: 0 1;
    }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark,f1", "dismiss", "Close"),
    ]

    def compose(self) -> ComposeResult:
        table = Table.grid(padding=(0, 2))
        table.add_column(no_wrap=True, style="bold")
        table.add_column()
        for group, keys in KEYS:
            table.add_row(Text(group, style="bold underline"), "")
            for key, what in keys:
                table.add_row(key, what)
            table.add_row("", "")
        with VerticalScroll() as scroll:
            scroll.border_title = "Keys"
            yield Static(table)

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(result)
