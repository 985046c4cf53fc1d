"""Benchmark: what the uplink feed loses under ``broker-flaky``, split by when it was published.

    .venv/bin/python bench/broker_flaky.py [--seconds S] [--rate R] [--up U] [--down D]

The sandbox broker (amqtt, in this process) crashes every U seconds and stays down D seconds,
dropping every session, as in the ``broker-flaky`` scenario; its simulator publishes R uplinks a
second throughout. The console's feed (services.uplinks.feed, mTLS) subscribes for S seconds.

Printed: uplinks published while the broker was down (nobody could receive them), published
while it was up, received (unique device/f_cnt), lost although published while the broker was
up (the console's share: the time from the broker's return to the resubscription), duplicates,
reconnects, and the mean cost of one outage in seconds of uplinks. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


async def measure(seconds: float, rate: float, up: float, down: float) -> None:
    from sandbox.core import SandboxContext
    from sandbox.mqtt import MqttPart
    from services.core.config import IotSettings, Profile
    from services.uplinks.feed import UplinkFeed

    work = Path(tempfile.mkdtemp(prefix="bench-flaky-"))
    part = MqttPart(rate=rate, flaky_up=up, flaky_down=down)
    await part.start(SandboxContext(workdir=work, scenarios=frozenset({"broker-flaky"}), stack_name="ttes-demo"))
    profile = Profile(
        name="bench",
        stack="ttes-demo",
        iot=IotSettings(
            auth="mtls",
            endpoint="127.0.0.1",
            port=part.mtls_port,
            ca_file=part.ca_file,
            cert_file=part.cert_file,
            key_file=part.key_file,
        ),
    )
    seen: set[tuple[str, int | None]] = set()
    received = 0
    try:
        async with UplinkFeed(profile) as feed:
            published0, down0 = part.published, part.dropped_while_down
            deadline = time.monotonic() + seconds
            async for batch in feed.batches(idle=0.25):
                for uplink in batch.uplinks:
                    received += 1
                    seen.add((uplink.device_id, uplink.f_cnt))
                if time.monotonic() >= deadline:
                    break
            await asyncio.sleep(1.0)  # what was in flight at the deadline
            for batch_left in [feed._take(100_000)]:  # the bench drains what is queued
                for uplink in batch_left:
                    received += 1
                    seen.add((uplink.device_id, uplink.f_cnt))
            status = feed.status()
            published = part.published - published0
            while_down = part.dropped_while_down - down0
    finally:
        await part.stop()
        shutil.rmtree(work, ignore_errors=True)
    reconnects = sum(c.reconnects for c in status.connections)
    lost_up = max(0, published - len(seen))
    outages = max(1, reconnects)
    print(f"broker-flaky              up {up:g} s, down {down:g} s, {rate:g} uplinks/s, {seconds:g} s measured")
    print(f"published while down      {while_down:,} (lost by the broker: nobody could receive them)")
    print(f"published while up        {published:,}")
    print(f"received                  {len(seen):,} unique, {received - len(seen):,} duplicated")
    print(f"lost while the broker up  {lost_up:,} ({lost_up / outages / rate:.2f} s of uplinks per outage)")
    print(f"reconnects                {reconnects}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--up", type=float, default=5.0)
    parser.add_argument("--down", type=float, default=0.5)
    args = parser.parse_args()
    asyncio.run(measure(args.seconds, args.rate, args.up, args.down))
    return 0


if __name__ == "__main__":
    sys.exit(main())
