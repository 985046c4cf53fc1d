"""The ``iot`` health check and the stack's "AWS IoT Telemetry" parameter."""

from __future__ import annotations

import asyncio
import contextlib
import time

from services.core.aws import AwsClients
from services.core.errors import AwsError, ConsoleError
from services.health.check import CheckContext, CheckResult, Status
from services.stack.model import Stack, StackParameter
from services.uplinks.feed import UplinkFeed

TELEMETRY_PARAMETER = "AWSIoTTelemetry"
LISTEN_SECONDS = 5.0
METRIC_MINUTES = 15
__all__ = ["check_iot", "telemetry_enabled", "telemetry_off_sentence", "telemetry_parameter"]


def telemetry_parameter(stack: Stack) -> StackParameter | None:
    """The template's AWS IoT Telemetry parameter (logical names vary between template versions)."""
    for p in stack.parameters:
        key = p.key.lower()
        if (
            p.key == TELEMETRY_PARAMETER
            or ("iot" in key and "telemetry" in key)
            or "aws iot telemetry" in p.description.lower()
        ):
            return p
    return None


def telemetry_enabled(stack: Stack) -> bool | None:
    """Whether the stack publishes uplinks to AWS IoT Core; ``None`` when the template has no such parameter."""
    p = telemetry_parameter(stack)
    return None if p is None else p.value.strip().lower() in ("true", "yes", "enabled", "1")


def telemetry_off_sentence(stack: Stack) -> str:
    """What to tell the operator instead of waiting on a feed that will stay empty."""
    key = (telemetry_parameter(stack) or StackParameter(TELEMETRY_PARAMETER, "false")).key
    return (
        f"AWS IoT Telemetry is off for stack {stack.name} ({key} = false), so no uplink will ever arrive here; "
        f"turn it on with a change set: `ttes-console plan --param {key}=true`, then `ttes-console apply`."
    )


async def _published_recently(ctx: CheckContext) -> float | None:
    from services.uplinks.metrics import recent_publishes

    try:
        return await asyncio.wait_for(recent_publishes(AwsClients(ctx.profile), METRIC_MINUTES), 5)
    except (ConsoleError, TimeoutError):
        return None


async def check_iot(ctx: CheckContext) -> CheckResult:
    """Connected to the IoT endpoint, and uplinks arriving (live, and per CloudWatch in the last 15 min)."""
    if ctx.stack is not None and telemetry_enabled(ctx.stack) is False:
        return CheckResult("iot", Status.WARN, telemetry_off_sentence(ctx.stack), {"telemetry": False}, figure="off")
    metric_task = asyncio.create_task(_published_recently(ctx))
    feed = UplinkFeed(ctx.profile)
    try:
        try:
            await feed.connect()
        except AwsError as exc:  # AWS could not be asked (endpoint, credentials): the broker is untested
            return CheckResult("iot", Status.UNKNOWN, str(exc), {"connected": False})
        except ConsoleError as exc:
            return CheckResult("iot", Status.CRITICAL, str(exc), {"connected": False})
        seen = 0
        started = time.monotonic()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(LISTEN_SECONDS):
                async for batch in feed.batches(max_wait=0, idle=0.5):
                    seen += len(batch.uplinks)
                    if seen:
                        break
        waited = time.monotonic() - started
        status = feed.status()
    finally:
        await feed.close()
    recent = await metric_task
    where = f"{status.endpoint}:{status.port} ({status.auth})"
    details = {
        "connected": True,
        "endpoint": status.endpoint,
        "port": status.port,
        "auth": status.auth,
        "topic": status.connections[0].topic_filter,
        "live_uplinks": seen,
        f"published_last_{METRIC_MINUTES}_min": recent,
    }
    in_metrics = "" if recent is None else f"; {recent:.0f} published in the last {METRIC_MINUTES} min"
    if seen:
        return CheckResult(
            "iot", Status.OK, f"Connected to {where}; uplinks arriving{in_metrics}", details, figure="live"
        )
    if recent:
        return CheckResult(
            "iot",
            Status.OK,
            f"Connected to {where}; quiet for {waited:.0f} s{in_metrics}",
            details,
            figure=f"{recent:.0f}",
        )
    return CheckResult(
        "iot",
        Status.WARN,
        f"Connected to {where}, but no uplink arrived within {waited:.0f} s"
        f"{in_metrics}; are gateways and devices sending?",
        details,
        figure="quiet",
    )

