"""The Metrics tab: CloudWatch AWS/IoT metrics over 1 h / 3 h / 12 h / 24 h at 5-minute periods."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Container, VerticalScroll
from textual.widgets import Static

from services.core.aws import AwsClients
from services.core.config import Profile
from services.core.errors import ConsoleError
from services.uplinks.metrics import IOT_METRICS, WINDOWS_HOURS, IotMetrics, load_iot_metrics
from tui.panes import RefreshingPane
from widgets.metric_chart import MetricChart

REFRESH_SECONDS = 60.0
FAILURES = {"PublishIn.ClientError", "PublishIn.AuthError", "PublishOut.ClientError"}


class MetricsPane(RefreshingPane):
    """AWS IoT Core's Monitor page in the terminal: one chart per metric, `w` cycles the window."""

    DEFAULT_CSS = """
    MetricsPane { height: 1fr; }
    MetricsPane #metrics-status { height: 1; color: $text-muted; }
    MetricsPane #metrics-status.-problem { color: $error; }
    MetricsPane VerticalScroll { height: 1fr; }
    MetricsPane #metrics-charts { layout: grid; grid-size: 2; grid-rows: 8; grid-gutter: 0 1; height: auto; }
    """

    STATUS_ID = "metrics-status"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("w", "next_window", "Window")]

    def __init__(
        self,
        profile: Profile,
        *,
        clients: AwsClients,
        read_only: bool = False,
        interval: float = REFRESH_SECONDS,
        **kwargs: Any,
    ) -> None:
        super().__init__(profile, interval=interval, read_only=read_only, **kwargs)
        self.clients = clients
        self.hours = WINDOWS_HOURS[0]
        self.metrics: IotMetrics | None = None
        self.problem = ""

    def compose(self) -> ComposeResult:
        yield Static("waiting for the stack", id=self.STATUS_ID)
        with VerticalScroll(), Container(id="metrics-charts"):
            for name, label in IOT_METRICS:
                yield MetricChart(label, variant="error" if name in FAILURES else "", id=_chart_id(name))

    def action_next_window(self) -> None:
        self.hours = WINDOWS_HOURS[(WINDOWS_HOURS.index(self.hours) + 1) % len(WINDOWS_HOURS)]
        self.load()

    def load(self) -> None:
        self._status(f"loading the last {self.hours} h…")
        self._load(self.hours)

    @work(exclusive=True, group="iot-metrics", exit_on_error=False)
    async def _load(self, hours: int) -> None:
        try:
            metrics = await load_iot_metrics(self.clients, hours)
        except ConsoleError as exc:
            self.problem = str(exc)
            self._status(f"CloudWatch metrics unavailable: {exc}", problem=True)
            return
        self.problem = ""
        self.metrics = metrics
        start = metrics.end.timestamp() - hours * 3600
        fmt = "%H:%M" if hours <= 12 else "%a %H:%M"
        first, last = (
            datetime.fromtimestamp(start).strftime(fmt),
            datetime.fromtimestamp(metrics.end.timestamp()).strftime(fmt),
        )
        for series in metrics.series:
            self.query_one(f"#{_chart_id(series.name)}", MetricChart).show(series.values, start=first, end=last)
        publishes = metrics.get("PublishIn.Success")
        total = f" · {publishes.total:,.0f} publishes in" if publishes else ""
        self._status(f"AWS/IoT, last {hours} h in 5-minute sums{total} · updated {datetime.now():%H:%M:%S} · w: window")


def _chart_id(name: str) -> str:
    return "chart-" + name.replace(".", "-").lower()
