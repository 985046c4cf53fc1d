"""One health check in full: verdict, reason, and every detail (the whole chain, every resolver's answer)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from services.core.safe_text import safe_text
from services.health.run import CheckResult, Status

# The dashboard key that shows more about a check (the tab behind it); `d` asks the doctor about ssh.
MORE_KEYS: dict[str, tuple[str, str, str]] = {
    "service": ("1", "journal", "the service's journal"),
    "ssh": ("1", "journal", "the service's journal"),
    "iot": ("2", "uplinks", "the live uplink feed"),
    "stack": ("3", "events", "the stack's events"),
}
_STYLE = {Status.OK: "green", Status.WARN: "yellow", Status.CRITICAL: "bold red", Status.UNKNOWN: "bold"}


def _plain(value: Any) -> str:
    return safe_text("" if value is None else str(value))


def details_text(details: Mapping[str, Any]) -> Text:
    """Nested details as indented ``key: value`` lines; lists of records as ``-`` blocks."""
    text = Text(end="")
    _walk(text, details, 0)
    return text


def _walk(text: Text, value: Any, indent: int, lead: str | None = None) -> None:
    pad = "  " * indent
    if isinstance(value, Mapping):
        for i, (key, item) in enumerate(value.items()):
            prefix = lead if i == 0 and lead is not None else pad
            if isinstance(item, Mapping | list) and item:
                text.append(f"{prefix}{_plain(key)}:\n", style="bold")
                _walk(text, item, indent + 1)
            else:
                text.append(f"{prefix}{_plain(key)}: ", style="bold")
                text.append(_scalar(item) + "\n")
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, Mapping) and item:
                _walk(text, item, indent + 1, lead=f"{pad}- ")  # YAML-like: the record's first key on the dash
            else:
                text.append(f"{pad}- {_scalar(item)}\n")
    else:
        text.append(f"{pad}{_scalar(value)}\n")


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value is None or value == "" or value == [] or value == {}:
        return "—"
    return _plain(value)


class CheckDetailsScreen(ModalScreen[None]):
    """esc (or q) closes it."""

    DEFAULT_CSS = """
    CheckDetailsScreen { align: center middle; }
    CheckDetailsScreen > VerticalScroll {
        width: 90%;
        max-width: 120;
        height: 90%;
        border: round $accent;
        border-title-color: $accent;
        background: $surface;
        padding: 0 1;
    }
    CheckDetailsScreen #summary { margin-bottom: 1; }
    CheckDetailsScreen #more { margin-bottom: 1; color: $accent; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close"),
        Binding("q", "close", "Close", show=False),
        Binding("d", "doctor", "Why can't I SSH?"),
        Binding("1", "more('journal')", "Journal", show=False),
        Binding("2", "more('uplinks')", "Uplinks", show=False),
        Binding("3", "more('events')", "Events", show=False),
    ]

    def __init__(self, result: CheckResult) -> None:
        super().__init__()
        self.result = result

    def compose(self) -> ComposeResult:
        result = self.result
        head = Text(end="")
        head.append(f"{result.status.nagios}", style=_STYLE[result.status])
        head.append(f"  {_plain(result.summary)}")
        with VerticalScroll() as scroll:
            scroll.border_title = f"{result.name} check"
            scroll.border_subtitle = "esc closes"
            yield Static(head, id="summary")
            more = MORE_KEYS.get(result.name)
            if more is not None:
                key, _, what = more
                yield Static(Text.assemble("Press ", (key, "bold reverse"), f" for {what}."), id="more")
            yield Static(details_text(result.details), id="details")

    def action_close(self) -> None:
        self.dismiss(None)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return self.result.name == "ssh" if action == "doctor" else True

    def action_doctor(self) -> None:
        from tui.screens.host_dialogs import DoctorScreen

        self.app.push_screen(DoctorScreen(self.app.profile))  # type: ignore[attr-defined]
    def action_more(self, tab: str) -> None:
        """Close, then show the dashboard tab that says more (the number keys work here as there)."""
        self.dismiss(None)
        self.app.call_later(self.app.run_action, f"screen.show_tab('{tab}')")
