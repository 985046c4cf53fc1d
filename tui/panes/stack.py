"""The Stack pane: what the stack deployed and what state it is in."""

from __future__ import annotations

from textual.app import ComposeResult

from services.stack.model import Stack
from tui.panes import Pane
from widgets.stack_summary import ResourceRow, StackSummary, StackSummaryData

# Parameters an on-call engineer looks at first; matched loosely because the template's
# logical names are not all public.
KEY_PARAMETER_HINTS = ("domain", "instancetype", "databasename", "postgres", "telemetry", "multiaz", "retention")


def summary_data(stack: Stack) -> StackSummaryData:
    """The plain data the summary widget renders."""
    parameters = [
        (p.key, p.value, p.requires_migration)
        for p in stack.parameters
        if not p.no_echo and (p.requires_migration or any(h in p.key.lower() for h in KEY_PARAMETER_HINTS))
    ]
    return StackSummaryData(
        name=stack.name,
        region=stack.region,
        status=stack.status,
        status_reason=stack.status_reason,
        last_updated=f"{stack.last_updated:%Y-%m-%d %H:%M:%S UTC}" if stack.last_updated else "—",
        outputs=list(stack.outputs.items()),
        parameters=parameters,
        resources=[ResourceRow(r.logical_id, r.type, r.status, r.physical_id, r.stateful) for r in stack.resources],
    )


class StackPane(Pane):
    """Status, outputs, key parameters and resources of the profile's stack."""

    def compose(self) -> ComposeResult:
        yield StackSummary(id="stack-summary")

    def stack_loaded(self, stack: Stack) -> None:
        super().stack_loaded(stack)
        self.query_one(StackSummary).show(summary_data(stack))

    def show_error(self, message: str) -> None:
        """The stack could not be loaded: say why, in the pane."""
        self.query_one(StackSummary).show_message(message, error=True)
