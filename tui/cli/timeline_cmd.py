"""What changed, and when: every source in time order over a range (stack events, the journal's
warnings and the unit's starts/stops, health transitions, AWS IoT uplinks, devices the live feed
saw go silent, RDS and ElastiCache events, EC2 scheduled events, the audit log).

Each source is read at once with its own timeout; one that fails prints one line saying so and
the others still show. Exit 0, or 1 when nothing could be read from the deployment.
--json prints NDJSON in time order, one shape for all sources:
{"time", "source", "kind", "severity", "summary", "ref", "count", "new"}.
"""

from __future__ import annotations

import argparse
import json
import sys

from services.timeline.assemble import build_timeline, nothing_read
from services.timeline.model import SOURCES, TimelineItem, parse_range
from tui.cli.session import Session

WARM_IMPORTS = ("boto3", "asyncssh")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--since", default="2h", metavar="DURATION", help="how far back: 90m, 2h, 7d (default 2h)")
    parser.add_argument(
        "--source",
        action="extend",
        nargs="+",
        choices=SOURCES,
        metavar="S",
        help=f"only these sources (repeatable): {', '.join(SOURCES)}",
    )
    parser.add_argument("--json", action="store_true", help="NDJSON, one item per line, in time order")


def plain_line(entry: TimelineItem) -> str:
    """``14:02:11  journal      error     NEW Task failed (networkserver): … ×4``"""
    return f"{entry.time:%Y-%m-%d %H:%M:%S}  {entry.source:<11}  {entry.severity:<8}  {entry.summary}"


async def run(args: argparse.Namespace, session: Session) -> int:
    span = parse_range(args.since)
    timeline = await build_timeline(session.profile, span, sources=args.source or SOURCES)
    out = sys.stdout
    for entry in timeline.items:
        out.write((json.dumps(entry.as_json(), ensure_ascii=False) if args.json else plain_line(entry)) + "\n")
    out.flush()
    if nothing_read(timeline):
        print("ttes-console: nothing could be read from the deployment; the lines above say why.", file=sys.stderr)
        return 1
    return 0
