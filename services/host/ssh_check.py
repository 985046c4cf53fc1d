"""The ``ssh`` health check with the doctor behind it: when SSH fails, AWS is asked why.

The ``ssh`` entry of :data:`services.health.checks.CHECKS`: it runs :func:`services.health.reach.check`
and, only when that is CRITICAL, :func:`services.host.doctor.run_doctor`, whose verdict and
findings go into the check's details (the Health pane's ssh line shows them).
"""

from __future__ import annotations

from services.core.errors import ConsoleError
from services.health import reach
from services.health.check import CheckContext, CheckResult, Status

DOCTOR_SECONDS = 30.0


async def check_ssh(ctx: CheckContext) -> CheckResult:
    """SSH reachability; on failure, the doctor's findings in the details."""
    result = await reach.check(ctx)
    if result.status is not Status.CRITICAL:
        return result
    from services.host.doctor import run_doctor

    try:
        report = await run_doctor(ctx.profile, ssh_error=str(result.details.get("error", result.summary)))
    except ConsoleError as exc:
        return CheckResult(result.name, result.status, result.summary, {**result.details, "doctor": str(exc)},
                           figure=result.figure)  # fmt: skip
    causes = [f.sentence for f in report.findings if f.status is Status.CRITICAL]
    summary = f"{result.summary}; doctor: {causes[0]}" if causes else f"{result.summary}; doctor: {report.verdict}"
    return CheckResult(
        result.name, result.status, summary, {**result.details, "doctor": report.as_json()}, figure=result.figure
    )

