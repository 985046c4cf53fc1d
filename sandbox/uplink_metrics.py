"""CloudWatch ``AWS/IoT`` metrics for the sandbox (moto), fed from what the uplink simulator published.

At start a day of history is written (a daily rhythm around the configured rate) so the charts
have something to show; then every period the real count of the last minute is added.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import random
import time
from datetime import UTC, datetime
from typing import Any

from sandbox.context import SandboxContext

NAMESPACE = "AWS/IoT"
HISTORY_SECONDS = 48 * 3600  # two days: the Timeline compares traffic with the same hour the day before
STEP = 300
LIVE_INTERVAL = 60.0
log = logging.getLogger("sandbox.mqtt")


def _datum(name: str, when: float, value: float) -> dict[str, Any]:
    return {
        "MetricName": name,
        "Dimensions": [{"Name": "Protocol", "Value": "MQTT"}],
        "Timestamp": datetime.fromtimestamp(when, UTC),
        "Value": value,
        "Unit": "Count",
    }


def history(rate: float, now: float, seed: int = 5, halved_from: float | None = None) -> list[dict[str, Any]]:
    """Two days of 5-minute sums: publishes in ≈ publishes out, a few failures, a short outage at
    night; from ``halved_from`` on (the story's restart, see sandbox/history.py) half the traffic."""
    rng = random.Random(seed)
    data: list[dict[str, Any]] = []
    start = (now - HISTORY_SECONDS) // STEP * STEP
    for i in range(HISTORY_SECONDS // STEP):
        when = start + i * STEP
        hour = datetime.fromtimestamp(when, UTC).hour
        daily = 0.75 + 0.25 * math.sin((hour - 6) / 24 * 2 * math.pi)
        down = 2 <= hour < 3 and i % 12 < 2  # ten minutes with nothing: the broker was restarted
        sent = 0.0 if down else round(rate * STEP * daily * rng.uniform(0.9, 1.1))
        if halved_from is not None and when >= halved_from:
            sent = round(sent / 2)
        data += [
            _datum("PublishIn.Success", when, sent),
            _datum("PublishOut.Success", when, sent),
            _datum("Connect.Success", when, float(rng.random() < 0.05 or down)),
            _datum("PublishIn.ClientError", when, float(rng.random() < 0.1) * rng.randint(1, 4)),
        ]
    return data


def put(ctx: SandboxContext, data: list[dict[str, Any]]) -> None:
    client = ctx.aws_client("cloudwatch", as_operator=True)
    for i in range(0, len(data), 500):
        client.put_metric_data(Namespace=NAMESPACE, MetricData=data[i : i + 500])


async def backfill(ctx: SandboxContext, rate: float) -> bool:
    """Write a day of history before the profile is published; False when CloudWatch refused it."""
    try:
        from sandbox.history import Story

        halved_from = Story(ctx.started).restart if ctx.history else None
        await asyncio.to_thread(put, ctx, history(rate, time.time(), halved_from=halved_from))
    except Exception as exc:
        log.info("sandbox IoT metrics unavailable: %s", exc)
        return False
    return True


async def report_metrics(ctx: SandboxContext, part: Any) -> None:
    """Add what the simulator really published, every minute."""
    last = part.published
    while True:
        await asyncio.sleep(LIVE_INTERVAL)
        now_count = part.published
        with contextlib.suppress(Exception):
            sent = float(now_count - last)
            await asyncio.to_thread(
                put,
                ctx,
                [_datum("PublishIn.Success", time.time(), sent), _datum("PublishOut.Success", time.time(), sent)],
            )
        last = now_count
