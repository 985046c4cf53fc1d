"""The Uplinks tab: the live AWS IoT feed, a devices view, one uplink as a tree, NDJSON export."""

from __future__ import annotations

import json
import time
from collections import deque
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widgets import ContentSwitcher, Input, Static

from services.core.config import Profile
from services.core.errors import ConsoleError
from services.core.files import exports_dir, open_private
from services.health.iot_check import telemetry_enabled, telemetry_off_sentence
from services.stack.model import Stack
from services.uplinks.devices import DeviceTracker, Observation, Seen
from services.uplinks.feed import (
    AWS_CONNECTION_CAP,
    SHARED_SILENCE_SECONDS,
    FeedStatus,
    UplinkBatch,
    UplinkFeed,
    silence_hint,
)
from services.uplinks.forms import export_record, uplink_as_json
from services.uplinks.gateways import GatewayTracker
from services.uplinks.history import history_path, load_history, save_history
from services.uplinks.model import Uplink
from tui.panes import Pane, uplink_gateways
from tui.panes.uplink_rows import device_rows, feed_line
from widgets.device_table import DeviceTable
from widgets.uplink_detail import UplinkDetail
from widgets.uplink_feed import ITEM_OVERHEAD, UplinkFeedView

RATE_WINDOW = 2.0
BATCH_ITEMS = 100  # a few ms of work per batch: keys stay responsive during a flood
NEAR_CAP = 0.8
HISTORY_SECONDS = 30.0  # how often the devices heard are written to the local history


def uplink_bytes(entry: tuple[Uplink, Observation]) -> int:
    """About what one kept uplink costs: its raw payload text (the largest part) and its parsed fields."""
    uplink = entry[0]
    return ITEM_OVERHEAD + len(uplink.raw) + 64 * len(uplink.gateways)


