"""The ``service`` health check: the systemd unit's state, read over SSH."""

from __future__ import annotations

from services.core.errors import ConsoleError, HostKeyMismatch
from services.health.check import CheckContext, CheckResult, Status
from services.health.unit import UnitStatus, unit_status

__all__ = ["check_service", "verdict"]


def verdict(status: UnitStatus) -> tuple[Status, str]:
    """active → OK; activating/reloading → WARNING; anything else (failed, inactive) → CRITICAL."""
    if status.active:
        return Status.OK, f"{status.unit} is {status.summary()}"
    if status.active_state in ("activating", "reloading", "deactivating"):
        return Status.WARN, f"{status.unit} is {status.summary()}"
    return Status.CRITICAL, f"{status.unit} is {status.summary()}; `ttes-console logs -n 50` shows why"


async def check_service(ctx: CheckContext) -> CheckResult:
    """Log in over SSH and ask systemd how the stack's unit is doing."""
    host = ctx.profile.ssh.host or (ctx.stack.public_ip if ctx.stack else "")
    if not host:
        return CheckResult(
            "service", Status.UNKNOWN, ctx.stack_error or "No host to ask: the stack has no PublicIP", {}
        )
    try:
        status = await unit_status(ctx.profile, host)
    except HostKeyMismatch as exc:  # possibly someone in the middle: as alarming as a dead service
        return CheckResult("service", Status.CRITICAL, str(exc).rstrip("."), {"host": host}, figure="host key")
    except ConsoleError as exc:
        return CheckResult("service", Status.UNKNOWN, str(exc).rstrip("."), {"host": host}, figure="?")
    level, summary = verdict(status)
    details = {
        "host": host,
        "unit": status.unit,
        "active_state": status.active_state,
        "sub_state": status.sub_state,
        "result": status.result,
        "main_pid": status.main_pid,
        "exit_status": status.exit_status,
        "restarts": status.restarts,
        "since": status.since.isoformat() if status.since else status.since_text,
    }
    return CheckResult("service", level, summary, details, figure=status.active_state)

