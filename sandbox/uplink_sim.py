"""An uplink simulator: TTS ApplicationUp JSON for ~50 EU868 devices in 3 applications, 4 gateways.

Deterministic for a given seed. f_cnt increases per device; some uplinks are lost (the counter
skips), and now and then a device rejoins (new DevAddr, counter from 0). With ``garbage`` a share
of messages is broken the ways real traffic breaks: truncated, wrong types, binary, huge.

The gateways' coverage overlaps (a device is heard by one to three of them) and each reports its
location. Scenario ``gateway-down`` (``gateway_down_after`` seconds): the gateway that alone
hears the most devices goes silent; of the devices only it heard, every other one moves to the
nearest other gateway, the rest go silent with it; devices others heard too just lose it.
"""

from __future__ import annotations

import base64
import json
import math
import random
import struct
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

APPLICATIONS = ("motion-sensors", "climate-sensors", "asset-trackers")
GATEWAYS = (
    ("ttig-52ec", "58A0CBFFFE8052EC"),
    ("eui-0242020000247803", "0242020000247803"),
    ("office-roof-gw", "B827EBFFFE61C4A2"),
    ("warehouse-gw-2", "A840411E85A44150"),
)
GATEWAY_LOCATIONS = ((52.3731, 4.8922), (52.3412, 4.9180), (52.3905, 4.8460), (52.3560, 4.8010))
CHANNELS_HZ = (868_100_000, 868_300_000, 868_500_000, 867_100_000, 867_300_000, 867_500_000, 867_700_000, 867_900_000)
SNR_FLOOR = {7: -7.5, 8: -10.0, 9: -12.5, 10: -15.0, 11: -17.5, 12: -20.0}
FIRST_REJOIN = 1_200  # message number of the first rejoin; later ones are random and rare
LOSS_PROBABILITY = 0.03
GARBAGE_EVERY = 7


