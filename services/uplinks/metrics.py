"""CloudWatch ``AWS/IoT`` metrics: what AWS IoT Core's Monitor page charts, as plain series."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from services.core.aws import AwsClients

NAMESPACE = "AWS/IoT"
PERIOD = 300  # seconds: the Monitor page's 5-minute resolution
WINDOWS_HOURS = (1, 3, 12, 24)
IOT_METRICS: tuple[tuple[str, str], ...] = (
    ("PublishIn.Success", "Publishes in"),
    ("PublishOut.Success", "Publishes out"),
    ("Connect.Success", "Connections"),
    ("PublishIn.ClientError", "Publish-in failures"),
    ("PublishIn.AuthError", "Publish-in auth errors"),
    ("PublishOut.ClientError", "Publish-out failures"),
)


@dataclass(frozen=True)
class MetricSeries:
    """One metric summed over its dimensions, one value per period (missing periods are 0)."""

    name: str
    label: str
    start: datetime
    period: int
    values: tuple[float, ...]

    @property
    def total(self) -> float:
        return sum(self.values)

    @property
    def latest(self) -> float | None:
        return self.values[-1] if self.values else None


@dataclass(frozen=True)
class IotMetrics:
    """Every charted metric for one window."""

    hours: float
    end: datetime
    series: tuple[MetricSeries, ...]

    def get(self, name: str) -> MetricSeries | None:
        return next((s for s in self.series if s.name == name), None)


async def load_iot_metrics(
    clients: AwsClients,
    hours: float = 1,
    *,
    period: int = PERIOD,
    metrics: Sequence[tuple[str, str]] = IOT_METRICS,
    now: float | None = None,
) -> IotMetrics:
    """Sums per ``period`` over the last ``hours`` for each metric, across all its dimensions (e.g. Protocol)."""
    end_ts = (now if now is not None else time.time()) // period * period + period
    end = datetime.fromtimestamp(end_ts, UTC)
    start = end - timedelta(hours=hours)
    streams = await _list_streams(clients, {name for name, _ in metrics})
    queries: list[dict[str, Any]] = []
    owners: dict[str, str] = {}
    for i, (name, dims) in enumerate(streams):
        qid = f"m{i}"
        owners[qid] = name
        queries.append(
            {
                "Id": qid,
                "ReturnData": True,
                "MetricStat": {
                    "Metric": {"Namespace": NAMESPACE, "MetricName": name, "Dimensions": dims},
                    "Period": period,
                    "Stat": "Sum",
                },
            }
        )
    slots = int(hours * 3600 // period)
    sums: dict[str, list[float]] = {name: [0.0] * slots for name, _ in metrics}
    for chunk in range(0, len(queries), 500):  # get_metric_data takes at most 500 queries
        kwargs: dict[str, Any] = {
            "MetricDataQueries": queries[chunk : chunk + 500],
            "StartTime": start,
            "EndTime": end,
            "ScanBy": "TimestampAscending",
        }
        while True:
            page = await clients.call("cloudwatch", "get_metric_data", **kwargs)
            for result in page.get("MetricDataResults", []):
                target = sums[owners[result["Id"]]]
                for stamp, value in zip(result.get("Timestamps", []), result.get("Values", []), strict=False):
                    slot = int((stamp.timestamp() - start.timestamp()) // period)
                    if 0 <= slot < slots:
                        target[slot] += float(value)
            token = page.get("NextToken")
            if not token:
                break
            kwargs["NextToken"] = token
    series = tuple(MetricSeries(name, label, start, period, tuple(sums[name])) for name, label in metrics)
    return IotMetrics(hours, end, series)


async def _list_streams(clients: AwsClients, names: set[str]) -> list[tuple[str, list[dict[str, str]]]]:
    """Each (metric, dimensions) pair that exists: AWS/IoT metrics carry a Protocol dimension, and more."""
    found: list[tuple[str, list[dict[str, str]]]] = []
    kwargs: dict[str, Any] = {"Namespace": NAMESPACE}
    while True:
        page = await clients.call("cloudwatch", "list_metrics", **kwargs)
        for metric in page.get("Metrics", []):
            if metric.get("MetricName") in names:
                dims = [{"Name": d["Name"], "Value": d["Value"]} for d in metric.get("Dimensions", [])]
                found.append((metric["MetricName"], dims))
        token = page.get("NextToken")
        if not token:
            return found
        kwargs["NextToken"] = token


async def recent_publishes(clients: AwsClients, minutes: int = 15, now: float | None = None) -> float:
    """Messages published into AWS IoT Core in the last ``minutes`` (PublishIn.Success)."""
    got = await load_iot_metrics(clients, minutes / 60, metrics=(IOT_METRICS[0],), now=now)
    return got.series[0].total
