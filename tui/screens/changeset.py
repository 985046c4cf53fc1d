"""The change-set screen (``c``): a guided, audited stack update in six steps.

1 template (current, file or URL) · 2 parameters (current values, descriptions, warnings; the
snapshot fields pre-filled from the snapshot screen) · 3 review (dangerous changes first, one-line
verdict) · 4 the snapshot guard (blocked without a fresh snapshot; snapshot screen or an audited
override) · 5 confirm by typing the stack name · 6 live progress to the end. ``esc`` before
execution deletes the change set unless it was kept (``k``).

Mixed in: the keys (:mod:`~tui.screens.changeset_keys`), the snapshot guard of step 4
(:mod:`~tui.screens.changeset_guard`) and leaving (:mod:`~tui.screens.changeset_leaving`).
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, ContentSwitcher, Footer, Header, Input, RadioButton, RadioSet, Static

from services.changes.changesets import ChangeSetPlan, UpdateDraft, create_change_set, delete_change_set, prepare_update
from services.changes.execute import (
    POST_UPDATE_CHECKLIST,
    Execution,
    SnapshotGuard,
    UpdateProgress,
    execute_change_set,
    follow_update,
)
from services.core.aws import AwsClients
from services.core.config import Profile
from services.core.errors import ConsoleError
from tui.handoff import SnapshotHandoff
from tui.panes.events import event_rows
from tui.screens.changeset_guard import ChangeSetGuard
from tui.screens.changeset_keys import ChangeSetKeys
from tui.screens.changeset_leaving import ChangeSetLeaving
from tui.screens.changeset_view import change_rows, failures_text, param_fields, result_text
from tui.worker_errors import ShowsWorkerFailures
from widgets.changes_form import FormInput, ParameterForm
from widgets.changes_table import ChangesTable
from widgets.event_table import EventTable

STEPS = ("Template", "Parameters", "Review", "Guard", "Confirm", "Progress")
FOLLOW_INTERVAL = 2.0


class ChangeSetScreen(ShowsWorkerFailures, ChangeSetKeys, ChangeSetGuard, ChangeSetLeaving, Screen[None]):
    """Create, review, guard, confirm, execute and follow one change set."""

    DEFAULT_CSS = """
    ChangeSetScreen #steps { height: 1; padding: 0 1; background: $panel; }
    ChangeSetScreen #status { height: auto; padding: 0 1; }
    ChangeSetScreen #status.-error { color: $error; }
    ChangeSetScreen #status.-ok { color: $success; }
    ChangeSetScreen ContentSwitcher { height: 1fr; }
    ChangeSetScreen ContentSwitcher > * { height: 1fr; padding: 0 1; }
    ChangeSetScreen .buttons { height: auto; margin-top: 1; }
    ChangeSetScreen .buttons Button { margin-right: 2; }
    ChangeSetScreen .lead { margin-bottom: 1; }
    ChangeSetScreen #verdict { text-style: bold; margin-bottom: 1; }
    ChangeSetScreen #verdict.-danger, ChangeSetScreen #guard-text.-blocked { color: $error; }
    ChangeSetScreen #guard-text.-clear { color: $success; }
    ChangeSetScreen .warnings { color: $warning; margin-top: 1; }
    ChangeSetScreen #progress-line { text-style: bold; height: 1; }
    ChangeSetScreen #events { height: 1fr; }
    ChangeSetScreen #failures { height: auto; color: $error; }
    ChangeSetScreen #result { height: auto; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back (deletes it)"),  # the change set, unless kept
        Binding("q", "quit_asking", "Quit"),
        Binding("enter", "next_step", "Next", show=False),  # before any field has the focus (typed ahead)
        Binding("k", "keep", "Keep change set"),
        Binding("s", "snapshots", "Snapshots"),
    ]

    def __init__(
        self, profile: Profile, clients: AwsClients, *, read_only: bool = False, handoff: SnapshotHandoff | None = None
    ) -> None:
        super().__init__()
        self.profile = profile
        self.read_only = read_only
        self.clients = clients
        self.handoff = handoff or SnapshotHandoff()
        self.step = 1
        self.template_body: str | None = None
        self.template_url: str | None = None
        self.base: UpdateDraft | None = None
        self.draft: UpdateDraft | None = None
        self.plan: ChangeSetPlan | None = None
        self.guard: SnapshotGuard | None = None
        self.override = False
        self.kept = False
        self.executed = False
        self.progress: UpdateProgress | None = None
        self.follow_interval = FOLLOW_INTERVAL
        # Keys typed while the parameters load, replayed in order once the form has the focus.
        self.typeahead: list[events.Key] | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="steps")
        yield Static(id="status")
        with ContentSwitcher(initial="step-1"):
            with Vertical(id="step-1"):
                yield Static(
                    "Update the stack with its current template and new parameter values, or with a "
                    "replacement template.",
                    classes="lead",
                )
                with RadioSet(id="source"):
                    yield RadioButton("Current template", value=True, id="src-current")
                    yield RadioButton("Template file", id="src-file")
                    yield RadioButton("Template URL (S3)", id="src-url")
                yield Input(placeholder="path to a template file, or its https:// URL", id="template-location")
                with Horizontal(classes="buttons"):
                    yield Button("Next: parameters", id="to-params", variant="primary")
            with Vertical(id="step-2"):
                yield Static("Type part of a name, Enter edits it; Enter in a value creates the change set.",
                             classes="lead")
                yield FormInput(placeholder="find a parameter by name", id="param-find", on_enter=self.form_enter)
                yield Vertical(id="form-slot")
                with Horizontal(classes="buttons"):
                    yield Button("Create change set and review", id="to-review", variant="primary")
            with VerticalScroll(id="step-3"):
                yield Static(id="verdict")
                yield ChangesTable(id="changes")
                yield Static(id="review-warnings", classes="warnings")
                with Horizontal(classes="buttons"):
                    yield Button("Next: safety check", id="to-guard", variant="primary")
                    yield Button("Back to parameters", id="back-params")
                    yield Button("Keep for later (k)", id="keep")
            with Vertical(id="step-4"):
                yield Static(id="guard-text")
                with Horizontal(classes="buttons"):
                    yield Button("Take a snapshot (s)", id="open-snapshots", variant="primary")
                    yield Button("Check again", id="recheck")
                    yield Button("Override (audited)", id="override", variant="error")
                    yield Button("Next: confirm", id="to-confirm", variant="primary")
            with Vertical(id="step-5"):
                yield Static(id="confirm-text", classes="lead")
                yield Input(placeholder="stack name", id="confirm-input")
                with Horizontal(classes="buttons"):
                    yield Button("Execute", id="execute", variant="error", disabled=True)
            with Vertical(id="step-6"):
                yield Static(id="progress-line")
                yield EventTable(id="events")
                yield Static(id="failures")
                yield Static(id="result")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.show_step(1)
        self.set_focus(self.query_one("#to-params", Button))  # now: an Enter typed ahead goes on
        if self.read_only:
            self.set_status(
                "Read-only: change sets can be reviewed here but not created or executed "
                "(the console runs with --read-only).",
                "error",
            )

    # --- chrome ---------------------------------------------------------------------------

    def show_step(self, step: int) -> None:
        self.step = step
        self.query_one(ContentSwitcher).current = f"step-{step}"
        line = Text()
        for n, name in enumerate(STEPS, start=1):
            if n > 1:
                line.append(" › ", style="dim")  # all six fit in 80 columns
            line.append(f"{n} {name}", style="bold reverse" if n == step else ("" if n < step else "dim"))
        self.query_one("#steps", Static).update(line)
        self.call_after_refresh(self._focus_step)

    def _focus_step(self) -> None:
        # Keys must reach this step, not a widget of a step that is now hidden.
        container = self.query_one(f"#step-{self.step}")
        if self.focused is not None and container in self.focused.ancestors:
            return  # already there (the parameter form focuses itself before it is shown)
        if self.step == 1:  # the current template is chosen already: Enter goes on to the parameters
            self.query_one("#to-params", Button).focus()
            return
        target = next((w for w in container.query("*") if w.focusable), None)
        if target is not None:
            target.focus()

    def show_failure(self, sentence: str) -> None:
        self.set_status(sentence, "error")

    def set_status(self, text: str, kind: str = "") -> None:
        status = self.query_one("#status", Static)
        status.update(Text(text))
        status.set_class(kind == "error", "-error")
        status.set_class(kind == "ok", "-ok")

    # --- step 1 → 2 -------------------------------------------------------------------------

    @on(Button.Pressed, "#to-params")
    def to_params(self) -> None:
        source = self.query_one("#source", RadioSet).pressed_button
        location = self.query_one("#template-location", Input).value.strip()
        self.template_body = self.template_url = None
        chosen = source.id if source is not None else "src-current"
        try:
            if chosen == "src-file":
                self.template_body = Path(location).expanduser().read_text()
            elif chosen == "src-url":
                if not location:
                    raise ValueError("give the template's URL")
                self.template_url = location
        except (OSError, ValueError) as exc:
            self.set_status(f"Cannot use that template: {getattr(exc, 'strerror', None) or exc}.", "error")
            return
        if self.typeahead is not None:
            return  # already loading
        self.typeahead = []
        self.set_focus(None)  # keys come to the screen (on_key) and wait for the form
        self.load_parameters()

    @work(exclusive=True, group="changeset", exit_on_error=False)
    async def load_parameters(self) -> None:
        self.set_status("Reading the template's parameters…")
        try:
            self.base = await prepare_update(
                self.clients, {}, template_body=self.template_body, template_url=self.template_url
            )
        except ConsoleError as exc:
            self.typeahead = None
            self.set_status(str(exc), "error")
            self._focus_step()
            return
        handoff = dict(self.handoff.parameters)
        slot = self.query_one("#form-slot", Vertical)
        await slot.remove_children()
        await slot.mount(ParameterForm(param_fields(self.base, handoff), on_enter=self.form_enter, id="form"))
        prefilled = [
            k
            for k in handoff
            if self.base.stack.parameter(k) is not None or any(p.key == k for p in self.base.declared)
        ]
        self.set_status("Pre-filled from the snapshot screen: " + ", ".join(prefilled) if prefilled else "")
        self.query_one("#param-find", Input).value = ""
        self.show_step(2)
        self.set_focus(self.query_one("#param-find", Input))  # now, not after a refresh: keys follow it
        # What was typed while loading goes to the find box's queue, ahead of anything typed later.
        keys, self.typeahead = self.typeahead or [], None
        for key in keys:
            self.query_one("#param-find", Input).post_message(events.Key(key.key, key.character))

    # --- step 2 → 3 -------------------------------------------------------------------------

    @on(Button.Pressed, "#to-review")
    def to_review(self) -> None:
        values = self.query_one("#form", ParameterForm).changed_values()
        self.create(values)

    @work(exclusive=True, group="changeset", exit_on_error=False)
    async def create(self, values: dict[str, str]) -> None:
        self.set_status("Creating the change set; CloudFormation is computing it…")
        try:
            if self.plan is not None and not self.kept:
                await delete_change_set(self.clients, self.plan.name, read_only=self.read_only)
                self.plan = None
            self.draft = await prepare_update(
                self.clients,
                values,
                template_body=self.template_body,
                template_url=self.template_url,
                stack=self.base.stack if self.base else None,
            )
            self.plan = await create_change_set(self.clients, self.draft, read_only=self.read_only)
        except ConsoleError as exc:
            self.set_status(str(exc), "error")
            return
        self.show_review(self.plan, self.draft)

    def show_review(self, plan: ChangeSetPlan, draft: UpdateDraft) -> None:
        danger = bool(plan.requires_snapshot) or any(c.replaces for c in plan.changes)
        verdict = self.query_one("#verdict", Static)
        verdict.update(Text(f"{plan.name}: {plan.verdict}"))
        verdict.set_class(danger, "-danger")
        self.query_one(ChangesTable).set_rows(change_rows(plan))
        notes = [*draft.migration_warnings, *plan.warnings]
        self.query_one("#review-warnings", Static).update(Text("\n".join(f"⚠ {n}" for n in notes)))
        self.query_one("#to-guard", Button).disabled = plan.no_changes
        self.set_status("Nothing to change: esc deletes the empty change set." if plan.no_changes else "")
        self.show_step(3)

    @on(Button.Pressed, "#back-params")
    def back_to_params(self) -> None:
        # The next "Create" replaces this change set (deleting it unless it was kept).
        self.show_step(2)

    # --- step 3 → 4 (the guard itself in ChangeSetGuard) → 5 --------------------------------

    @on(Button.Pressed, "#to-guard")
    def to_guard(self) -> None:
        self.show_step(4)
        self.check_guard()

    @on(Button.Pressed, "#recheck")
    def recheck(self) -> None:
        self.check_guard()

    @on(Button.Pressed, "#open-snapshots")
    def snapshots_pressed(self) -> None:
        self.action_snapshots()

    @on(Button.Pressed, "#override")
    def override_pressed(self) -> None:
        self.ask_override()

    @on(Button.Pressed, "#to-confirm")
    def to_confirm(self) -> None:
        assert self.plan is not None
        self.query_one("#confirm-text", Static).update(
            Text(f"Type the stack name {self.profile.stack} to execute {self.plan.name}.\n{self.plan.verdict}")
        )
        self.show_step(5)
        self.query_one("#confirm-input", Input).focus()

    @on(Input.Changed, "#confirm-input")
    def confirm_typed(self, event: Input.Changed) -> None:
        self.query_one("#execute", Button).disabled = event.value != self.profile.stack

    # --- step 6 -----------------------------------------------------------------------------

    @on(Button.Pressed, "#execute")
    def execute(self) -> None:
        self.run_update(self.query_one("#confirm-input", Input).value)

    @work(exclusive=True, group="changeset", exit_on_error=False)
    async def run_update(self, typed: str) -> None:
        assert self.plan is not None
        try:
            execution: Execution = await execute_change_set(
                self.clients,
                self.plan,
                read_only=self.read_only,
                confirm=typed,
                allow_without_snapshot=self.override,
                guard=self.guard,
            )
        except ConsoleError as exc:
            self.set_status(str(exc), "error")
            return
        self.executed = True
        self.show_step(6)
        self.set_status(f"Executing {self.plan.name}; esc leaves this screen, the update goes on.")
        try:
            async for progress in follow_update(self.clients, execution, interval=self.follow_interval):
                self.show_progress(progress)
        except ConsoleError as exc:
            self.set_status(str(exc), "error")

    def show_progress(self, progress: UpdateProgress) -> None:
        self.progress = progress
        self.query_one("#progress-line", Static).update(Text(progress.status_line))
        self.query_one(EventTable).add_events(event_rows(progress.events, "%H:%M:%S"))
        if progress.finished:
            self.query_one("#failures", Static).update(failures_text(progress))
            self.query_one("#result", Static).update(result_text(progress, POST_UPDATE_CHECKLIST))
            kind = "ok" if progress.succeeded else "error"
            self.set_status(f"The update ended {progress.stack_status}.", kind)

    # --- leaving (the rest in ChangeSetLeaving) ---------------------------------------------

    @on(Button.Pressed, "#keep")
    def keep_pressed(self) -> None:
        self.action_keep()
