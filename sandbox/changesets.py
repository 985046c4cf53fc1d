"""Change-set fidelity around moto's CloudFormation (moto pinned to 5.2.5).

moto computes change sets instantly, without ``Replacement``/``PolicyAction``/``Details``,
refuses an unchanged update instead of ending the change set FAILED, and executes in one step.
This module patches its CloudFormation backend, inside the sandbox process only, so that:

- ``Changes`` carry ``Replacement``, ``PolicyAction``, ``Scope`` and ``Details``, computed from
  what changed and the CloudFormation resource schemas' ``createOnlyProperties`` /
  ``conditionalCreateOnlyProperties`` (as shipped by cfn-lint);
- change sets go CREATE_PENDING → CREATE_IN_PROGRESS → CREATE_COMPLETE over ~1 s, and a change
  set without changes ends FAILED with AWS's reason;
- execution emits per-resource events over :data:`EXECUTE_SECONDS` (replacements create the new
  resource, then delete the old one during cleanup) and updates the stack's outputs;
- with scenario ``update-fails`` one resource fails and the stack rolls back to
  ``UPDATE_ROLLBACK_COMPLETE``.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable
from typing import Any

from sandbox.changes_diff import NO_CHANGES_REASON, compute_changes
from sandbox.context import SandboxContext
from sandbox.stack_state import apply_change_set, parameter_text, response_list_stack_resources

PENDING_SECONDS = 0.3  # CREATE_PENDING lasts this long, CREATE_IN_PROGRESS until CREATE_SECONDS
CREATE_SECONDS = 1.0
EXECUTE_SECONDS = 4.0  # an execution's events are spread over this long
# describe_change_set pages: small on purpose, so every client's NextToken handling is exercised.
CHANGES_PER_PAGE = 2

_state = {"fail_updates": False}
_installed = False
# moto serves requests on several threads while an execution advances on its own: CloudFormation
# requests and execution steps take turns, so no request sees a resource map half updated.
_lock = threading.RLock()

FAILURE_REASONS = {
    "AWS::RDS::DBInstance": (
        "Resource handler returned message: \"Cannot modify the DB instance: the instance class db.t4g.small "
        "does not support the requested storage configuration. (Service: Rds, Status Code: 400)\" "
        "(HandlerErrorCode: InvalidRequest)"
    ),
    "AWS::EC2::Instance": (
        "Resource handler returned message: \"We currently do not have sufficient capacity in the Availability "
        "Zone you requested. (Service: Ec2, Status Code: 500)\" (HandlerErrorCode: ServiceInternalError)"
    ),
}
GENERIC_FAILURE = (
    "Resource handler returned message: \"Rate exceeded (Service: CloudFormation, Status Code: 400)\" "
    "(HandlerErrorCode: Throttling)"
)


def install_change_set_fidelity(ctx: SandboxContext) -> None:
    """Patch moto's CloudFormation backend (once per process); scenarios are read from ``ctx``."""
    global _installed
    _state["fail_updates"] = ctx.scenario("update-fails")
    if _installed:
        return
    from moto.cloudformation import models, responses
    from moto.cloudformation.exceptions import CloudFormationError

    class ChangeSetNotFound(CloudFormationError):
        code = "ChangeSetNotFoundException"  # the model's shape; its wire code is ChangeSetNotFound

    backend_cls = models.CloudFormationBackend
    original_create = backend_cls.create_change_set
    original_list = backend_cls.list_change_sets

    def create_change_set(self: Any, *args: Any, **kwargs: Any) -> tuple[str, str]:
        change_set_id, stack_id = original_create(self, *args, **kwargs)
        _recompute(self.change_sets[change_set_id])
        return change_set_id, stack_id

    def find_change_set(self: Any, change_set_name: str) -> Any:
        # moto answers an unknown change set with "Stack with id … does not exist" (ValidationError);
        # CloudFormation answers ChangeSetNotFound, and the console must show that sentence.
        for key, cs in self.change_sets.items():
            if change_set_name in (key, cs.change_set_name):
                return cs
        raise ChangeSetNotFound(f"ChangeSet [{change_set_name}] does not exist")

    original_delete = backend_cls.delete_change_set

    def describe_change_set(self: Any, change_set_name: str) -> Any:
        cs = find_change_set(self, change_set_name)
        _advance(cs)
        return cs

    def delete_change_set(self: Any, change_set_name: str) -> None:
        find_change_set(self, change_set_name)
        original_delete(self, change_set_name)

    def list_change_sets(self: Any) -> Any:
        sets = list(original_list(self))
        for cs in sets:
            _advance(cs)
        return sets

    def execute_change_set(self: Any, change_set_name: str, stack_name: str | None = None) -> None:
        cs: Any = find_change_set(self, change_set_name)
        _advance(cs)
        from moto.cloudformation.exceptions import ValidationError

        if cs.execution_status != "AVAILABLE":
            raise ValidationError(
                cs.change_set_name,
                message=f"ChangeSet [{cs.change_set_id}] cannot be executed in its current status of [{cs.status}]",
            )
        stack = self.stacks[cs.stack_id]
        if not stack.status.endswith("_COMPLETE"):
            raise ValidationError(
                stack.name, message=f"Stack:{stack.stack_id} is in {stack.status} state and can not be updated."
            )
        _start_execution(stack, cs)

    original_validate = responses.CloudFormationResponse._validate_different_update
    original_response_create = responses.CloudFormationResponse.create_change_set

    def validate_different_update(self: Any, *args: Any, **kwargs: Any) -> None:
        # AWS accepts an unchanged change set and ends it FAILED; only UpdateStack refuses.
        if getattr(self, "_sandbox_creating_change_set", False):
            return
        original_validate(self, *args, **kwargs)

    original_dispatch = responses.CloudFormationResponse._dispatch

    def locked_dispatch(self: Any, *args: Any, **kwargs: Any) -> Any:
        with _lock:
            return original_dispatch(self, *args, **kwargs)

    def response_describe_change_set(self: Any) -> Any:
        from moto.core.responses import ActionResult

        cs = self.cloudformation_backend.describe_change_set(change_set_name=self._get_param("ChangeSetName"))
        start = int(self._get_param("NextToken") or 0)
        end = start + CHANGES_PER_PAGE
        token = str(end) if end < len(cs.changes) else None
        return ActionResult(ChangeSetPage(cs, cs.changes[start:end], token))

    def response_create_change_set(self: Any) -> Any:
        self._sandbox_creating_change_set = True
        try:
            return original_response_create(self)
        finally:
            self._sandbox_creating_change_set = False

    patches: dict[Any, dict[str, Callable[..., Any]]] = {
        backend_cls: {
            "create_change_set": create_change_set,
            "describe_change_set": describe_change_set,
            "delete_change_set": delete_change_set,
            "list_change_sets": list_change_sets,
            "execute_change_set": execute_change_set,
        },
        responses.CloudFormationResponse: {
            "_validate_different_update": validate_different_update,
            "create_change_set": response_create_change_set,
            "_dispatch": locked_dispatch,
            "describe_change_set": response_describe_change_set,
            "list_stack_resources": response_list_stack_resources,
        },
    }
    for cls, methods in patches.items():
        for name, method in methods.items():
            setattr(cls, name, method)
    _installed = True


