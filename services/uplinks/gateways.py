"""Per-gateway statistics from the uplinks' ``rx_metadata``: who hears what, how well, and who went quiet.

Each uplink costs a constant amount of work per gateway that heard it (bounded deques, dict
updates), so the tracker can sit beside the feed. A gateway is *silent* when nothing was heard
from it for :data:`SILENT_FACTOR` of its usual intervals (never less than :data:`MIN_SILENCE`
seconds, so a quiet minute on a busy gateway is not an alarm). For a silent gateway each device
it used to hear is either *moved* (heard by another gateway since) or *silent* (heard by nobody
since: it went quiet with the gateway).
"""

from __future__ import annotations

import statistics
from collections import Counter, deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from services.uplinks.model import Uplink

SAMPLES = 64  # radio values kept per gateway for the median and spread
INTERVAL_SAMPLES = 32
SILENT_FACTOR = 5.0
MIN_SILENCE = 10.0
RATE_WINDOW = 60.0

DeviceKey = tuple[str, str]  # (application id, device id)


@dataclass(frozen=True)
class Spread:
    """Median and interquartile range of recent values."""

    median: float
    spread: float  # q3 - q1

    @staticmethod
    def of(values: Sequence[float]) -> Spread | None:
        if not values:
            return None
        if len(values) < 4:
            return Spread(statistics.median(values), max(values) - min(values))
        q1, q2, q3 = statistics.quantiles(values, n=4)
        return Spread(q2, q3 - q1)


@dataclass(frozen=True)
class GatewaySummary:
    """One gateway as the gateways view and ``uplinks --gateways`` show it."""

    gateway_id: str
    eui: str
    first_heard: float  # epoch seconds (arrival)
    last_heard: float
    uplinks: int
    per_minute: float
    devices: int
    rssi: Spread | None
    snr: Spread | None
    channels: tuple[tuple[float, int], ...]  # (MHz, uplinks), most used first
    location: tuple[float, float] | None
    usual_interval: float | None  # median seconds between uplinks heard
    silent: bool
    quiet_for: float  # seconds since last heard
    moved: tuple[DeviceKey, ...] = ()  # silent gateway: its devices now heard by others
    gone_silent: tuple[DeviceKey, ...] = ()  # silent gateway: its devices heard by nobody since

    def as_json(self) -> dict[str, object]:
        def spread(s: Spread | None) -> dict[str, float] | None:
            return None if s is None else {"median": round(s.median, 2), "spread": round(s.spread, 2)}

        return {
            "gateway_id": self.gateway_id,
            "eui": self.eui,
            "last_heard": self.last_heard,
            "quiet_for": round(self.quiet_for, 1),
            "silent": self.silent,
            "uplinks": self.uplinks,
            "per_minute": round(self.per_minute, 1),
            "devices": self.devices,
            "rssi": spread(self.rssi),
            "snr": spread(self.snr),
            "channels_mhz": {f"{mhz:.1f}": n for mhz, n in self.channels},
            "location": None
            if self.location is None
            else {"latitude": self.location[0], "longitude": self.location[1]},
            "usual_interval": None if self.usual_interval is None else round(self.usual_interval, 2),
            "moved_devices": [f"{app}/{dev}" for app, dev in self.moved],
            "silent_devices": [f"{app}/{dev}" for app, dev in self.gone_silent],
        }


@dataclass(frozen=True)
class GatewayDevice:
    """A device a gateway heard: when, how well, and where it is heard now."""

    application_id: str
    device_id: str
    last_heard_here: float
    last_heard: float  # by any gateway
    rssi: float | None  # the last value this gateway measured
    snr: float | None
    heard_by_others: tuple[str, ...]  # other gateways that heard it after this one last did
    state: str  # "heard" | "moved" | "silent"


class _Gateway:
    __slots__ = (
        "channels", "count", "devices", "eui", "first", "gateway_id", "intervals", "last",
        "location", "minutes", "rssi", "snr",
    )  # fmt: skip

    def __init__(self, gateway_id: str, eui: str, now: float) -> None:
        self.gateway_id = gateway_id
        self.eui = eui
        self.first = now
        self.last = now
        self.count = 0
        self.rssi: deque[float] = deque(maxlen=SAMPLES)
        self.snr: deque[float] = deque(maxlen=SAMPLES)
        self.intervals: deque[float] = deque(maxlen=INTERVAL_SAMPLES)
        self.channels: Counter[float] = Counter()
        # device -> (time heard, rssi, snr) by this gateway
        self.devices: dict[DeviceKey, tuple[float, float | None, float | None]] = {}
        self.location: tuple[float, float] | None = None
        self.minutes: deque[list[float]] = deque()  # [second, count] buckets of the last RATE_WINDOW


