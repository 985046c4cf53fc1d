"""A Markdown hand-over of the last hours: the stack and its health now, health transitions, top
errors with counts and first/last seen, uplink traffic against the day before, changes, the
snapshots, change sets and restarts done (who, when), and what is still failing (silent devices
included).

Written to stdout, or to FILE with -o (mode 0600). Exit 0, or 1 when nothing could be read from
the deployment.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path

from services.core.aws import AwsClients
from services.core.errors import ConsoleError
from services.health.run import run_checks
from services.stack.model import load_stack
from services.timeline.assemble import build_timeline, nothing_read
from services.timeline.model import parse_range
from services.timeline.report import HealthNow, render_report
from tui.cli.session import Session

WARM_IMPORTS = ("boto3", "asyncssh", "dns.asyncresolver", "cryptography.x509")
HEALTH_TIMEOUT = 60.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--since", default="24h", metavar="DURATION", help="how far back: 90m, 6h, 7d (default 24h)")
    parser.add_argument("-o", "--output", metavar="FILE", type=Path, help="write the report here instead of stdout")


async def _health(session: Session) -> list[HealthNow]:
    try:
        results = await asyncio.wait_for(run_checks(session.profile), HEALTH_TIMEOUT)
    except (ConsoleError, TimeoutError):
        return []
    return [HealthNow(r.name, r.status.value, r.summary) for r in results]


async def _stack_status(clients: AwsClients) -> str:
    try:
        return (await load_stack(clients)).status
    except ConsoleError as exc:
        return f"unknown ({exc})"


async def run(args: argparse.Namespace, session: Session) -> int:
    span = parse_range(args.since)
    clients = AwsClients(session.profile)
    timeline, health, status = await asyncio.gather(
        build_timeline(session.profile, span, clients=clients), _health(session), _stack_status(clients)
    )
    text = render_report(
        timeline, stack_name=session.profile.stack, region=session.profile.region, stack_status=status, health=health
    )
    if args.output:
        try:
            fd = os.open(args.output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
        except OSError as exc:
            raise ConsoleError(
                f"Cannot write the report to {args.output}: {exc.strerror}; choose another -o FILE."
            ) from None
        print(f"Report written to {args.output}.", file=sys.stderr)
    else:
        sys.stdout.write(text)
        sys.stdout.flush()
    return 1 if nothing_read(timeline) else 0
