"""Change sets: prepare an update, create and classify its change set, guard the databases, execute, follow.

Every call that changes the world takes ``read_only``, is refused under ``--read-only`` and is
appended to the audit log. Classification lives in :mod:`services.changes.classify`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from services.changes.classify import (
    ParameterImpact,
    ResourceChange,
    TemplateParameter,
    classify_changes,
    parameter_impact,
    parse_template,
    template_parameters,
    verdict,
)
from services.core.audit import audited
from services.core.aws import AwsClients
from services.core.errors import (
    AwsError,
    ChangeSetFailed,
    InvalidParameter,
    StackNotReady,
)
from services.stack.model import Stack, load_stack

NO_CHANGES_MARKERS = ("didn't contain changes", "No updates are to be performed")
CREATING = ("CREATE_PENDING", "CREATE_IN_PROGRESS")
SUCCESS = "UPDATE_COMPLETE"
ROLLED_BACK = frozenset({"UPDATE_ROLLBACK_COMPLETE", "UPDATE_ROLLBACK_FAILED", "UPDATE_FAILED"})
TERMINAL = ROLLED_BACK | {SUCCESS}
CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"]


def updatable(status: str) -> bool:
    """A stack may start an update only from a settled, successful ``*_COMPLETE`` state."""
    return status.endswith("_COMPLETE") and status not in ("DELETE_COMPLETE", "ROLLBACK_COMPLETE")


def change_set_name(now: datetime | None = None) -> str:
    """``ttes-console-20261126-104500``: sortable and traceable to this tool."""
    return "ttes-console-" + (now or datetime.now(UTC)).strftime("%Y%m%d-%H%M%S")


@dataclass(frozen=True)
class UpdateDraft:
    """An update before its change set exists: values, what changed, and what each parameter feeds."""

    stack: Stack
    declared: tuple[TemplateParameter, ...]
    values: Mapping[str, str]  # the requested new values only
    changed: tuple[str, ...]
    impact: Mapping[str, ParameterImpact]
    api_parameters: tuple[Mapping[str, Any], ...]
    template_body: str | None = None
    template_url: str | None = None

    def current(self, key: str) -> str:
        p = self.stack.parameter(key)
        return "" if p is None else p.value

    @property
    def migration_warnings(self) -> tuple[str, ...]:
        """Changed parameters whose description says the database needs a manual migration."""
        return tuple(
            f"{key}: the template says a change requires manual migration of the database; snapshot first"
            for key in self.changed
            if key in self.impact and self.impact[key].requires_migration
        )


@dataclass(frozen=True)
class ChangeSetPlan:
    """A created change set, classified."""

    name: str
    change_set_id: str
    stack: str
    status: str
    execution_status: str
    status_reason: str
    created: datetime | None
    changes: tuple[ResourceChange, ...] = ()
    parameters: Mapping[str, str] = field(default_factory=dict)

    @property
    def no_changes(self) -> bool:
        return self.status == "FAILED" and any(m in self.status_reason for m in NO_CHANGES_MARKERS)

    @property
    def requires_snapshot(self) -> tuple[ResourceChange, ...]:
        return tuple(c for c in self.changes if c.destroys_data)

    @property
    def warnings(self) -> tuple[str, ...]:
        return tuple(w for c in self.changes for w in c.warnings)

    @property
    def verdict(self) -> str:
        return verdict(self.changes)

    def as_json(self) -> dict[str, Any]:
        """The ``plan --json`` document."""
        return {
            "change_set": self.name,
            "stack": self.stack,
            "status": "no changes" if self.no_changes else self.status,
            "changes": [
                {
                    "action": c.action,
                    "logical_id": c.logical_id,
                    "type": c.type,
                    "replacement": c.replacement,
                    "policy_action": c.policy_action,
                    "stateful": c.stateful,
                    "causes": list(c.cause_texts),
                }
                for c in self.changes
            ],
            "requires_snapshot": [c.logical_id for c in self.requires_snapshot],
            "warnings": list(self.warnings),
            "verdict": self.verdict,
        }


# --- preparing -------------------------------------------------------------------------


async def prepare_update(
    clients: AwsClients,
    values: Mapping[str, str],
    *,
    template_body: str | None = None,
    template_url: str | None = None,
    stack: Stack | None = None,
) -> UpdateDraft:
    """Validate new parameter values against the (current or replacement) template; nothing is created."""
    stack = stack or await load_stack(clients)
    if template_body is not None:
        summary = await clients.call("cloudformation", "get_template_summary", TemplateBody=template_body)
        template: Mapping[str, Any] = parse_template(template_body)
    elif template_url is not None:
        summary = await clients.call("cloudformation", "get_template_summary", TemplateURL=template_url)
        template = {}  # the body behind a URL is CloudFormation's to fetch; impact stays unknown
    else:
        summary, current = await asyncio.gather(
            clients.call("cloudformation", "get_template_summary", StackName=stack.name),
            clients.call("cloudformation", "get_template", StackName=stack.name, TemplateStage="Original"),
        )
        template = parse_template(current.get("TemplateBody", ""))
    declared = template_parameters(summary)
    api, changed = validate_parameters(declared, stack, values)
    return UpdateDraft(
        stack=stack,
        declared=declared,
        values=dict(values),
        changed=changed,
        impact=parameter_impact(template, declared),
        api_parameters=tuple(api),
        template_body=template_body,
        template_url=template_url,
    )


def validate_parameters(
    declared: Sequence[TemplateParameter], stack: Stack, values: Mapping[str, str]
) -> tuple[list[dict[str, Any]], tuple[str, ...]]:
    """The ``Parameters`` argument of create_change_set and the keys whose value changes.

    Unchanged parameters, no-echo ones included, are sent as ``UsePreviousValue`` so secrets are
    never read back or re-sent.
    """
    known = {p.key: p for p in declared}
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise InvalidParameter(
            f"The template has no parameter {', '.join(unknown)}; its parameters are {', '.join(sorted(known))}."
        )
    api: list[dict[str, Any]] = []
    changed: list[str] = []
    for p in declared:
        current = stack.parameter(p.key)
        if p.key in values:
            value = values[p.key]
            if p.allowed_values and value not in p.allowed_values:
                raise InvalidParameter(
                    f"{value!r} is not an allowed value of {p.key}; choose one of {', '.join(p.allowed_values)}."
                )
            api.append({"ParameterKey": p.key, "ParameterValue": value})
            if current is None or current.no_echo or current.value != value:
                changed.append(p.key)
        elif current is not None:
            api.append({"ParameterKey": p.key, "UsePreviousValue": True})
        elif p.default is None:
            raise InvalidParameter(f"The new template's parameter {p.key} has no default; give it with --param.")
    return api, tuple(changed)


# --- creating, reading, deleting -------------------------------------------------------


def request_id_of(response: Mapping[str, Any]) -> str:
    """The AWS request id of a response (for the audit log)."""
    return str(response.get("ResponseMetadata", {}).get("RequestId", ""))


async def require_updatable(clients: AwsClients) -> str:
    """The stack's status, or :class:`StackNotReady` when no update may start."""
    described = await clients.call("cloudformation", "describe_stacks", StackName=clients.profile.stack)
    status = str(described["Stacks"][0].get("StackStatus", ""))
    if not updatable(status):
        raise StackNotReady(
            f"Stack {clients.profile.stack} is {status}; an update can start only from a *_COMPLETE state. "
            "Wait for the running operation to finish (or fix the failed one) and retry."
        )
    return status