class GatewayTracker:
    """Feed it every uplink (:meth:`observe`); ask for :meth:`summaries` and :meth:`devices_of`."""

    def __init__(self) -> None:
        self._gateways: dict[str, _Gateway] = {}
        # device -> gateway -> last time that gateway heard it
        self._heard: dict[DeviceKey, dict[str, float]] = {}

    def __len__(self) -> int:
        return len(self._gateways)

    def observe(self, uplink: Uplink) -> None:
        """Account one uplink to every gateway in its rx_metadata."""
        if not uplink.gateways:
            return
        now = uplink.arrived
        key = (uplink.application_id, uplink.device_id)
        heard = self._heard.get(key)
        if heard is None:
            heard = self._heard[key] = {}
        mhz = uplink.frequency / 1e6 if uplink.frequency else None
        second = float(int(now))
        for rx in uplink.gateways:
            gw = self._gateways.get(rx.gateway_id)
            if gw is None:
                gw = self._gateways[rx.gateway_id] = _Gateway(rx.gateway_id, rx.eui, now)
            elif now > gw.last:
                gw.intervals.append(now - gw.last)
            if rx.eui and not gw.eui:
                gw.eui = rx.eui
            gw.last = max(gw.last, now)
            gw.count += 1
            if rx.rssi is not None:
                gw.rssi.append(rx.rssi)
            if rx.snr is not None:
                gw.snr.append(rx.snr)
            if mhz is not None:
                gw.channels[mhz] += 1
            if rx.location is not None:
                gw.location = rx.location
            gw.devices[key] = (now, rx.rssi, rx.snr)
            heard[rx.gateway_id] = now
            buckets = gw.minutes
            if buckets and buckets[-1][0] == second:
                buckets[-1][1] += 1
            else:
                buckets.append([second, 1.0])
                while buckets[0][0] <= second - RATE_WINDOW:
                    buckets.popleft()

    def observe_all(self, uplinks: Iterable[Uplink]) -> None:
        for uplink in uplinks:
            self.observe(uplink)

    def _silent(self, gw: _Gateway, now: float) -> bool:
        usual = statistics.median(gw.intervals) if gw.intervals else None
        limit = MIN_SILENCE if usual is None else max(MIN_SILENCE, SILENT_FACTOR * usual)
        return now - gw.last > limit

    def _fate(self, gw: _Gateway, key: DeviceKey) -> tuple[str, tuple[str, ...]]:
        """("moved", others) when others heard the device after this gateway last did, else ("silent", ())."""
        here = gw.devices[key][0]
        others = tuple(sorted(g for g, t in self._heard.get(key, {}).items() if g != gw.gateway_id and t > here))
        return ("moved", others) if others else ("silent", ())

    def summary(self, gw: _Gateway, now: float) -> GatewaySummary:
        silent = self._silent(gw, now)
        moved: list[DeviceKey] = []
        gone: list[DeviceKey] = []
        if silent:
            for key in sorted(gw.devices):
                (moved if self._fate(gw, key)[0] == "moved" else gone).append(key)
        recent = sum(n for s, n in gw.minutes if s > now - RATE_WINDOW)
        span = min(RATE_WINDOW, max(1.0, now - gw.first))
        return GatewaySummary(
            gateway_id=gw.gateway_id,
            eui=gw.eui,
            first_heard=gw.first,
            last_heard=gw.last,
            uplinks=gw.count,
            per_minute=recent * 60.0 / span,
            devices=len(gw.devices),
            rssi=Spread.of(list(gw.rssi)),
            snr=Spread.of(list(gw.snr)),
            channels=tuple(gw.channels.most_common()),
            location=gw.location,
            usual_interval=statistics.median(gw.intervals) if gw.intervals else None,
            silent=silent,
            quiet_for=max(0.0, now - gw.last),
            moved=tuple(moved),
            gone_silent=tuple(gone),
        )

    def summaries(self, now: float) -> list[GatewaySummary]:
        """Every gateway: silent ones first, then by uplinks heard."""
        rows = [self.summary(gw, now) for gw in self._gateways.values()]
        return sorted(rows, key=lambda s: (not s.silent, -s.uplinks, s.gateway_id))

    def devices_of(self, gateway_id: str, now: float) -> list[GatewayDevice]:
        """The devices a gateway heard; for a silent gateway, which moved and which went silent."""
        gw = self._gateways.get(gateway_id)
        if gw is None:
            return []
        silent = self._silent(gw, now)
        rows = []
        for key, (when, rssi, snr) in gw.devices.items():
            heard = self._heard.get(key, {})
            state, others = self._fate(gw, key) if silent else ("heard", ())
            rows.append(
                GatewayDevice(
                    application_id=key[0],
                    device_id=key[1],
                    last_heard_here=when,
                    last_heard=max(heard.values(), default=when),
                    rssi=rssi,
                    snr=snr,
                    heard_by_others=others,
                    state=state,
                )
            )
        order = {"silent": 0, "moved": 1, "heard": 2}
        return sorted(rows, key=lambda d: (order[d.state], -d.last_heard_here, d.device_id))
