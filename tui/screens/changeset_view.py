"""Turning change-set service results into the plain data the change-set screen's widgets take."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from rich.text import Text

from services.changes.changesets import ChangeSetPlan, UpdateDraft
from services.changes.execute import UpdateProgress
from services.core.safe_text import safe_text
from widgets.changes_form import ParamField
from widgets.changes_table import ChangeRow


def param_fields(draft: UpdateDraft, handoff: Mapping[str, str]) -> list[ParamField]:
    """One form field per declared parameter, snapshot hand-off values proposed as new values."""
    fields = []
    for p in draft.declared:
        impact = draft.impact.get(p.key)
        warning = impact.warning if impact else ""
        current = draft.current(p.key) if draft.stack.parameter(p.key) is not None else (p.default or "")
        fields.append(
            ParamField(
                key=p.key,
                current="" if p.no_echo else current,
                description=p.description,
                warning=warning,
                allowed=p.allowed_values,
                no_echo=p.no_echo,
                prefill=handoff.get(p.key) or None,
            )
        )
    return fields


def change_rows(plan: ChangeSetPlan) -> list[ChangeRow]:
    rows = []
    for c in plan.changes:
        what = c.verb.replace("modifies", "modify").replace("adds", "add").replace("removes", "remove")
        what = what.replace("replaces", "replace")
        rows.append(
            ChangeRow(
                action=c.action,
                logical_id=c.logical_id,
                resource_type=c.type,
                what=what,
                policy=c.policy_action,
                stateful=c.stateful,
                danger=c.replaces or c.destroys_data,
                causes=c.cause_texts,
            )
        )
    return rows


def failures_text(progress: UpdateProgress) -> Text:
    """Failure reasons, repeated at the end of the update."""
    out = Text()
    if progress.failures:
        out.append("Failure reasons\n", style="bold")
        for failure in progress.failures:
            out.append(f"  ✗ {safe_text(failure)}\n")
    return out


def result_text(progress: UpdateProgress, checklist: Sequence[str]) -> Text:
    """The final status, the outputs after success, and the post-update checklist."""
    out = Text()
    out.append(f"{progress.stack_status} after {progress.elapsed:.0f} s\n", style="bold")
    if progress.succeeded:
        out.append("Outputs\n", style="bold")
        for key, value in progress.outputs.items():
            out.append(f"  {key:<20} {safe_text(value)}\n")
    if progress.succeeded:
        out.append("After the update\n", style="bold")
        for item in checklist:
            out.append(f"  ☐ {item}\n")
    elif progress.rolled_back:
        out.append(
            "CloudFormation rolled the stack back to its previous configuration: read the failure "
            "reasons, fix the cause, then plan a new change set.\n"
        )
    return out
