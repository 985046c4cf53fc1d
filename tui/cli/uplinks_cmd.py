"""Show the live AWS IoT uplink feed: every device's uplinks with radio values and lost-uplink gaps.

With --json each uplink is one NDJSON line: received_at, application_id, device_id, dev_eui,
f_port, f_cnt, gap (uplinks lost just before this one; 0 on a device's first uplink or after a
rejoin; null without f_cnt), rssi, snr (best gateway), spreading_factor, bandwidth, frequency,
gateways, decoded_payload, topic; "problems" is added for messages that did not parse cleanly.
QoS 1 redeliveries (a device's f_cnt seen again) are printed once.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from datetime import datetime

from services.core.aws import AwsClients
from services.core.errors import ConsoleError
from services.core.safe_text import safe_json, safe_text
from services.health.iot_check import telemetry_enabled, telemetry_off_sentence
from services.stack.model import load_stack
from services.uplinks.devices import DeviceTracker, Seen
from services.uplinks.feed import UplinkFeed, silence_hint
from services.uplinks.forms import uplink_as_json
from services.uplinks.gateways import GatewayTracker
from services.uplinks.model import Uplink
from tui.cli.batch_output import BatchOutput
from tui.cli.session import Session
from tui.cli.uplinks_gateways import Discard, print_gateways

# A closed pipe (`… | head`) ends the command quietly, as it does other Unix filters.
STREAMS_TO_STDOUT = True


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--app", metavar="ID", help="only this application")
    parser.add_argument("--device", metavar="ID", help="only this device")
    parser.add_argument("--count", metavar="N", type=int, help="stop after N uplinks")
    parser.add_argument("--seconds", metavar="S", type=float, help="stop after S seconds")
    parser.add_argument("--json", action="store_true", help="NDJSON, one uplink per line")
    parser.add_argument(
        "--gateways", action="store_true", help="no uplink lines: a summary per gateway when the feed stops"
    )


def plain_line(uplink: Uplink, gap: int | None, seen: Seen) -> str:
    """``10:15:02  motion-sensors/eui-…  f_cnt 42 +2 lost  port 1  SF9/125  868.3 MHz  -97 dBm  7.2 dB  2 gw  {…}``"""
    when = datetime.fromtimestamp(uplink.timestamp).strftime("%H:%M:%S")
    who = f"{uplink.application_id}/{uplink.device_id}"
    if not uplink.ok and uplink.f_cnt is None:
        return safe_text(f"{when}  {who}  UNREADABLE: {'; '.join(uplink.problems)}")
    marker = " rejoin" if seen is Seen.RESET else (f" +{gap} lost" if gap else "")
    parts = [when, who, f"f_cnt {uplink.f_cnt}{marker}", f"port {uplink.f_port}"]
    if uplink.spreading_factor:
        parts.append(f"SF{uplink.spreading_factor}/{(uplink.bandwidth or 0) // 1000}")
    if uplink.frequency:
        parts.append(f"{uplink.frequency / 1e6:.1f} MHz")
    if uplink.best_rssi is not None:
        parts.append(f"{uplink.best_rssi:.0f} dBm")
    if uplink.best_snr is not None:
        parts.append(f"{uplink.best_snr:.1f} dB")
    parts.append(f"{len(uplink.gateways)} gw")
    if uplink.decoded_payload:
        parts.append(json.dumps(uplink.decoded_payload, ensure_ascii=False, separators=(",", ":"))[:80])
    if uplink.problems:
        parts.append(f"({len(uplink.problems)} problem(s): {uplink.problems[0]})")
    return safe_text("  ".join(parts))


async def _telemetry_check(session: Session) -> None:
    """Refuse to wait on a feed the stack never fills; say nothing if the stack cannot be read."""
    try:
        stack = await asyncio.wait_for(load_stack(AwsClients(session.profile)), 15)
    except (ConsoleError, TimeoutError):
        return
    if telemetry_enabled(stack) is False:
        raise ConsoleError(telemetry_off_sentence(stack))


async def run(args: argparse.Namespace, session: Session) -> int:
    if args.count is not None and args.count < 1:
        raise ConsoleError("--count must be at least 1.")
    await _telemetry_check(session)
    tracker = DeviceTracker()
    duplicates = 0
    gateways = GatewayTracker() if args.gateways else None
    output = BatchOutput(args.count, out=Discard() if gateways is not None else None)
    if not args.json:
        print("connecting…", file=sys.stderr, flush=True)
    async with UplinkFeed(session.profile, app=args.app, device=args.device) as feed:
        if not args.json:
            status = feed.status()
            print(
                safe_text(
                    f"subscribed to {status.connections[0].topic_filter} on {status.endpoint}:{status.port} "
                    f"({status.auth})"
                ),
                file=sys.stderr,
                flush=True,
            )
        started = time.monotonic()
        deadline = started + args.seconds if args.seconds is not None else None
        batches = feed.batches(idle=0.25)
        hinted = False
        while deadline is None or time.monotonic() < deadline:
            batch = await anext(batches)
            hint = "" if hinted else silence_hint(batch.status, time.monotonic() - started)
            if hint:
                hinted = True
                print(f"ttes-console: {hint}", file=sys.stderr, flush=True)
            for uplink in batch.uplinks:
                obs = tracker.observe(uplink)
                if obs.seen is Seen.DUPLICATE:
                    duplicates += 1
                    continue
                if gateways is not None:
                    gateways.observe(uplink)
                if args.json:
                    line = safe_json(uplink_as_json(uplink, obs.gap))
                else:
                    line = plain_line(uplink, obs.gap, obs.seen)
                if output.add(line):
                    break
            output.flush()
            if output.done:
                break
        dropped = feed.dropped
    if gateways is not None:
        print_gateways(gateways, args.json)
    if dropped:
        print(f"ttes-console: {dropped} uplinks were dropped because output could not keep up.", file=sys.stderr)
    if duplicates and not args.json:
        print(f"{duplicates} redelivered uplink(s) shown once.", file=sys.stderr)
    return 1 if dropped else 0