class ChangeSetPage:
    """One page of a change set for moto's serializer: its changes slice and the next token."""

    def __init__(self, change_set: Any, changes: list[Any], next_token: str | None) -> None:
        self._change_set = change_set
        self.changes = changes
        self.next_token = next_token

    def __getattr__(self, name: str) -> Any:
        return getattr(self._change_set, name)


class SandboxChange:
    """A ``ResourceChange`` as moto's serializer reads it (snake_case attributes)."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.action = values["Action"]
        self.logical_resource_id = values["LogicalResourceId"]
        self.physical_resource_id = values.get("PhysicalResourceId")
        self.resource_type = values["ResourceType"]
        self.replacement = values.get("Replacement")
        self.policy_action = values.get("PolicyAction")
        self.scope = values.get("Scope", [])
        self.details = values.get("Details", [])


def _recompute(cs: Any) -> None:
    """Replace moto's bare diff with a classified one; start the status clock."""
    stack = cs.stack
    real = dict(stack.resource_map.resolved_parameters)
    real.update(cs.parameters)
    changes = compute_changes(stack, cs.template_dict, real)
    cs.changes = [SandboxChange(c) for c in changes]
    cs.sandbox_changes = changes
    cs.sandbox_parameters = real
    no_echo = {k for k, v in (cs.template_dict.get("Parameters") or {}).items() if v.get("NoEcho")}
    cs.parameters = {k: ("****" if k in no_echo else parameter_text(v)) for k, v in real.items()}
    if changes:
        cs.sandbox_final = ("CREATE_COMPLETE", "AVAILABLE", None)
    else:
        cs.sandbox_final = ("FAILED", "UNAVAILABLE", NO_CHANGES_REASON)
    cs.sandbox_started = time.monotonic()
    cs.status, cs.execution_status, cs.status_reason = "CREATE_PENDING", "UNAVAILABLE", None


