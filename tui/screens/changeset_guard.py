"""Step 4 of the change-set screen: the snapshot guard, the snapshot screen, the audited override.

A plain mixin of :class:`tui.screens.changeset.ChangeSetScreen` (kept apart so that the screen's
module holds the six steps; its buttons are wired there). Execution is blocked until a snapshot
newer than the change set protects every stateful resource it touches: ``s`` opens the snapshot
screen and coming back checks again; the override, asked for explicitly, is audited.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import work
from textual.widgets import Button, Static

from services.changes.execute import SnapshotGuard, check_snapshot_guard
from services.core.errors import ConsoleError

if TYPE_CHECKING:
    from services.changes.changesets import ChangeSetPlan
    from services.core.aws import AwsClients
    from services.core.config import Profile


class ChangeSetGuard:
    """The snapshot guard of the change-set screen (see the module's docstring)."""

    if TYPE_CHECKING:
        profile: Profile
        clients: AwsClients
        read_only: bool
        step: int
        plan: ChangeSetPlan | None
        guard: SnapshotGuard | None
        override: bool
        app: Any

        def set_status(self, text: str, kind: str = "") -> None: ...
        def query_one(self, selector: Any, expect_type: Any = None) -> Any: ...

    @work(exclusive=True, group="changeset", exit_on_error=False)
    async def check_guard(self) -> None:
        assert self.plan is not None
        self.set_status("Looking for snapshots newer than the change set…")
        try:
            self.guard = await check_snapshot_guard(self.clients, self.plan)
        except ConsoleError as exc:
            self.set_status(str(exc), "error")
            return
        self.set_status("")
        self.show_guard(self.guard)

    def show_guard(self, guard: SnapshotGuard) -> None:
        text = self.query_one("#guard-text", Static)
        blocked = guard.blocked and not self.override
        if guard.blocked:
            when = f" (created {guard.newer_than:%H:%M:%S %Z})" if guard.newer_than else ""
            lines = [f"Execution blocked: no snapshot newer than the change set{when} protects:"]
        else:
            lines = [guard.sentence]
        lines += [f"  • {c.text}" for c in guard.checks]
        if guard.blocked and not self.override:
            lines.append("Take a snapshot (s), then check again; or override explicitly (audited).")
        if guard.blocked and self.override:
            lines.append("OVERRIDDEN: execution will go ahead without a fresh snapshot; this is audited.")
        text.update(Text("\n".join(lines)))
        text.set_class(blocked, "-blocked")
        text.set_class(not guard.blocked, "-clear")
        for button_id in ("#open-snapshots", "#override"):
            self.query_one(button_id, Button).display = guard.blocked and not self.override
        self.query_one("#to-confirm", Button).disabled = blocked

    def action_snapshots(self) -> None:
        from tui.screens.snapshots import SnapshotScreen

        self.app.push_screen(SnapshotScreen(self.profile, self.clients, read_only=self.read_only))

    def on_screen_resume(self) -> None:
        if self.step == 4 and self.plan is not None:
            self.check_guard()

    def ask_override(self) -> None:
        from tui.screens.snapshots import ConfirmScreen

        def answered(yes: bool | None) -> None:
            if yes and self.guard is not None:
                self.override = True
                self.show_guard(self.guard)

        question = (
            "Execute without a fresh snapshot? The database's data since its last snapshot could be lost. "
            "The override is recorded in the audit log."
        )
        self.app.push_screen(ConfirmScreen(question, "Override"), answered)
