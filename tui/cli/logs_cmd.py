"""Show the service journal over SSH (``journalctl -u <unit>`` on the instance).

Without -f prints the last entries and exits; with -f keeps following, reconnecting and resuming
after the last entry printed, so no entry is lost or printed twice. Remote text is printed as
text: control and escape characters appear as \\xNN.
"""

from __future__ import annotations

import argparse
import json
import re

from services.core.errors import ConfigError
from services.journal.parse import LEVELS, JournalEntry, level_at_least, normalise_level, printable
from tui.cli.batch_output import BatchOutput
from tui.cli.session import Session

# A closed pipe (`… | head`) ends the command quietly, as it does other Unix filters.
STREAMS_TO_STDOUT = True

_UNSAFE_JSON = re.compile("[\x7f-\x9f\u2028\u2029]")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-n", "--lines", type=int, metavar="N", help="start with the last N entries")
    parser.add_argument("-f", "--follow", action="store_true", help="keep following new entries")
    parser.add_argument("--count", type=int, metavar="N", help="stop after printing N entries")
    parser.add_argument("--grep", metavar="RE", help="only entries whose message matches this regex")
    parser.add_argument("--level", metavar="L", help=f"minimum level: {', '.join(LEVELS)}")
    parser.add_argument("--json", action="store_true", help="NDJSON, one entry per line")


def format_plain(entry: JournalEntry) -> str:
    """One line: time, level, namespace, message and the stack's fields, all neutralised."""
    extra = " ".join(
        f"{k}={v if isinstance(v, str) else json.dumps(v)}"
        for k, v in entry.fields.items()
        if k != "namespace" and not k[:1].isupper() and not k.startswith("_")
    )
    ts = entry.timestamp.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    ns = f" {entry.namespace}:" if entry.namespace else ""
    return printable(f"{ts} {entry.level:<5}{ns} {entry.message}" + (f"  {extra}" if extra else ""))


def format_json(entry: JournalEntry) -> str:
    text = json.dumps(entry.to_json(), ensure_ascii=False, default=str)
    return _UNSAFE_JSON.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


async def run(args: argparse.Namespace, session: Session) -> int:
    from services.core.ssh import resolve_host
    from services.journal.follow import follow_journal

    pattern = None
    if args.grep:
        try:
            pattern = re.compile(args.grep)
        except re.error as exc:
            raise ConfigError(f"--grep {args.grep!r} is not a valid regular expression: {exc}.") from None
    minimum = ""
    if args.level:
        minimum = normalise_level(args.level)
        if not minimum:
            raise ConfigError(f"--level must be one of {', '.join(LEVELS)}, not {args.level!r}.")
    if args.count is not None and args.count <= 0:
        return 0
    host = await resolve_host(session.profile)
    fmt = format_json if args.json else format_plain
    output = BatchOutput(args.count)
    stream = follow_journal(session.profile, host, lines=args.lines, follow=args.follow)
    try:
        async for batch in stream:
            for entry in batch.entries:
                if minimum and not level_at_least(entry.level, minimum):
                    continue
                if pattern is not None and not pattern.search(entry.message):
                    continue
                if output.add(fmt(entry)):
                    break
            output.flush()
            if output.done:
                break
    finally:
        await stream.aclose()
    return 0