def _advance(cs: Any) -> None:
    started = getattr(cs, "sandbox_started", None)
    if started is None or cs.status not in ("CREATE_PENDING", "CREATE_IN_PROGRESS"):
        return
    age = time.monotonic() - started
    if age >= CREATE_SECONDS:
        cs.status, cs.execution_status, cs.status_reason = cs.sandbox_final
    elif age >= PENDING_SECONDS:
        cs.status = "CREATE_IN_PROGRESS"


# --- execution ------------------------------------------------------------------------


def _event(stack: Any, logical_id: str, rtype: str, physical: str, status: str, reason: str | None = None) -> None:
    from moto.cloudformation.models import Event

    if rtype == "AWS::CloudFormation::Stack":
        physical = stack.stack_id
    stack.events.append(
        Event(
            stack_id=stack.stack_id,
            stack_name=stack.name,
            logical_resource_id=logical_id,
            physical_resource_id=physical,
            resource_type=rtype,
            resource_status=status,
            resource_status_reason=reason,
            resource_properties=None,
        )
    )


def _start_execution(stack: Any, cs: Any) -> None:
    stack.status = "UPDATE_IN_PROGRESS"
    stack.status_reason = "User Initiated"
    cs.execution_status = "EXECUTE_IN_PROGRESS"
    _event(stack, stack.name, "AWS::CloudFormation::Stack", "", "UPDATE_IN_PROGRESS", "User Initiated")
    steps = _failing_steps(stack, cs) if _state["fail_updates"] else _success_steps(stack, cs)
    thread = threading.Thread(target=_run_steps, args=(steps,), name="sandbox-changeset", daemon=True)
    thread.start()


def _run_steps(steps: list[Callable[[], None]]) -> None:
    pause = EXECUTE_SECONDS / max(len(steps), 1)
    for step in steps:
        time.sleep(pause)
        with _lock:
            step()


def _step(stack: Any, lid: str, rtype: str, phys: str, status: str, reason: str | None = None) -> Callable[[], None]:
    return functools.partial(_event, stack, lid, rtype, phys, status, reason)


def _stack_event(stack: Any, status: str, reason: str | None = None) -> Callable[[], None]:
    def step() -> None:
        stack.status = status
        stack.status_reason = reason
        _event(stack, stack.name, "AWS::CloudFormation::Stack", "", status, reason)

    return step


def _resource_steps(stack: Any, change: dict[str, Any]) -> list[Callable[[], None]]:
    lid, rtype = change["LogicalResourceId"], change["ResourceType"]
    physical = change.get("PhysicalResourceId") or ""

    def ev(status: str, reason: str | None = None, phys: str = physical) -> Callable[[], None]:
        return _step(stack, lid, rtype, phys, status, reason)

    if change["Action"] == "Add":
        return [ev("CREATE_IN_PROGRESS"), ev("CREATE_IN_PROGRESS", "Resource creation Initiated"),
                ev("CREATE_COMPLETE")]
    if change["Action"] == "Remove":
        return []  # removed during cleanup
    if change.get("Replacement") in ("True", "Conditional"):
        return [
            ev("UPDATE_IN_PROGRESS", "Requested update requires the creation of a new physical resource; "
               "hence creating one."),
            ev("UPDATE_IN_PROGRESS", "Resource creation Initiated", _replacement_id(physical)),
            ev("UPDATE_COMPLETE", None, _replacement_id(physical)),
        ]
    return [ev("UPDATE_IN_PROGRESS"), ev("UPDATE_COMPLETE")]