async def create_change_set(
    clients: AwsClients,
    draft: UpdateDraft,
    *,
    read_only: bool,
    name: str | None = None,
    interval: float = 0.5,
    timeout: float = 600.0,
) -> ChangeSetPlan:
    """Create an UPDATE change set for the draft and wait until CloudFormation has computed it."""
    profile = clients.profile
    name = name or change_set_name()
    target = f"{profile.stack}/{name}"
    kwargs: dict[str, Any] = {
        "StackName": profile.stack,
        "ChangeSetName": name,
        "ChangeSetType": "UPDATE",
        "Parameters": [dict(p) for p in draft.api_parameters],
        "Capabilities": CAPABILITIES,
        "Description": "ttes-console: " + (", ".join(draft.changed) or "no parameter changes"),
    }
    if draft.template_body is not None:
        kwargs["TemplateBody"] = draft.template_body
    elif draft.template_url is not None:
        kwargs["TemplateURL"] = draft.template_url
    else:
        kwargs["UsePreviousTemplate"] = True
    async with audited(clients, "create_change_set", target, read_only=read_only) as rec:
        await require_updatable(clients)
        response = await clients.call("cloudformation", "create_change_set", **kwargs)
        rec.request_id = request_id_of(response)
        rec.detail = "changed: " + (", ".join(draft.changed) or "none")
    plan = await wait_for_change_set(clients, str(response.get("Id", name)), interval=interval, timeout=timeout)
    if plan.status == "FAILED" and not plan.no_changes:
        raise ChangeSetFailed(f"CloudFormation could not create change set {name}: {plan.status_reason}")
    return plan


