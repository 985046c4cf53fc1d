"""The help screen (``?`` / F1): every key, read from the bindings where it works."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

# Where keys work, and the classes whose BINDINGS define them (module, class).
SOURCES: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    ("Everywhere", (("tui.app", "TtesConsoleApp"), ("tui.screens.dashboard", "DashboardScreen"))),
    ("Health", (("widgets.health_list", "HealthList"),)),
    ("Journal", (("tui.panes.journal", "JournalPane"), ("widgets.journal_view", "JournalView"))),
    ("Uplinks", (("tui.panes.uplinks", "UplinksPane"), ("widgets.uplink_feed", "UplinkFeedView"))),
    ("Metrics", (("tui.panes.metrics", "MetricsPane"),)),
    ("Timeline (5)", (("tui.panes.timeline", "TimelinePane"),)),
    ("Snapshots (s)", (("tui.screens.snapshots", "SnapshotScreen"),)),
    ("Change set (c)", (("tui.screens.changeset", "ChangeSetScreen"),)),
    ("Host (h)", (("tui.screens.host", "HostScreen"),)),
    ("Fleet (F)", (("tui.screens.fleet", "FleetScreen"),)),
)
EXTRA = {
    "Everywhere": (("ctrl+p", "command palette (the console's commands first)"), ("tab", "next pane")),
    "Health": (
        ("enter", "everything the check saw (certificate chain, every resolver)"),
        ("1 2 3", "from a check's details: its journal, uplinks or events"),
        ("r", "check again now"),
    ),
    "Journal": (("E", "newest error; with none yet, the first one to arrive"),),
    "Uplinks": (("left right", "scroll the columns (application, port, radio, payload)"),),
    "Change set (c)": (
        ("type, enter", "find a parameter by name, edit it (what is typed replaces the value)"),
        ("enter in a value", "create the change set and review it"),
        ("Set new value", "the only way into a hidden (no-echo) value"),
    ),
    "Fleet (F)": (("enter", "open that stack's dashboard (in place of the current one)"),),
}
# One meaning per key, everywhere (k9s and lazygit habits). h, F, g and 5 are kept for the Host
# screen, the Fleet screen, the gateways view and the Timeline tab.
KEY_MAP = (
    "q quit (asks first if a change set would be left behind) · esc back · ? help · ctrl+p palette · "
    "s snapshots · c change set · r refresh · 1–4 tabs · E newest error · space pause · / filter"
)


def _bindings(module: str, cls: str) -> Iterator[Binding]:
    try:
        owner = getattr(importlib.import_module(module), cls)
    except (ImportError, AttributeError):
        return
    for binding in owner.__dict__.get("BINDINGS", []):
        if isinstance(binding, Binding):
            yield binding
        elif isinstance(binding, tuple) and len(binding) >= 3:
            yield Binding(*binding)


def _keys(binding: Binding) -> str:
    names = {"question_mark": "?", "slash": "/", "escape": "esc", "space": "space"}
    return "  ".join(names.get(k.strip(), k.strip()) for k in binding.key.split(","))


def key_table() -> Table:
    """Every documented key, grouped by where it works."""
    table = Table.grid(padding=(0, 2))
    table.add_column(no_wrap=True, style="bold")
    table.add_column()
    for group, owners in SOURCES:
        rows = [(_keys(b), b.description) for module, cls in owners for b in _bindings(module, cls) if b.description]
        rows += list(EXTRA.get(group, ()))
        if not rows:
            continue
        table.add_row(Text(group, style="bold underline"), "")
        seen: set[str] = set()
        for keys, what in rows:
            if keys not in seen:
                seen.add(keys)
                table.add_row(keys, what)
        table.add_row("", "")
    return table


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
        with VerticalScroll() as scroll:
            scroll.border_title = "Keys"
            yield Static(Text(KEY_MAP, style="bold"), id="key-map")
            yield Static(key_table())

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(result)
