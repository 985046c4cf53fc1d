"""CloudWatch AWS/IoT metrics from the sandbox (moto fed by the simulator), the Metrics tab and the iot check."""

from __future__ import annotations

import asyncio
import json

from textual.app import App, ComposeResult

from services.core.aws import AwsClients
from services.stack.model import load_stack
from services.uplinks.metrics import IOT_METRICS, load_iot_metrics
from tests.conftest import RunningSandbox, run_cli
from tui.panes.metrics import MetricsPane
from widgets.metric_chart import MetricChart, bars


async def test_a_day_of_five_minute_sums(aws_env: RunningSandbox) -> None:
    clients = AwsClients(aws_env.profile())
    for hours in (1, 24):
        metrics = await load_iot_metrics(clients, hours)
        assert [s.name for s in metrics.series] == [name for name, _ in IOT_METRICS]
        publishes = metrics.get("PublishIn.Success")
        assert publishes is not None and len(publishes.values) == hours * 12 and publishes.total > 0
    day = await load_iot_metrics(clients, 24)
    assert 0.0 in day.series[0].values  # the night-time outage shows as empty periods


class PaneApp(App[None]):
    def __init__(self, pane: MetricsPane) -> None:
        super().__init__()
        self.pane = pane

    def compose(self) -> ComposeResult:
        yield self.pane


async def test_metrics_pane_draws_charts_and_cycles_windows(aws_env: RunningSandbox) -> None:
    profile = aws_env.profile()
    stack = await load_stack(AwsClients(profile))
    pane = MetricsPane(profile, clients=AwsClients(profile))
    async with PaneApp(pane).run_test(size=(140, 40)) as pilot:
        pane.stack_loaded(stack)
        async with asyncio.timeout(20):
            while pane.metrics is None:
                await pilot.pause(0.05)
        chart = pane.query_one("#chart-publishin-success", MetricChart)
        assert "total" in str(chart.border_subtitle)
        assert "last 1 h" in str(pane.query_one("#metrics-status").render())
        pane.focus()
        await pilot.press("w")
        async with asyncio.timeout(20):
            while pane.metrics.hours != 3:
                await pilot.pause(0.05)


def test_bars_scale_to_the_peak() -> None:
    assert bars([0, 5, 10], width=3, height=2) == ["  █", " ██"]
    assert bars([2, 2, 1, 1], width=2, height=1) == ["█▄"]  # more periods than columns: averaged
    assert bars([1, 2], width=8, height=1) == ["▄▄▄ ███ "]  # fewer: widened, one column apart


def test_check_reports_iot(sandbox: RunningSandbox) -> None:
    done = run_cli("--config", str(sandbox.config_path), "check", "--json", env=sandbox.environ)
    iot = next(c for c in json.loads(done.stdout)["checks"] if c["name"] == "iot")
    assert iot["status"] == "ok", iot
    assert iot["details"]["connected"] is True and iot["details"]["published_last_15_min"] > 0


async def test_endpoint_comes_from_describe_endpoint_when_not_configured(aws_env: RunningSandbox) -> None:
    import dataclasses

    from services.uplinks.feed import resolve_endpoint

    profile = aws_env.profile()
    unset = dataclasses.replace(profile, iot=dataclasses.replace(profile.iot, endpoint=""))
    assert await resolve_endpoint(profile) == "127.0.0.1"
    endpoint = await resolve_endpoint(unset)
    assert "-ats.iot." in endpoint and endpoint.endswith(".amazonaws.com")
