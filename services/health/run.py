"""Running health checks: load the stack once, run every check concurrently, each under its timeout.

The types live in :mod:`services.health.check` and the list of checks in
:mod:`services.health.checks`; they are re-exported here for the callers that run checks.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence

from services.core.aws import AwsClients
from services.core.concurrent import as_they_finish
from services.core.config import Profile
from services.core.errors import ConsoleError
from services.health.check import Check, CheckContext, CheckFn, CheckResult, Status, report_json, worst
from services.stack.model import Stack

__all__ = [
    "Check",
    "CheckContext",
    "CheckFn",
    "CheckResult",
    "Status",
    "all_checks",
    "iter_checks",
    "load_context",
    "report_json",
    "run_checks",
    "run_one",
    "worst",
]

STACK_LOAD_TIMEOUT = 20.0


def all_checks() -> tuple[Check, ...]:
    """Every check, in display order (the check modules load on first use, after the first frame)."""
    from services.health.checks import CHECKS

    return CHECKS


# --- running ------------------------------------------------------------------------------


async def load_context(profile: Profile, timeout: float = STACK_LOAD_TIMEOUT) -> CheckContext:
    """Load the stack for the checks; a failure becomes the context's ``stack_error``."""
    from services.stack.model import load_stack

    try:
        stack = await asyncio.wait_for(load_stack(AwsClients(profile)), timeout)
    except TimeoutError:
        return CheckContext(profile, None, f"AWS did not describe stack {profile.stack} within {timeout:.0f} s")
    except ConsoleError as exc:
        return CheckContext(profile, None, str(exc))
    return CheckContext(profile, stack)


async def run_one(check: Check, ctx: CheckContext) -> CheckResult:
    """Run one check under its timeout; whatever goes wrong becomes a result, never an exception."""
    limit = check.timeout_for(ctx.profile)
    try:
        result = await asyncio.wait_for(check.run(ctx), limit)
    except TimeoutError:
        return CheckResult(check.name, Status.UNKNOWN, f"The {check.name} check did not finish within {limit:g} s.")
    except ConsoleError as exc:
        return CheckResult(check.name, Status.UNKNOWN, str(exc))
    except Exception as exc:
        return CheckResult(
            check.name, Status.UNKNOWN, f"The {check.name} check failed unexpectedly: {type(exc).__name__}: {exc}"
        )
    return result


async def iter_checks(
    profile: Profile, *, stack: Stack | None = None, checks: Sequence[Check] | None = None
) -> AsyncIterator[CheckResult]:
    """Run every check concurrently and yield each result as soon as it is known."""
    ctx = CheckContext(profile, stack) if stack is not None else await load_context(profile)
    todo = list(checks) if checks is not None else list(all_checks())
    async with contextlib.aclosing(as_they_finish(run_one(c, ctx) for c in todo)) as results:
        async for result in results:
            yield result


async def run_checks(
    profile: Profile, *, stack: Stack | None = None, checks: Sequence[Check] | None = None
) -> list[CheckResult]:
    """Every check once, in registry order (the stack is loaded first unless given)."""
    todo = list(checks) if checks is not None else list(all_checks())
    order = {c.name: i for i, c in enumerate(todo)}
    results = [r async for r in iter_checks(profile, stack=stack, checks=todo)]
    return sorted(results, key=lambda r: order.get(r.name, len(order)))

