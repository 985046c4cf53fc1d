"""Show the service journal over SSH (``journalctl -u <unit>`` on the instance).

Without -f prints the last entries and exits; with -f keeps following, reconnecting and resuming
after the last entry printed, so no entry is lost or printed twice. Remote text is printed as
text: control and escape characters appear as \\xNN.
"""

from __future__ import annotations

import argparse
import json
import re
import sys

from services.core.errors import ConfigError, Unreachable
from services.core.safe_text import safe_json, safe_text
from services.journal.follow import StreamState
from services.journal.parse import LEVELS, JournalEntry, level_at_least, normalise_level
from tui.cli.batch_output import BatchOutput
from tui.cli.session import Session

# A closed pipe (`… | head`) ends the command quietly, as it does other Unix filters.
STREAMS_TO_STDOUT = True


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-n", "--lines", type=int, metavar="N", help="start with the last N entries")
    parser.add_argument("-f", "--follow", action="store_true", help="keep following new entries")
    parser.add_argument("--count", type=int, metavar="N", help="stop after printing N entries")
    parser.add_argument("--grep", metavar="RE", help="only entries whose message matches this regex")
    parser.add_argument("--level", metavar="L", help=f"minimum level: {', '.join(LEVELS)}")
    parser.add_argument("--json", action="store_true", help="NDJSON, one entry per line")
    parser.add_argument(
        "--give-up",
        type=float,
        metavar="S",
        help="with -f: end with exit 1 once the stream has been lost S seconds (default: journal.give_up_seconds "
        "of the profile, 300; 0 never)",
    )


def format_plain(entry: JournalEntry) -> str:
    """One line: time, level, namespace, message and the stack's fields, all neutralised."""
    extra = " ".join(
        f"{k}={v if isinstance(v, str) else json.dumps(v)}"
        for k, v in entry.fields.items()
        if k != "namespace" and not k[:1].isupper() and not k.startswith("_")
    )
    ts = entry.timestamp.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    ns = f" {entry.namespace}:" if entry.namespace else ""
    return safe_text(f"{ts} {entry.level:<5}{ns} {entry.message}" + (f"  {extra}" if extra else ""))


def format_json(entry: JournalEntry) -> str:
    return safe_json(entry.to_json())


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
    give_up = session.profile.journal.give_up_seconds if args.give_up is None else args.give_up
    if not give_up >= 0 or give_up == float("inf"):
        raise ConfigError(f"--give-up must be a number of seconds, 0 or more, not {args.give_up!r}.")
    host = await resolve_host(session.profile)
    fmt = format_json if args.json else format_plain
    output = BatchOutput(args.count)
    stream = follow_journal(session.profile, host, lines=args.lines, follow=args.follow, give_up_after=give_up or None)
    report = StreamReport(host, as_json=args.json, out=output)
    try:
        async for batch in stream:
            report.state(batch.state)
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
    except Unreachable as exc:
        report.gave_up(str(exc))
        raise
    finally:
        await stream.aclose()
    return 0


QUIET_SECONDS = 1.0


class StreamReport:
    """Says when the stream is lost and found again: stderr text, or ``{"event": …}`` NDJSON lines.

    A drop mended by the first reconnect within a second is not reported. The events go to stdout between the entries, so a script reading the NDJSON sees in one place
    when and for how long nothing could arrive (a dead host must not look like a quiet journal).
    """

    def __init__(self, host: str, *, as_json: bool, out: BatchOutput) -> None:
        self.host = host
        self.as_json = as_json
        self.out = out
        self.last: StreamState | None = None
        self.reported = False  # a loss was reported: its end will be too

    def state(self, state: StreamState) -> None:
        last, self.last = self.last, state
        if last is None or state == last:
            return
        if state.phase == "reconnecting" and state.attempt != last.attempt:
            if state.attempt < 2 and state.without_data < QUIET_SECONDS:
                return  # a blip the first reconnect usually mends (ssh-flaky): no noise
            self.reported = True
            self._event(
                {
                    "event": "reconnecting",
                    "host": self.host,
                    "attempt": state.attempt,
                    "seconds_without_data": round(state.without_data, 1),
                    "reason": safe_text(state.last_error),
                },
                f"journal stream from {self.host} lost ({safe_text(state.last_error)}); reconnect attempt "
                f"{state.attempt}, no data for {state.without_data:.0f} s",
            )
        elif state.phase == "streaming" and last.phase == "reconnecting" and self.reported:
            self.reported = False
            lost = "" if state.verified_lost is None else f", {state.verified_lost} entries lost"
            self._event(
                {
                    "event": "reconnected",
                    "host": self.host,
                    "reconnects": state.reconnects,
                    "seconds_without_data": round(state.without_data, 1),
                    "resumed_after_cursor": state.resumed_after_cursor,
                },
                f"journal stream from {self.host} back after {state.without_data:.0f} s"
                + (", resumed after the last entry printed" if state.resumed_after_cursor else "")
                + lost,
            )

    def gave_up(self, sentence: str) -> None:
        if self.as_json and self.last is not None and self.last.phase == "reconnecting":
            self._event({"event": "gave_up", "host": self.host, "reason": sentence}, "")

    def _event(self, record: dict[str, object], text: str) -> None:
        if self.as_json:
            self.out.flush()
            self.out.out.write(safe_json(record) + "\n")
            self.out.out.flush()
        else:
            print(f"ttes-console: {text}", file=sys.stderr, flush=True)
