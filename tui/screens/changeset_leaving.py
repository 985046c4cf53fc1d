"""Leaving the change-set screen: ``k`` keeps the change set, ``esc`` and ``q`` delete it unless kept.

A plain mixin of :class:`tui.screens.changeset.ChangeSetScreen` (kept apart so that the screen's
module holds the six steps). A change set the screen created, neither kept nor executed, is never
left behind silently: ``esc`` deletes it on the way out, ``q`` asks first (delete being the
default), and a quit whose delete fails keeps the console open.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual import work

from services.changes.changesets import delete_change_set
from services.core.errors import ConsoleError

if TYPE_CHECKING:
    from services.changes.changesets import ChangeSetPlan
    from services.core.aws import AwsClients
    from services.core.config import Profile


class ChangeSetLeaving:
    """Keeping, deleting and leaving behind the screen's change set (see the module's docstring)."""

    if TYPE_CHECKING:
        profile: Profile
        clients: AwsClients
        read_only: bool
        plan: ChangeSetPlan | None
        kept: bool
        executed: bool
        app: Any

        def set_status(self, text: str, kind: str = "") -> None: ...

    def owned_change_set(self) -> str | None:
        """The change set this screen created and would leave behind in CloudFormation, if any."""
        if self.plan is not None and not self.kept and not self.executed:
            return self.plan.name
        return None

    def action_keep(self) -> None:
        if self.plan is None or self.executed:
            return
        self.kept = True
        self.set_status(
            f"Kept {self.plan.name}: `ttes-console apply --change-set {self.plan.name} "
            f"--confirm {self.profile.stack}` executes it later.",
            "ok",
        )

    def action_back(self) -> None:
        if self.plan is not None and not self.kept and not self.executed:
            self.discard_and_leave()
        else:
            self.app.pop_screen()

    def action_quit_asking(self) -> None:
        """``q``: quit, but never silently leave a created change set behind (delete is the default)."""
        plan = self.plan
        if plan is None or self.owned_change_set() is None:
            self.app.exit()
            return
        from tui.screens.leave_changeset import LeaveChangeSetScreen

        def answered(choice: str | None) -> None:
            if choice == "delete":
                self.discard_and_leave(quit_app=True)
            elif choice == "keep":
                self.app.exit()

        self.app.push_screen(LeaveChangeSetScreen(plan.name, plan.verdict), answered)

    @work(exclusive=True, group="changeset", exit_on_error=False)
    async def discard_and_leave(self, quit_app: bool = False) -> None:
        plan: Any = self.plan
        try:
            await delete_change_set(self.clients, plan.name, read_only=self.read_only)
        except ConsoleError as exc:
            if quit_app:  # stay: quitting now would leave the change set behind after all
                self.set_status(f"Could not delete {plan.name}: {exc} The console stays open.", "error")
                return
            self.app.notify(f"Could not delete {plan.name}: {exc}", severity="warning")
        self.plan = None
        if quit_app:
            self.app.exit()
        else:
            self.app.pop_screen()