@dataclass
class SimDevice:
    application_id: str
    device_id: str
    dev_eui: str
    dev_addr: str
    gateways: tuple[int, ...]
    base_rssi: float
    f_cnt: int = 0
    state: dict[str, float] = field(default_factory=dict)

    @property
    def spreading_factor(self) -> int:
        # Adaptive data rate: far (weak) devices use a higher spreading factor.
        return min(12, max(7, 7 + int((-self.base_rssi - 85) // 7)))


class UplinkSimulator:
    """Makes the next (topic, payload) on demand; :meth:`run` publishes at a steady rate."""

    def __init__(
        self,
        stack: str,
        *,
        devices: int = 50,
        seed: int = 868,
        garbage: bool = False,
        gateway_down_after: float | None = None,
    ) -> None:
        self.stack = stack
        self.garbage = garbage
        self.rng = random.Random(seed)
        self.sent = 0
        self.devices = [self._device(i) for i in range(devices)]
        self.active = self.devices  # the devices still sending (the same list until a gateway goes down)
        self.gateway_down_after = gateway_down_after
        self.down_at: float | None = None  # epoch seconds; set by run() from gateway_down_after
        self.down_gateway: str = ""
        self.moved: list[str] = []  # device ids that moved to a neighbour when the gateway went down
        self.silenced: list[str] = []  # device ids that went silent with it

    def take_gateway_down(self) -> None:
        """The gateway that alone hears the most devices stops; see the module docstring."""
        alone = [[d for d in self.devices if d.gateways == (g,)] for g in range(len(GATEWAYS))]
        down = max(range(len(GATEWAYS)), key=lambda g: (len(alone[g]), -g))
        self.down_gateway = GATEWAYS[down][0]
        lat, lon = GATEWAY_LOCATIONS[down]
        neighbour = min(
            (g for g in range(len(GATEWAYS)) if g != down),
            key=lambda g: math.dist((lat, lon), GATEWAY_LOCATIONS[g]),
        )
        silent = set()
        for i, dev in enumerate(alone[down]):
            if i % 2 == 0:
                dev.gateways = (neighbour,)
                self.moved.append(dev.device_id)
            else:
                silent.add(dev.device_id)
                self.silenced.append(dev.device_id)
        for dev in self.devices:
            if down in dev.gateways and len(dev.gateways) > 1:
                dev.gateways = tuple(g for g in dev.gateways if g != down)
        self.active = [d for d in self.devices if d.device_id not in silent]

    def _device(self, i: int) -> SimDevice:
        rng = self.rng
        eui = f"70B3D57ED00{i + 1:05X}"
        first = rng.randrange(len(GATEWAYS))
        heard = tuple(sorted({first, *rng.sample(range(len(GATEWAYS)), rng.randrange(0, 3))}))
        return SimDevice(
            application_id=APPLICATIONS[i % len(APPLICATIONS)],
            device_id=f"eui-{eui.lower()}",
            dev_eui=eui,
            dev_addr=f"{rng.randrange(1 << 25):08X}",  # the AMI's default prefix 00000000/7
            gateways=heard,
            base_rssi=rng.uniform(-118.0, -45.0),
            f_cnt=rng.randrange(0, 400),
            state={
                "lat": 52.37 + rng.uniform(-0.05, 0.05),
                "lon": 4.89 + rng.uniform(-0.05, 0.05),
                "temp": rng.uniform(15, 24),
                "hum": rng.uniform(35, 65),
                "motion": 0.0,
            },
        )

    def topic(self, dev: SimDevice) -> str:
        return f"lorawan/{self.stack}/{dev.application_id}/things/{dev.device_id}/up"

    def next_message(self, now: float) -> tuple[str, bytes]:
        """The next uplink some device sends, as it would appear on the topic."""
        rng = self.rng
        self.sent += 1
        if self.down_at is not None and now >= self.down_at and not self.down_gateway:
            self.take_gateway_down()
        dev = rng.choice(self.active)
        if self.sent == FIRST_REJOIN or (self.sent > FIRST_REJOIN and rng.random() < 1 / 3000):
            dev.f_cnt = 0
            dev.dev_addr = f"{rng.randrange(1 << 25):08X}"
        elif rng.random() < LOSS_PROBABILITY:
            dev.f_cnt += rng.randint(1, 3)  # uplinks no gateway heard
        doc = self.application_up(dev, now)
        if dev.f_cnt == 0:  # The Things Stack's JSON leaves zero values out
            del doc["uplink_message"]["f_cnt"]  # type: ignore[attr-defined]
        dev.f_cnt += 1
        payload = json.dumps(doc, separators=(",", ":")).encode()
        if self.garbage and self.sent % GARBAGE_EVERY == 0:
            payload = self._break(doc, payload)
        return self.topic(dev), payload

    def application_up(self, dev: SimDevice, now: float) -> dict[str, object]:
        rng = self.rng
        sf = dev.spreading_factor
        f_port, frm, decoded = self._payload(dev)
        when = datetime.fromtimestamp(now, UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")
        channel = rng.randrange(len(CHANNELS_HZ))
        rx = []
        for n, gw in enumerate(dev.gateways):
            rssi = round(dev.base_rssi + rng.gauss(0, 3) - 6 * n, 0)
            snr = round(max(SNR_FLOOR[sf] - 2, min(10.0, (rssi + 112) / 3.5 + rng.gauss(0, 1.5))), 2)
            gateway_id, eui = GATEWAYS[gw]
            lat, lon = GATEWAY_LOCATIONS[gw]
            rx.append(
                {
                    "gateway_ids": {"gateway_id": gateway_id, "eui": eui},
                    "time": when,
                    "timestamp": rng.randrange(1 << 32),
                    "rssi": int(rssi),
                    "channel_rssi": int(rssi),
                    "snr": snr,
                    "uplink_token": base64.b64encode(rng.randbytes(12)).decode(),
                    "channel_index": channel,
                    "received_at": when,
                    "location": {"latitude": lat, "longitude": lon, "altitude": 12, "source": "SOURCE_REGISTRY"},
                }
            )
        return {
            "end_device_ids": {
                "device_id": dev.device_id,
                "application_ids": {"application_id": dev.application_id},
                "dev_eui": dev.dev_eui,
                "join_eui": "0000000000000000",
                "dev_addr": dev.dev_addr,
            },
            "correlation_ids": [f"as:up:{rng.randbytes(13).hex().upper()}"],
            "received_at": when,
            "uplink_message": {
                "session_key_id": base64.b64encode(dev.dev_addr.encode()).decode(),
                "f_port": f_port,
                "f_cnt": dev.f_cnt,
                "frm_payload": base64.b64encode(frm).decode(),
                "decoded_payload": decoded,
                "rx_metadata": rx,
                "settings": {
                    "data_rate": {"lora": {"bandwidth": 125000, "spreading_factor": sf, "coding_rate": "4/5"}},
                    "frequency": str(CHANNELS_HZ[channel]),
                    "timestamp": rng.randrange(1 << 32),
                },
                "received_at": when,
                "consumed_airtime": f"{airtime(len(frm), sf):.6f}s",
                "network_ids": {"net_id": "000013", "tenant_id": "ttes", "cluster_id": "eu1"},
            },
        }

    def _payload(self, dev: SimDevice) -> tuple[int, bytes, dict[str, object]]:
        rng, s = self.rng, dev.state
        battery = round(rng.uniform(3.3, 3.65), 2)
        if dev.application_id == "motion-sensors":
            occupied = rng.random() < 0.3
            s["motion"] += rng.randint(1, 9) if occupied else 0
            return (
                1,
                struct.pack(">BHH", occupied, int(s["motion"]) & 0xFFFF, int(battery * 1000)),
                {"occupancy": int(occupied), "motion_count": int(s["motion"]), "battery_voltage": battery},
            )
        if dev.application_id == "climate-sensors":
            s["temp"] += rng.gauss(0, 0.2)
            s["hum"] = min(99.0, max(5.0, s["hum"] + rng.gauss(0, 0.5)))
            t, h = round(s["temp"], 1), round(s["hum"], 1)
            return (
                2,
                struct.pack(">hHH", int(t * 10), int(h * 10), int(battery * 1000)),
                {"temperature": t, "humidity": h, "battery_voltage": battery},
            )
        s["lat"] += rng.gauss(0, 0.0005)
        s["lon"] += rng.gauss(0, 0.0005)
        lat, lon, alt, sats = round(s["lat"], 6), round(s["lon"], 6), rng.randint(0, 40), rng.randint(4, 12)
        return (
            136,
            struct.pack(">iiHB", int(lat * 1e6), int(lon * 1e6), alt, sats),
            {"latitude": lat, "longitude": lon, "altitude": alt, "sats": sats, "hdop": round(rng.uniform(0.7, 3), 1)},
        )

    def _break(self, doc: dict[str, object], payload: bytes) -> bytes:
        kind = (self.sent // GARBAGE_EVERY) % 4
        if kind == 0:
            return payload[: self.rng.randrange(10, max(11, len(payload) - 1))]
        if kind == 1:
            up = dict(doc["uplink_message"])  # type: ignore[call-overload]
            up["f_cnt"], up["rx_metadata"], up["settings"] = "NaN", {"rssi": "strong"}, [1, 2]
            return json.dumps({**doc, "uplink_message": up}).encode()
        if kind == 2:
            return b"\x00\xff\xfe" + self.rng.randbytes(40)
        return json.dumps({**doc, "padding": "A" * 200_000}).encode()

    async def run(
        self,
        publish: Callable[[str, bytes], Awaitable[None]],
        rate: float,
        clock: Callable[[], float],
        sleep: Callable[[float], Awaitable[None]],
    ) -> None:
        """Publish about ``rate`` messages a second until cancelled (batched every 50 ms at high rates)."""
        tick = max(0.05, 1.0 / rate) if rate > 0 else 1.0
        start = clock()
        if self.gateway_down_after is not None and self.down_at is None:
            self.down_at = start + self.gateway_down_after
        due = 0.0
        while True:
            due += rate * tick
            while self.sent < int(due):
                await publish(*self.next_message(clock()))
            next_at = start + tick * math.ceil((clock() - start) / tick + 1e-9)
            await sleep(max(0.0, next_at - clock()))


def airtime(payload_len: int, sf: int, bandwidth: int = 125_000) -> float:
    """LoRa time on air in seconds (Semtech AN1200.13), 13-byte LoRaWAN overhead, CR 4/5, 8 preamble symbols."""
    t_sym = (2**sf) / bandwidth
    low_dr = 1 if sf >= 11 else 0
    n = 8 + max(math.ceil((8 * (payload_len + 13) - 4 * sf + 28 + 16) / (4 * (sf - 2 * low_dr))) * 5, 0)
    return float((8 + 4.25) * t_sym + n * t_sym)
