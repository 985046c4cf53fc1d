"""Per-device state built from the uplink stream: who talks, how often, how well, what was lost."""

from __future__ import annotations

import statistics
import time
from collections import Counter, deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import Enum

from services.uplinks.history import KnownDevice
from services.uplinks.model import Uplink

TREND_POINTS = 40
RECENT_FCNTS = 256  # remembered per device to recognise redelivered (duplicate) uplinks; after a reconnect
# under load the broker redelivers every unacknowledged message (mosquitto: up to 1,000 in flight), so
# a device's redelivered f_cnt may lie dozens behind its newest; beyond the window it would read as a rejoin
INTERVAL_SAMPLES = 16
SILENT_FACTOR = 3.0
SILENT_MIN_INTERVALS = 5  # a device is called silent only once its own rhythm is known
SILENT_FLOOR = 30.0  # seconds: never sooner (a device that talks every second pauses for a few at times)
SILENT_UNKNOWN = 3600.0  # seconds: a device whose rhythm was never learnt is silent after an hour


def silent_after(usual_interval: float | None) -> float:
    """Seconds without an uplink after which a device is silent: :data:`SILENT_FACTOR` of its usual
    interval (never under :data:`SILENT_FLOOR`), or :data:`SILENT_UNKNOWN` when that interval is unknown."""
    return max(SILENT_FACTOR * usual_interval, SILENT_FLOOR) if usual_interval else SILENT_UNKNOWN


class Seen(Enum):
    """How an uplink relates to the device's previous ones."""

    FIRST = "first"  # first uplink of the device since we started watching
    NEXT = "next"  # f_cnt follows on (possibly after a gap)
    DUPLICATE = "duplicate"  # an f_cnt already seen (QoS 1 redelivery after a reconnect)
    RESET = "reset"  # f_cnt went back: the device rejoined and its counter restarted
    UNCOUNTED = "uncounted"  # no f_cnt in the message


@dataclass(frozen=True)
class Observation:
    """What the tracker concluded about one uplink."""

    seen: Seen
    gap: int | None  # uplinks lost just before this one; None when it cannot be known


# Shared instances: the feed keeps one observation per uplink on screen (20,000), and fewer objects for
# Python's garbage collector to walk means shorter pauses during a flood.
_UNCOUNTED = Observation(Seen.UNCOUNTED, None)
_DUPLICATE = Observation(Seen.DUPLICATE, None)
_FIRST = Observation(Seen.FIRST, 0)
_RESET = Observation(Seen.RESET, 0)
_NEXT = Observation(Seen.NEXT, 0)


@dataclass(frozen=True)
class DeviceSummary:
    """One device as the devices view shows it."""

    application_id: str
    device_id: str
    dev_eui: str
    last_seen: float  # epoch seconds
    count: int
    lost: int
    resets: int
    duplicates: int
    last_f_cnt: int | None
    rssi: tuple[float, ...]  # best RSSI of recent uplinks, oldest first
    snr: tuple[float, ...]
    spreading_factors: Mapping[int, int]
    gateways: tuple[str, ...]
    usual_interval: float | None  # median seconds between uplinks
    silent: bool
    heard_this_run: bool = True  # False: known from an earlier run and not heard since the console started

    @property
    def key(self) -> tuple[str, str]:
        return (self.application_id, self.device_id)


class _Device:
    __slots__ = (
        "app",
        "count",
        "dev_addr",
        "dev_eui",
        "device",
        "duplicates",
        "gateways",
        "intervals",
        "known_interval",
        "last_f_cnt",
        "last_seen",
        "lost",
        "recent",
        "recent_set",
        "resets",
        "rssi",
        "sf",
        "snr",
    )

    def __init__(self, app: str, device: str) -> None:
        self.app = app
        self.device = device
        self.dev_eui = ""
        self.dev_addr = ""
        self.count = 0
        self.lost = 0
        self.resets = 0
        self.duplicates = 0
        self.last_f_cnt: int | None = None
        self.last_seen = 0.0
        self.recent: deque[int] = deque()  # the last RECENT_FCNTS f_cnts, oldest first
        self.recent_set: set[int] = set()  # the same, for a constant-time duplicate test
        self.intervals: deque[float] = deque(maxlen=INTERVAL_SAMPLES)
        self.rssi: deque[float] = deque(maxlen=TREND_POINTS)
        self.snr: deque[float] = deque(maxlen=TREND_POINTS)
        self.sf: Counter[int] = Counter()
        self.gateways: dict[str, None] = {}
        self.known_interval: float | None = None  # from the history of earlier runs


