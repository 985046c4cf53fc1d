"""The ``stack`` health check: the stack's status, judged by the one stack-status classification."""

from __future__ import annotations

from services.health.check import CheckContext, CheckResult, Status
from services.stack.status import StatusKind, classify_status

_VERDICT = {
    StatusKind.OK: Status.OK,
    StatusKind.BUSY: Status.WARN,
    StatusKind.BAD: Status.CRITICAL,
    StatusKind.IDLE: Status.UNKNOWN,
}


async def check_stack(ctx: CheckContext) -> CheckResult:
    """Settled is OK, changing is a WARNING, failed, rolled back or being deleted is CRITICAL."""
    stack = ctx.stack
    if stack is None:
        return CheckResult("stack", Status.UNKNOWN, ctx.stack_error or "The stack has not been loaded.")
    details = {
        "stack": stack.name,
        "region": stack.region,
        "status": stack.status,
        "status_reason": stack.status_reason,
        "last_updated": stack.last_updated.isoformat() if stack.last_updated else None,
        "Domain": stack.domain,
        "PublicIP": stack.public_ip,
    }
    state = stack.status
    reason = f": {stack.status_reason}" if stack.status_reason else ""
    status = _VERDICT[classify_status(state)]
    if status is Status.CRITICAL:
        summary = f"Stack {stack.name} is {state}{reason}"
    elif status is Status.WARN:
        summary = f"Stack {stack.name} is changing ({state})"
    elif status is Status.OK:
        summary = f"Stack {stack.name} is {state}"
    else:
        summary = f"Stack {stack.name} is in an unexpected state {state or '(none)'}"
    # The figure drops the operation (CREATE_/UPDATE_): the summary names the full state.
    figure = state.split("_", 1)[1] if "_" in state else state
    return CheckResult("stack", status, summary, details, figure=figure)