class UplinksPane(uplink_gateways.GatewaysView, Pane):
    """Subscribes to the uplink topic and shows it live; the feed keeps running while other tabs show."""

    DEFAULT_CSS = """
    UplinksPane { height: 1fr; }
    UplinksPane #uplinks-header { height: 1; }
    UplinksPane #uplinks-status { width: 1fr; height: 1; color: $text-muted; }
    UplinksPane #uplinks-status.-problem { color: $error; }
    UplinksPane #uplinks-status.-warning { color: $warning; }
    UplinksPane #uplinks-filter { display: none; }
    UplinksPane #uplinks-filter.-shown { display: block; }
    UplinksPane #uplinks-message { padding: 1 2; }
    UplinksPane ContentSwitcher { height: 1fr; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space", "toggle_pause", "Pause"),
        Binding("slash", "filter", "Filter"),
        Binding("v", "toggle_devices", "Devices"),
        Binding("g", "toggle_gateways", "Gateways"),
        Binding("escape", "back", "Back", show=False),
        Binding("ctrl+s", "export", "Export", show=False),
    ]

    def __init__(
        self,
        profile: Profile,
        *,
        read_only: bool = False,
        max_lines: int = 20_000,
        export_dir: Path | None = None,
        autostart: bool = True,
        silence_after: float = SHARED_SILENCE_SECONDS,
        history_file: Path | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(profile, read_only=read_only, **kwargs)
        self.max_lines = max_lines
        self.export_dir = export_dir
        self.autostart = autostart
        self.silence_after = silence_after
        self.tracker = DeviceTracker()
        self.gateways = GatewayTracker()
        self.history_file = history_file if history_file is not None else history_path(profile.stack)
        self.status: FeedStatus | None = None
        self.state = "idle"
        self.problem = ""
        self.telemetry_off = False
        self.duplicates = 0
        self.total = 0
        self._arrivals: deque[tuple[float, int]] = deque()
        self._conn_marks: deque[tuple[float, tuple[int, ...]]] = deque()
        self._header = ("", "")
        self._connected_at: float | None = None  # monotonic; when every connection first came up

    def compose(self) -> ComposeResult:
        with Horizontal(id="uplinks-header"):
            yield Static("", id="uplinks-status")
        yield Input(placeholder="filter: app:ID device:ID words — Enter applies, empty clears", id="uplinks-filter")
        with ContentSwitcher(initial="uplinks-feed"):
            yield UplinkFeedView(
                max_lines=self.max_lines,
                formatter=feed_line,
                max_bytes=self.profile.iot.buffer_mb * 1024 * 1024,
                sizer=uplink_bytes,
                id="uplinks-feed",
            )
            yield DeviceTable(id="uplinks-devices")  # the gateways' table is mounted when first asked for (g)
            yield UplinkDetail(id="uplinks-detail")
            yield Static("", id="uplinks-message")

    def on_mount(self) -> None:
        self.set_interval(0.5, self._refresh_header)
        self.set_interval(1.0, self._refresh_devices)
        self.set_interval(1.0, self._refresh_gateways)
        self.tracker.remember(load_history(self.history_file))
        self.set_interval(HISTORY_SECONDS, self.save_history)
        if self.autostart:
            self.start_feed()
        self._refresh_header()

    # --- dashboard calls ----------------------------------------------------------------------

    def stack_loaded(self, stack: Stack) -> None:
        super().stack_loaded(stack)
        off = telemetry_enabled(stack) is False
        if off:
            self.workers.cancel_group(self, "uplinks-feed")
            self.telemetry_off = True
            self.state = "telemetry off"
            self._say(telemetry_off_sentence(stack))
        elif self.telemetry_off:
            self.telemetry_off = False
            self.start_feed()

    def reload(self) -> None:
        # A live feed is already fresh; only a failed or never-started one is worth reconnecting.
        if not self.telemetry_off and (self.problem or self.state == "idle"):
            self.start_feed()

    def start_feed(self) -> None:
        """(Re)connect and follow the feed; a running feed is replaced."""
        self.problem = ""
        self.state = "connecting…"
        self._connected_at = None
        self.query_one(ContentSwitcher).current = "uplinks-feed"
        self._follow()
        self._refresh_header()

    # --- the worker ---------------------------------------------------------------------------

    @work(exclusive=True, group="uplinks-feed", exit_on_error=False)
    async def _follow(self) -> None:
        feed = UplinkFeed(self.profile)
        try:
            await feed.connect(self._on_status)
            async for batch in feed.batches(max_items=BATCH_ITEMS):
                self._ingest(batch)
        except ConsoleError as exc:
            self.state = "failed"
            self.problem = str(exc)
            self._say(str(exc))
        finally:
            await feed.close()

    def _on_status(self, status: FeedStatus) -> None:
        self.status = status
        self.state = "connecting…" if status.state == "connecting" else status.state
        if status.state == "connected" and self._connected_at is None:
            self._connected_at = time.monotonic()
        self._refresh_header()

    def _ingest(self, batch: UplinkBatch) -> None:
        self.status = batch.status
        self.state = batch.status.state
        now = time.monotonic()
        self._conn_marks.append((now, tuple(c.received for c in batch.status.connections)))
        if not batch.uplinks:
            return
        lines = []
        for uplink in batch.uplinks:
            obs = self.tracker.observe(uplink)
            if obs.seen is Seen.DUPLICATE:
                self.duplicates += 1  # a QoS 1 redelivery after a reconnect: already on screen
                continue
            self.gateways.observe(uplink)
            lines.append((uplink, obs))
        self.total += len(lines)
        self._arrivals.append((now, len(lines)))
        self.query_one(UplinkFeedView).add_lines(lines)

    # --- display ------------------------------------------------------------------------------

    def show_failure(self, sentence: str) -> None:
        self.state = "failed"
        self.problem = sentence
        self._say(sentence)

    def _say(self, sentence: str) -> None:
        self.query_one("#uplinks-message", Static).update(sentence)
        self.query_one(ContentSwitcher).current = "uplinks-message"
        self._refresh_header()

    def rate(self) -> float:
        now = time.monotonic()
        while self._arrivals and now - self._arrivals[0][0] > RATE_WINDOW:
            self._arrivals.popleft()
        return sum(n for _, n in self._arrivals) / RATE_WINDOW

    def connection_rates(self) -> list[float]:
        now = time.monotonic()
        while len(self._conn_marks) > 1 and now - self._conn_marks[0][0] > RATE_WINDOW:
            self._conn_marks.popleft()
        if len(self._conn_marks) < 2:
            return []
        (t0, first), (t1, last) = self._conn_marks[0], self._conn_marks[-1]
        span = max(t1 - t0, 0.001)
        return [(b - a) / span for a, b in zip(first, last, strict=False)]

    def header_text(self) -> tuple[str, str]:
        """The status line and its severity class ('' | -warning | -problem)."""
        view = self.query_one(UplinkFeedView)
        if self.telemetry_off:
            return "AWS IoT Telemetry is off: no uplinks will arrive", "-warning"
        if self.problem:
            return f"not connected: {self.problem}", "-problem"
        parts = [self.state]
        if self.status is not None:
            parts.append(f"{self.status.endpoint}:{self.status.port} {self.status.auth}")
        parts.append(f"{self.rate():,.0f} msg/s")
        severity = "-warning" if self.state in ("reconnecting", "connecting…") else ""
        hint = (
            ""
            if self.status is None or self._connected_at is None
            else silence_hint(self.status, time.monotonic() - self._connected_at, self.silence_after)
        )
        if hint:
            parts.append(hint)
            severity = "-warning"
        rates = self.connection_rates()
        if len(rates) > 1:
            parts.append("per connection " + "/".join(f"{r:.0f}" for r in rates))
        if rates and max(rates) >= NEAR_CAP * AWS_CONNECTION_CAP:
            parts.append(f"near AWS IoT's {AWS_CONNECTION_CAP} msg/s per connection: raise iot.connections")
            severity = "-warning"
        parts.append(f"{self.total:,} uplinks, {len(self.tracker)} devices")
        if self.status is not None and self.status.dropped:
            parts.append(f"dropped {self.status.dropped:,}")
            severity = "-problem"
        if view.evicted:
            parts.append(f"oldest {view.evicted:,} scrolled out")
        if self.duplicates:
            parts.append(f"{self.duplicates:,} redelivered")
        if view.paused:
            parts.append(f"PAUSED ({view.held_count:,} waiting; space resumes)")
        if view.filter_text:
            parts.append(f"filter {view.filter_text!r} ({len(view.visible_lines):,} shown)")
        return " · ".join(parts), severity

    def _refresh_header(self) -> None:
        text, severity = self.header_text()
        if (text, severity) == self._header:
            return
        self._header = (text, severity)
        status = self.query_one("#uplinks-status", Static)
        status.update(text, layout=False)  # one fixed-size line: a layout pass of the screen costs a frame
        status.set_classes(severity)

    def _refresh_devices(self) -> None:
        if self.query_one(ContentSwitcher).current != "uplinks-devices":
            return
        now = time.time()
        self.query_one(DeviceTable).show(device_rows(self.tracker.summaries(now), now))

    def save_history(self) -> None:
        """Keep the devices heard (ids, last seen, interval) for the next run; a failure is said once."""
        try:
            save_history(self.history_file, self.tracker.known(time.time()))
        except OSError as exc:
            if not getattr(self, "_history_failed", False):
                self._history_failed = True
                self.notify(
                    f"Could not keep the device history in {self.history_file}: {exc.strerror}.",
                    severity="warning",
                    title="Uplinks",
                )

    def on_unmount(self) -> None:
        if len(self.tracker):
            self.save_history()

    # --- actions ------------------------------------------------------------------------------

    def action_toggle_pause(self) -> None:
        view = self.query_one(UplinkFeedView)
        view.paused = not view.paused
        self._refresh_header()

    def action_filter(self) -> None:
        field = self.query_one("#uplinks-filter", Input)
        field.add_class("-shown")
        field.value = self.query_one(UplinkFeedView).filter_text
        field.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id != "uplinks-filter":
            return
        event.stop()
        view = self.query_one(UplinkFeedView)
        view.set_filter(event.value.strip())
        event.input.remove_class("-shown")
        self.query_one(ContentSwitcher).current = "uplinks-feed"
        view.focus()
        self._refresh_header()

    def action_toggle_devices(self) -> None:
        switcher = self.query_one(ContentSwitcher)
        if self.telemetry_off or self.problem:
            return
        switcher.current = "uplinks-feed" if switcher.current == "uplinks-devices" else "uplinks-devices"
        self._refresh_devices()

    def show_devices(self) -> None:
        """The devices view (not a toggle: the dashboard's ``v`` always lands here)."""
        if self.query_one(ContentSwitcher).current != "uplinks-devices":
            self.action_toggle_devices()
        self.screen.set_focus(self.query_one(DeviceTable))  # now: see Pane.focus_content

    def action_back(self) -> None:
        field = self.query_one("#uplinks-filter", Input)
        if field.has_class("-shown"):
            field.remove_class("-shown")
        switcher = self.query_one(ContentSwitcher)
        if self.gateway_devices_closed():
            return
        if switcher.current in ("uplinks-detail", "uplinks-devices", "uplinks-gateways"):
            switcher.current = "uplinks-feed"
            self.query_one(UplinkFeedView).focus()

    def on_uplink_feed_view_chosen(self, event: UplinkFeedView.Chosen) -> None:
        event.stop()
        uplink, obs = event.line.item
        gap = obs.gap
        title = f"{uplink.application_id}/{uplink.device_id} f_cnt {uplink.f_cnt} · {uplink.topic}"
        detail = self.query_one(UplinkDetail)
        summary = {"parsed": uplink_as_json(uplink, gap)}
        document = uplink.document
        detail.show(
            title, {**summary, "message": document} if document is not None else summary, uplink.problems, uplink.raw
        )
        self.query_one(ContentSwitcher).current = "uplinks-detail"
        detail.focus()

    def action_export(self) -> None:
        items = self.query_one(UplinkFeedView).visible_items
        if not items:
            self.notify("Nothing to export yet.", severity="warning")
            return
        target = (self.export_dir or exports_dir(self.profile)) / f"uplinks-{datetime.now():%Y%m%d-%H%M%S}.ndjson"
        self._export([uplink for uplink, _ in items], target)

    @work(thread=True, exit_on_error=False, group="uplinks-export")
    def _export(self, uplinks: list[Uplink], target: Path) -> None:
        try:
            with open_private(target) as fh:
                for uplink in uplinks:
                    fh.write(json.dumps(export_record(uplink), ensure_ascii=False, default=str) + "\n")
        except OSError as exc:
            self.app.call_from_thread(self.notify, f"Could not write {target}: {exc.strerror}.", severity="error")
            return
        self.app.call_from_thread(
            self.notify, f"Exported {len(uplinks):,} uplinks to {target} (AWS IoT export format)."
        )
