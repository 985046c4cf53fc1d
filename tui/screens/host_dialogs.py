"""The Host screen's dialogs: the restart's typed confirmation, and the doctor's findings.

The doctor opens from the Host screen (``d``) and from the Health pane's ssh line (its details,
``d``): it asks AWS, read-only, why SSH fails.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from services.core.config import Profile
from services.core.errors import ConsoleError
from services.health.run import Status
from services.host.doctor import DoctorReport, run_doctor

STATUS_STYLE = {Status.OK: "green", Status.WARN: "yellow", Status.CRITICAL: "bold red", Status.UNKNOWN: "bold"}
VERDICT = {"clear": "Nothing AWS shows blocks SSH", "blocked": "SSH is blocked", "unknown": "Cannot tell"}


def findings_text(findings: list[tuple[Status, str, tuple[str, ...]]]) -> Text:
    """Findings as styled plain text (their sentences are safe text; nothing is markup)."""
    text = Text(end="")
    for status, sentence, lines in findings:
        text.append(f"{status.nagios:<8} ", style=STATUS_STYLE[status])
        text.append(sentence + "\n")
        for line in lines:
            text.append(f"  │ {line}\n", style="dim")
    return text


class RestartConfirmScreen(ModalScreen[bool]):
    """Type the stack name to restart the service; esc cancels."""

    DEFAULT_CSS = """
    RestartConfirmScreen { align: center middle; }
    RestartConfirmScreen > Vertical {
        width: 70; max-width: 95%; height: auto; padding: 1 2;
        border: thick $warning; background: $surface;
    }
    RestartConfirmScreen #restart-hint { color: $text-muted; margin-top: 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, stack: str, unit: str) -> None:
        super().__init__()
        self.stack = stack
        self.unit = unit

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text(f"Restart {self.unit} on the instance of {self.stack}? The stack stops serving "
                              "for a few seconds; every gateway reconnects."))  # fmt: skip
            yield Input(placeholder=f"type {self.stack} to confirm", id="restart-confirm")
            yield Static(Text("enter restarts · esc cancels"), id="restart-hint")

    @on(Input.Submitted, "#restart-confirm")
    def submitted(self, event: Input.Submitted) -> None:
        if event.value == self.stack:
            self.dismiss(True)
        else:
            self.query_one("#restart-hint", Static).update(Text(f"That is not {self.stack}; type it exactly."))

    def action_cancel(self) -> None:
        self.dismiss(False)


class DoctorScreen(ModalScreen[None]):
    """Why can't I SSH? The doctor's findings, worst first; ``r`` asks again, esc closes."""

    DEFAULT_CSS = """
    DoctorScreen { align: center middle; }
    DoctorScreen > VerticalScroll {
        width: 95%; max-width: 120; height: 90%;
        border: round $accent; border-title-color: $accent; background: $surface; padding: 0 1;
    }
    DoctorScreen #doctor-verdict { margin-bottom: 1; text-style: bold; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "close", "Close"),
        Binding("r", "refresh", "Ask again"),
    ]

    def __init__(self, profile: Profile) -> None:
        super().__init__()
        self.profile = profile
        self.report: DoctorReport | None = None

    def compose(self) -> ComposeResult:
        with VerticalScroll() as scroll:
            scroll.border_title = "Why can't I SSH?"
            scroll.border_subtitle = "r asks again · esc closes"
            yield Static(Text("Asking AWS (read-only)…"), id="doctor-verdict")
            yield Static(id="doctor-findings")

    def on_mount(self) -> None:
        self.action_refresh()

    def action_refresh(self) -> None:
        self.query_one("#doctor-verdict", Static).update(Text("Asking AWS (read-only)…"))
        self.ask()

    @work(exclusive=True, group="doctor")
    async def ask(self) -> None:
        try:
            report = await run_doctor(self.profile)
        except ConsoleError as exc:
            self.query_one("#doctor-verdict", Static).update(Text(str(exc)))
            return
        self.report = report
        order = sorted(report.findings, key=lambda f: -f.status.severity)
        head = f"{VERDICT[report.verdict]}" + (f" · {report.instance_id}" if report.instance_id else "")
        self.query_one("#doctor-verdict", Static).update(Text(head))
        self.query_one("#doctor-findings", Static).update(
            findings_text([(f.status, f.sentence, f.lines) for f in order])
        )

    def action_close(self) -> None:
        self.dismiss(None)
