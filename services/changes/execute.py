"""Executing a change set: the snapshot guard, the audited execution, and following it to the end."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from services.changes.changesets import (
    ROLLED_BACK,
    SUCCESS,
    TERMINAL,
    ChangeSetPlan,
    request_id_of,
    require_updatable,
    updatable,
)
from services.changes.classify import ResourceChange
from services.core.audit import AuditedAction, audited
from services.core.aws import AwsClients
from services.core.errors import ConsoleError, ExecutionRefused
from services.stack.model import Stack, StackEvent, load_stack, new_events

MIGRATE_COMMAND = "TTN_LW_CONFIG=/tti/lorawan-stack/config.yml /tti/lorawan-stack/tti-lw-stack is-db migrate"
POST_UPDATE_CHECKLIST = (
    f"Migrate the database (on the instance, as root): {MIGRATE_COMMAND}",
    "Watch the journal for errors after the restart (Journal pane, or `ttes-console logs -f`)",
    "Re-check health: DNS, certificate, HTTPS (Health pane, or `ttes-console check`)",
)


@dataclass(frozen=True)
class GuardCheck:
    """One data-destroying change and the newest snapshot that could protect it."""

    change: ResourceChange
    snapshot: Any  # services.snapshots.listing.Snapshot | None
    fresh: bool

    @property
    def text(self) -> str:
        if self.fresh:
            return f"{self.change.label}: protected by {_snapshot_name(self.snapshot)}"
        if self.snapshot is None:
            return f"{self.change.label}: no snapshot"
        return f"{self.change.label}: newest snapshot {_snapshot_name(self.snapshot)} is older than the change set"


def _snapshot_name(snapshot: Any) -> str:
    for attr in ("id", "name", "arn"):
        value = getattr(snapshot, attr, "")
        if value:
            return str(value)
    return str(snapshot)


@dataclass(frozen=True)
class SnapshotGuard:
    """Whether every stateful resource the change set replaces or removes has a fresh snapshot."""

    checks: tuple[GuardCheck, ...]
    newer_than: datetime | None

    @property
    def blocked(self) -> bool:
        return any(not c.fresh for c in self.checks)

    @property
    def unprotected(self) -> tuple[GuardCheck, ...]:
        return tuple(c for c in self.checks if not c.fresh)

    @property
    def sentence(self) -> str:
        if not self.blocked:
            return "Every database this change set replaces or removes has a snapshot newer than the change set."
        names = "; ".join(c.text for c in self.unprotected)
        return (
            f"Execution blocked: the change set replaces or removes data without a snapshot newer than the "
            f"change set ({names}). Take a snapshot first, or override explicitly (audited)."
        )


async def check_snapshot_guard(clients: AwsClients, plan: ChangeSetPlan, stack: Stack | None = None) -> SnapshotGuard:
    """The safety rule: a snapshot of each replaced/removed database newer than the change set."""
    at_risk = plan.requires_snapshot
    if not at_risk:
        return SnapshotGuard(checks=(), newer_than=plan.created)
    from services.snapshots import listing as snapshots

    stack = stack or await load_stack(clients)
    latest: Mapping[str, Any] = await snapshots.latest_protection(clients, stack)
    checks = []
    for change in at_risk:
        snap = latest.get(change.logical_id)
        fresh = snap is not None and plan.created is not None and snapshots.protects(snap, newer_than=plan.created)
        checks.append(GuardCheck(change=change, snapshot=snap, fresh=fresh))
    return SnapshotGuard(checks=tuple(checks), newer_than=plan.created)


@dataclass
class Execution:
    """A started execution: which change set, the stack events before it, and its open audit record.

    The record stays open until :func:`follow_update` sees the update end: ``ok`` when it
    completed, ``failed`` (detail ``rolled_back: …``) when it rolled back.
    """

    plan: ChangeSetPlan
    seen: set[str]
    started: float = field(default_factory=time.monotonic)
    audit: AuditedAction | None = None


async def execute_change_set(
    clients: AwsClients,
    plan: ChangeSetPlan,
    *,
    read_only: bool,
    confirm: str,
    allow_without_snapshot: bool = False,
    guard: SnapshotGuard | None = None,
) -> Execution:
    """Execute after the confirmation (the stack name) and the snapshot guard, through the audited path."""
    profile = clients.profile
    async with audited(clients, "execute_change_set", f"{profile.stack}/{plan.name}", read_only=read_only) as rec:
        if confirm != profile.stack:
            raise rec.refuse(
                f"Refused to execute {plan.name}: the confirmation {confirm!r} is not the stack name {profile.stack!r}.",
                "confirmation did not match the stack name",
                ExecutionRefused,
            )
        if plan.no_changes or plan.execution_status != "AVAILABLE":
            raise rec.refuse(
                f"Change set {plan.name} cannot be executed: it is {plan.status}/{plan.execution_status}"
                + (f" ({plan.status_reason})" if plan.status_reason else "") + ".",
                f"change set {plan.status}/{plan.execution_status}",
                ExecutionRefused,
            )
        await require_updatable(clients)
        guard = guard or await check_snapshot_guard(clients, plan)
        if guard.blocked:
            unprotected = "; ".join(c.text for c in guard.unprotected)
            if not allow_without_snapshot:
                raise rec.refuse(guard.sentence, "no fresh snapshot: " + unprotected, ExecutionRefused)
            await rec.note("override_snapshot_guard", "executed without a fresh snapshot: " + unprotected)
        seen: set[str] = set()
        await new_events(clients, seen)
        response = await clients.call(
            "cloudformation",
            "execute_change_set",
            ChangeSetName=plan.change_set_id or plan.name,
            StackName=profile.stack,
        )
        rec.request_id = request_id_of(response)
        rec.detail = plan.verdict
        rec.hold()
    return Execution(plan=plan, seen=seen, audit=rec)


@dataclass(frozen=True)
class UpdateProgress:
    """The state of a running update after one poll."""

    events: tuple[StackEvent, ...]  # new since the last poll, oldest first
    stack_status: str
    pending: int
    in_progress: int
    done: int
    failed: int
    elapsed: float
    finished: bool = False
    failures: tuple[str, ...] = ()
    outputs: Mapping[str, str] = field(default_factory=dict)
    status_reason: str = ""

    @property
    def succeeded(self) -> bool:
        return self.finished and self.stack_status == SUCCESS and not self.failures

    @property
    def rolled_back(self) -> bool:
        return self.stack_status in ROLLED_BACK or "ROLLBACK" in self.stack_status

    @property
    def status_line(self) -> str:
        """``UPDATE_IN_PROGRESS · 2 pending · 1 in progress · 3 done · 12 s``."""
        parts = [
            self.stack_status or "…",
            f"{self.pending} pending",
            f"{self.in_progress} in progress",
            f"{self.done} done",
        ]
        if self.failed:
            parts.append(f"{self.failed} failed")
        parts.append(f"{self.elapsed:.0f} s")
        return " · ".join(parts)


async def follow_update(
    clients: AwsClients, execution: Execution, *, interval: float = 1.0, timeout: float | None = None
) -> AsyncIterator[UpdateProgress]:
    """Poll events and the stack status until the update reaches a terminal state; the last yield is final.

    Closes the execution's audit record with what the update ended as; if following stops
    early (an error, a timeout, the caller walking away) the record says so.
    """
    try:
        async for progress in _follow(clients, execution, interval=interval, timeout=timeout):
            if progress.finished and execution.audit is not None:
                if progress.succeeded:
                    await execution.audit.close("ok")
                else:
                    kind = "rolled_back" if progress.rolled_back else execution_failed(progress)
                    await execution.audit.close("failed", f"{kind}: " + ("; ".join(progress.failures)
                                                                        or progress.stack_status))
            yield progress
    finally:
        if execution.audit is not None and not execution.audit.closed:
            await execution.audit.close(
                "failed", "outcome unknown: the console stopped following the update before it ended; "
                "check the stack's events"
            )


def execution_failed(progress: UpdateProgress) -> str:
    """The detail word for an update that ended neither completed nor rolled back."""
    return "execution_failed" if progress.stack_status.endswith("_COMPLETE") else progress.stack_status.lower()


async def _follow(
    clients: AwsClients, execution: Execution, *, interval: float, timeout: float | None
) -> AsyncIterator[UpdateProgress]:
    stack_name = clients.profile.stack
    resources = {c.logical_id for c in execution.plan.changes}
    last: dict[str, str] = {}
    failures: list[str] = []
    terminal_seen = ""
    started = False
    while True:
        events = await new_events(clients, execution.seen)
        for ev in events:
            if ev.resource_type == "AWS::CloudFormation::Stack" and ev.logical_id == stack_name:
                if ev.status in TERMINAL:
                    terminal_seen = ev.status
                if ev.status.startswith("UPDATE_ROLLBACK_IN_PROGRESS") and ev.reason:
                    failures.append(f"{stack_name}: {ev.reason}")
                started = True
                continue
            last[ev.logical_id] = ev.status
            resources.add(ev.logical_id)
            if ev.status.endswith("_FAILED") and ev.reason:
                failures.append(f"{ev.logical_id}: {ev.reason}")
            started = True
        described = (await clients.call("cloudformation", "describe_stacks", StackName=stack_name))["Stacks"][0]
        status = str(described.get("StackStatus", ""))
        finished = status in TERMINAL and terminal_seen == status
        if not started and not finished and updatable(status):
            # The stack never left its settled state: did the execution itself fail?
            refused = await _execution_failure(clients, execution.plan)
            if refused:
                failures.append(refused)
                finished = True
        elapsed = time.monotonic() - execution.started
        yield UpdateProgress(
            events=tuple(events),
            stack_status=status,
            pending=sum(1 for r in resources if r not in last),
            in_progress=sum(1 for s in last.values() if s.endswith("_IN_PROGRESS")),
            done=sum(1 for s in last.values() if s.endswith("_COMPLETE")),
            failed=sum(1 for s in last.values() if s.endswith("_FAILED")),
            elapsed=elapsed,
            finished=finished,
            failures=tuple(dict.fromkeys(failures)),
            outputs={o["OutputKey"]: str(o.get("OutputValue", "")) for o in described.get("Outputs", []) or []},
            status_reason=str(described.get("StackStatusReason", "") or ""),
        )
        if finished:
            return
        if timeout is not None and elapsed > timeout:
            raise ConsoleError(
                f"The update of {stack_name} was still {status} after {timeout:.0f} s; it continues in CloudFormation."
            )
        await asyncio.sleep(interval)


async def _execution_failure(clients: AwsClients, plan: ChangeSetPlan) -> str:
    """The reason an execution failed before touching the stack (e.g. a stack policy), or ""."""
    raw = await clients.call(
        "cloudformation",
        "describe_change_set",
        ChangeSetName=plan.change_set_id or plan.name,
        StackName=clients.profile.stack,
    )
    if raw.get("ExecutionStatus") in ("EXECUTE_FAILED", "OBSOLETE"):
        return (
            f"{plan.name}: execution {raw.get('ExecutionStatus')}: {raw.get('StatusReason', '') or 'no reason given'}"
        )
    return ""