async def wait_for_change_set(
    clients: AwsClients, name: str, *, interval: float = 0.5, timeout: float = 600.0
) -> ChangeSetPlan:
    """Poll until the change set leaves CREATE_PENDING / CREATE_IN_PROGRESS."""
    deadline = time.monotonic() + timeout
    while True:
        plan = await describe_change_set(clients, name)
        if plan.status not in CREATING:
            return plan
        if time.monotonic() > deadline:
            raise ChangeSetFailed(f"Change set {plan.name} was still {plan.status} after {timeout:.0f} s.")
        await asyncio.sleep(interval)


async def describe_change_set(clients: AwsClients, name: str) -> ChangeSetPlan:
    """Every page of the change set, classified."""
    kwargs: dict[str, Any] = {"ChangeSetName": name, "StackName": clients.profile.stack}
    raw_changes: list[Mapping[str, Any]] = []
    while True:
        try:
            page = await clients.call("cloudformation", "describe_change_set", **kwargs)
        except AwsError as exc:
            if exc.code != "ChangeSetNotFound":
                raise
            raise AwsError(
                f"Change set {name} does not exist on stack {clients.profile.stack} (ChangeSetNotFound); "
                "`ttes-console plan --keep` creates one and prints its name.",
                code=exc.code, request_id=exc.request_id,
            ) from exc
        raw_changes.extend(page.get("Changes", []) or [])
        token = page.get("NextToken")
        if not token:
            break
        kwargs["NextToken"] = token
    return plan_from_pages(page, raw_changes)


def plan_from_pages(last_page: Mapping[str, Any], raw_changes: Sequence[Mapping[str, Any]]) -> ChangeSetPlan:
    """A plan from describe_change_set's header (any page) and the changes of every page."""
    return ChangeSetPlan(
        name=str(last_page.get("ChangeSetName", "")),
        change_set_id=str(last_page.get("ChangeSetId", "")),
        stack=str(last_page.get("StackName", "")),
        status=str(last_page.get("Status", "")),
        execution_status=str(last_page.get("ExecutionStatus", "")),
        status_reason=str(last_page.get("StatusReason", "") or ""),
        created=last_page.get("CreationTime"),
        changes=classify_changes(raw_changes),
        parameters={
            str(p["ParameterKey"]): str(p.get("ParameterValue", "")) for p in last_page.get("Parameters", []) or []
        },
    )


async def delete_change_set(clients: AwsClients, name: str, *, read_only: bool) -> None:
    """Delete a change set (audited)."""
    profile = clients.profile
    async with audited(clients, "delete_change_set", f"{profile.stack}/{name}", read_only=read_only) as rec:
        response = await clients.call(
            "cloudformation", "delete_change_set", ChangeSetName=name, StackName=profile.stack
        )
        rec.request_id = request_id_of(response)