class DeviceTracker:
    """Folds uplinks into per-device state; :meth:`observe` returns each uplink's gap."""

    def __init__(self, started_at: float | None = None) -> None:
        self._devices: dict[tuple[str, str], _Device] = {}
        self.started_at = time.time() if started_at is None else started_at  # epoch seconds

    def __len__(self) -> int:
        return len(self._devices)

    def remember(self, known: Iterable[KnownDevice]) -> None:
        """Devices heard in earlier runs: listed with their last-seen time until they talk again."""
        for k in known:
            key = (k.application_id, k.device_id)
            if key not in self._devices:
                dev = self._devices[key] = _Device(*key)
                dev.last_seen = k.last_seen
                dev.known_interval = k.usual_interval

    def known(self, now: float) -> list[KnownDevice]:
        """What the history should keep of every device."""
        return [
            KnownDevice(s.application_id, s.device_id, s.last_seen, s.usual_interval)
            for s in self.summaries(now)
            if s.last_seen
        ]

    def observe(self, uplink: Uplink) -> Observation:
        """Account for one uplink (in arrival order)."""
        key = (uplink.application_id, uplink.device_id)
        dev = self._devices.get(key)
        if dev is None:
            dev = self._devices[key] = _Device(*key)
        if uplink.dev_addr and dev.dev_addr and uplink.dev_addr != dev.dev_addr:
            dev.recent.clear()  # a new session (rejoin): its f_cnt starts again
            dev.recent_set.clear()
        if uplink.dev_addr:
            dev.dev_addr = uplink.dev_addr
        verdict = self._count(dev, uplink.f_cnt)
        if verdict.seen is Seen.DUPLICATE:
            dev.duplicates += 1
            return verdict
        when = uplink.timestamp
        if dev.count and when > dev.last_seen:
            dev.intervals.append(when - dev.last_seen)
        dev.last_seen = max(dev.last_seen, when)
        dev.count += 1
        dev.dev_eui = uplink.dev_eui or dev.dev_eui
        rssi, snr = uplink.best_radio
        if rssi is not None:
            dev.rssi.append(rssi)
        if snr is not None:
            dev.snr.append(snr)
        if uplink.spreading_factor is not None:
            dev.sf[uplink.spreading_factor] += 1
        for gw in uplink.gateways:
            dev.gateways[gw.gateway_id] = None
        return verdict

    @staticmethod
    def _count(dev: _Device, f_cnt: int | None) -> Observation:
        if f_cnt is None:
            return _UNCOUNTED
        if f_cnt in dev.recent_set:
            return _DUPLICATE
        previous = dev.last_f_cnt
        if len(dev.recent) >= RECENT_FCNTS:
            dev.recent_set.discard(dev.recent.popleft())
        dev.recent.append(f_cnt)
        dev.recent_set.add(f_cnt)
        dev.last_f_cnt = f_cnt
        if previous is None:
            return _FIRST
        if f_cnt <= previous:
            dev.resets += 1
            return _RESET
        gap = f_cnt - previous - 1
        dev.lost += gap
        return _NEXT if gap == 0 else Observation(Seen.NEXT, gap)

    def summaries(self, now: float) -> list[DeviceSummary]:
        """Every device, most recently heard first."""
        out = [self._summary(dev, now) for dev in self._devices.values()]
        out.sort(key=lambda d: d.last_seen, reverse=True)
        return out

    def summary(self, application_id: str, device_id: str, now: float) -> DeviceSummary | None:
        dev = self._devices.get((application_id, device_id))
        return self._summary(dev, now) if dev else None

    def _summary(self, dev: _Device, now: float) -> DeviceSummary:
        usual = statistics.median(dev.intervals) if dev.intervals else dev.known_interval
        if dev.count == 0:
            # Known from an earlier run and not heard since the console started: silent once
            # overdue by its own rhythm (or by an hour, when that rhythm was never learnt).
            # Overdue already when the console started, or overdue since while it listened (a feed still
            # connecting hears nobody, so the listening counts too).
            overdue = silent_after(usual)
            before = self.started_at - dev.last_seen > overdue
            silent = before or (now - dev.last_seen > overdue and now - self.started_at > overdue)
        else:
            silent = (
                len(dev.intervals) >= SILENT_MIN_INTERVALS
                and usual is not None
                and usual > 0
                and now - dev.last_seen > silent_after(usual)
            )
        return DeviceSummary(
            application_id=dev.app,
            device_id=dev.device,
            dev_eui=dev.dev_eui,
            last_seen=dev.last_seen,
            count=dev.count,
            lost=dev.lost,
            resets=dev.resets,
            duplicates=dev.duplicates,
            last_f_cnt=dev.last_f_cnt,
            rssi=tuple(dev.rssi),
            snr=tuple(dev.snr),
            spreading_factors=dict(sorted(dev.sf.items())),
            gateways=tuple(dev.gateways),
            usual_interval=usual,
            silent=silent,
            heard_this_run=dev.count > 0,
        )
