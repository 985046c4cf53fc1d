"""Benchmark: the Fleet screen over 50 stacks in 5 regions, beside one stack's checks alone; gateway statistics' cost.

    .venv/bin/python bench/fleet.py [--stacks N]

The sandbox runs with scenario ``fleet`` and ``TTES_SANDBOX_FLEET_STACKS=N`` (N TTES stacks across
five regions, each with its own Domain, DNS zone, certificate and Elastic IP; SSH, web, DNS and
moto are shared, as one process on loopback). Printed:

- one stack's fleet row alone (stack, DNS, TLS, HTTPS, plaintext, SSH, unit, CloudWatch uplinks,
  snapshots), the median of three: the baseline;
- the Fleet screen (a Textual app, headless, Pilot) from mount to every row filled;
- the fleet service alone (no screen), for the screen's share.

Then the uplink side, in this process: the time an uplink costs to parse, in the device tracker,
and in the gateway statistics; the gateway statistics' share of what the feed already spends on
an uplink. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


async def one_stack(profile: object) -> float:
    from services.fleet.rows import fleet_row

    started = time.perf_counter()
    row = await fleet_row(profile)  # type: ignore[arg-type]
    assert not row.error, row.error
    return time.perf_counter() - started


async def screen(profiles: list[object]) -> float:
    from tui.app import TtesConsoleApp
    from tui.screens.fleet import FleetScreen

    app = TtesConsoleApp(profiles[0], fleet=profiles, start_on_fleet=True)  # type: ignore[arg-type]
    async with app.run_test(size=(200, 50)) as pilot:
        fleet = app.screen
        assert isinstance(fleet, FleetScreen)
        while fleet.finished is None:
            await pilot.pause(0.02)
        unread = [r.profile for r in fleet.rows.values() if r.error]
        if unread:
            print(f"  unread rows: {unread}")
        return fleet.finished - fleet.started


async def service(profiles: list[object]) -> float:
    from services.fleet.rows import load_fleet

    started = time.perf_counter()
    await load_fleet(profiles)  # type: ignore[arg-type]
    return time.perf_counter() - started


def uplink_costs(messages: int = 50_000) -> None:
    from sandbox.uplink_sim import UplinkSimulator
    from services.uplinks.devices import DeviceTracker
    from services.uplinks.gateways import GatewayTracker
    from services.uplinks.parse import parse_message

    sim = UplinkSimulator("ttes-demo", devices=200)
    raw = [(*sim.next_message(1_000_000.0 + i / 100), 1_000_000.0 + i / 100) for i in range(messages)]
    uplinks = [parse_message(*m) for m in raw]

    def best(run: object) -> float:
        """µs an uplink, the best of five passes (the machine is shared: the best is the least disturbed)."""
        samples = []
        for _ in range(5):
            started = time.perf_counter()
            run()  # type: ignore[operator]
            samples.append((time.perf_counter() - started) / messages * 1e6)
        return min(samples)

    def observe_all(tracker: DeviceTracker | GatewayTracker) -> None:
        for uplink in uplinks:
            tracker.observe(uplink)

    parse = best(lambda: [parse_message(*m) for m in raw])
    devices = best(lambda: observe_all(DeviceTracker()))
    gateways = best(lambda: observe_all(GatewayTracker()))
    feed = parse + devices
    print(f"per uplink, in-process: parse {parse:.1f} µs   device tracker {devices:.1f} µs   gateway statistics {gateways:.1f} µs")
    print(
        f"gateway statistics add {gateways / feed:.1%} to the feed's own {feed:.1f} µs an uplink "
        f"(at AWS IoT's 100 msg/s per connection: {gateways * 100 / 1e4:.2f}% of a core)"
    )


async def fleet_figures(stacks: int) -> None:
    from sandbox.fleet import FLEET_STACKS_ENV
    from sandbox.process import SandboxProcess
    from services.fleet.profiles import load_profiles

    os.environ[FLEET_STACKS_ENV] = str(stacks)
    started = time.perf_counter()
    with (
        tempfile.TemporaryDirectory(prefix="bench-fleet-") as tmp,
        SandboxProcess(scenarios=["fleet"], workdir=Path(tmp)) as sandbox,
    ):
        print(f"sandbox with {stacks} stacks up in {time.perf_counter() - started:.1f} s")
        for key in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN"):
            os.environ.pop(key, None)
        os.environ.update(sandbox.environ)
        profiles = load_profiles(sandbox.config_path, environ={})
        regions = {p.region for p in profiles}
        await one_stack(profiles[0])  # warm imports and caches
        alone = statistics.median([await one_stack(profiles[i]) for i in (1, 2, 3)])
        whole = await screen(profiles)
        bare = await service(profiles)
    print(f"one stack's row alone        : {alone:6.2f} s   (baseline, median of 3)")
    print(f"Fleet screen, {len(profiles)} stacks / {len(regions)} regions: {whole:6.2f} s   mount to every row filled")
    print(f"fleet service alone          : {bare:6.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stacks", type=int, default=50)
    args = parser.parse_args()
    asyncio.run(fleet_figures(args.stacks))
    uplink_costs()


if __name__ == "__main__":
    main()