def _replacement_id(physical: str) -> str:
    return f"{physical}-r" if physical else ""


def _cleanup_steps(stack: Any, changes: list[dict[str, Any]]) -> list[Callable[[], None]]:
    steps: list[Callable[[], None]] = []
    for c in changes:
        if c["Action"] == "Remove" or c.get("Replacement") in ("True", "Conditional"):
            lid, rtype, phys = c["LogicalResourceId"], c["ResourceType"], c.get("PhysicalResourceId") or ""
            steps.append(_step(stack, lid, rtype, phys, "DELETE_IN_PROGRESS"))
            steps.append(_step(stack, lid, rtype, phys, "DELETE_COMPLETE"))
    return steps


def _success_steps(stack: Any, cs: Any) -> list[Callable[[], None]]:
    changes: list[dict[str, Any]] = cs.sandbox_changes
    steps: list[Callable[[], None]] = []
    for c in changes:
        steps += _resource_steps(stack, c)

    def apply() -> None:
        apply_change_set(stack, cs)
        stack.status = "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS"
        _event(stack, stack.name, "AWS::CloudFormation::Stack", "", "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS")

    steps.append(apply)
    steps += _cleanup_steps(stack, changes)

    def done() -> None:
        _stack_event(stack, "UPDATE_COMPLETE")()
        cs.execution_status = "EXECUTE_COMPLETE"

    steps.append(done)
    return steps


def _failing_steps(stack: Any, cs: Any) -> list[Callable[[], None]]:
    changes: list[dict[str, Any]] = [c for c in cs.sandbox_changes if c["Action"] != "Remove"]
    if not changes:
        return _success_steps(stack, cs)
    failing = next((c for c in changes if c["ResourceType"] in FAILURE_REASONS), changes[-1])
    before = changes[: changes.index(failing)]
    steps: list[Callable[[], None]] = []
    for c in before:
        steps += _resource_steps(stack, c)
    lid, rtype, phys = failing["LogicalResourceId"], failing["ResourceType"], failing.get("PhysicalResourceId") or ""
    reason = FAILURE_REASONS.get(rtype, GENERIC_FAILURE)
    replaced = failing.get("Replacement") in ("True", "Conditional")
    steps += _resource_steps(stack, failing)[:-1] if replaced else [_step(stack, lid, rtype, phys, "UPDATE_IN_PROGRESS")]
    failed_phys = _replacement_id(phys) if replaced else phys
    steps.append(_step(stack, lid, rtype, failed_phys, "UPDATE_FAILED", reason))
    steps.append(_stack_event(stack, "UPDATE_ROLLBACK_IN_PROGRESS",
                              f"The following resource(s) failed to update: [{lid}]. "))
    for c in [*before, failing]:
        c_lid, c_type, c_phys = c["LogicalResourceId"], c["ResourceType"], c.get("PhysicalResourceId") or ""
        steps.append(_step(stack, c_lid, c_type, c_phys, "UPDATE_IN_PROGRESS"))
        steps.append(_step(stack, c_lid, c_type, c_phys, "UPDATE_COMPLETE"))
    steps.append(_stack_event(stack, "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS"))
    for c in [*before, failing]:
        if c.get("Replacement") in ("True", "Conditional") or c["Action"] == "Add":
            c_lid, c_type = c["LogicalResourceId"], c["ResourceType"]
            new_phys = _replacement_id(c.get("PhysicalResourceId") or "")
            steps.append(_step(stack, c_lid, c_type, new_phys, "DELETE_IN_PROGRESS"))
            steps.append(_step(stack, c_lid, c_type, new_phys, "DELETE_COMPLETE"))

    def done() -> None:
        _stack_event(stack, "UPDATE_ROLLBACK_COMPLETE", f"The following resource(s) failed to update: [{lid}]. ")()
        cs.execution_status = "EXECUTE_FAILED"

    steps.append(done)
    return steps
