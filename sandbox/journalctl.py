"""``journalctl``'s command line (the options the console uses) over a :class:`JournalGen`.

``-u``, ``-o json``, ``-f``, ``-n``, ``--no-tail``, ``--after-cursor``, ``--since``/``--until``
(``@epoch``, ``-2h``, dates), ``-p`` (a level or ``FROM..TO``), ``-g``/``--grep`` (smart case, on
MESSAGE), ``--output-fields`` and ``FIELD=VALUE`` matches on the fields the generator writes.

Shared by the sandbox SSH server and ``python -m sandbox.journalctl``, the fake ``journalctl``
that the end-to-end tests put on a real sshd's PATH.
"""

from __future__ import annotations

import json
import re
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sandbox.journal_gen import BOOT_ID, JournalGen, chunks


class JournalctlUsage(Exception):
    """What journalctl prints to stderr before exiting 1."""


@dataclass
class JournalctlQuery:
    """The entries a journalctl invocation prints, then whether it keeps following."""

    unit: str = ""
    output: str = "short"
    lines: int | None = None
    follow: bool = False
    no_tail: bool = False
    since: str = ""
    until: str = ""
    after_cursor: str = ""
    priority: int | None = None  # -p: entries at this syslog priority or more urgent
    grep: str = ""  # -g: a regular expression MESSAGE must match
    matches: tuple[tuple[str, str], ...] = ()  # FIELD=VALUE arguments (all must hold)
    output_fields: tuple[str, ...] = ()  # --output-fields: only these (and the cursor, times, boot id)

    @property
    def filtered(self) -> bool:
        return self.priority is not None or bool(self.grep or self.matches or self.until or self.output_fields)


_CURSOR_SEQ = re.compile(r"(?:^|;)i=([0-9a-f]+)(?:;|$)")
_RELATIVE = re.compile(r"^-(\d+)\s*(s|sec|m|min|h|d)?$")
_PRIORITIES = ("emerg", "alert", "crit", "err", "warning", "notice", "info", "debug")
_MATCH = re.compile(r"^[A-Z0-9_]+=")


def _priority(text: str) -> int:
    """``-p``'s argument: a name or number, or a range ``FROM..TO`` (its least urgent end counts)."""
    last = text.split("..")[-1] if ".." in text else text
    if last.isdigit() and int(last) < 8:
        return int(last)
    if last in _PRIORITIES:
        return _PRIORITIES.index(last)
    raise JournalctlUsage(f"journalctl: Failed to parse priority value: {text}")


def parse_journalctl(argv: Sequence[str]) -> JournalctlQuery:
    """Parse journalctl's options (the subset the console uses); raises JournalctlUsage."""
    q = JournalctlQuery()
    args = list(argv)
    i = 0

    def value(opt: str, inline: str | None) -> str:
        nonlocal i
        if inline is not None:
            return inline
        i += 1
        if i >= len(args):
            raise JournalctlUsage(f"journalctl: option '{opt}' requires an argument")
        return args[i]

    while i < len(args):
        arg = args[i]
        name, eq, inline_value = arg.partition("=")
        inline = inline_value if eq else None
        if arg.startswith("-n") and not arg.startswith("--") and len(arg) > 2:
            name, inline = "-n", arg[2:]
        if name in ("-u", "--unit"):
            q.unit = value(name, inline)
        elif name in ("-o", "--output"):
            q.output = value(name, inline)
        elif name in ("-n", "--lines"):
            text = value(name, inline)
            if not text.isdigit():
                raise JournalctlUsage(f"journalctl: Failed to parse lines '{text}'")
            q.lines = int(text)
        elif name in ("-f", "--follow"):
            q.follow = True
        elif name == "--no-tail":
            q.no_tail = True
        elif name in ("-S", "--since"):
            q.since = value(name, inline)
        elif name in ("-U", "--until"):
            q.until = value(name, inline)
        elif name in ("-p", "--priority"):
            q.priority = _priority(value(name, inline))
        elif name in ("-g", "--grep"):
            q.grep = value(name, inline)
            try:
                re.compile(q.grep)
            except re.error:
                raise JournalctlUsage(f'journalctl: Bad pattern "{q.grep}"') from None
        elif name == "--output-fields":
            q.output_fields = tuple(f for f in value(name, inline).split(",") if f)
        elif _MATCH.match(arg):
            q.matches = (*q.matches, (name, inline_value))
        elif name == "--after-cursor":
            q.after_cursor = value(name, inline)
        elif name in ("--no-pager", "-q", "--quiet", "--all", "-a"):
            pass
        else:
            raise JournalctlUsage(f"journalctl: unrecognized option '{arg}'")
        i += 1
    if q.output != "json":
        raise JournalctlUsage(f"journalctl: this simulated journal only speaks -o json, not '{q.output}'")
    return q


def _since_us(text: str, now: float) -> int:
    if text.startswith("@"):
        return int(float(text[1:]) * 1_000_000)
    rel = _RELATIVE.match(text)
    if rel:
        unit = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "d": 86400}[rel.group(2) or "s"]
        return int((now - int(rel.group(1)) * unit) * 1_000_000)
    for fmt in ("%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d"):
        try:
            return int(datetime.strptime(text.removesuffix(" UTC"), fmt).replace(tzinfo=UTC).timestamp() * 1_000_000)
        except ValueError:
            continue
    raise JournalctlUsage(f"journalctl: Failed to parse timestamp: {text}")


def first_seq(gen: JournalGen, q: JournalctlQuery, now: float) -> int:
    """Where the output starts (the cursor wins over --since, which wins over -n)."""
    head = gen.head(now)
    if q.after_cursor:
        match = _CURSOR_SEQ.search(q.after_cursor)
        if not match:
            raise JournalctlUsage("journalctl: Failed to seek to cursor: Invalid argument")
        return int(match.group(1), 16) + 1
    if q.since:
        return gen.first_since(_since_us(q.since, now))
    lines = q.lines if q.lines is not None else (10 if q.follow and not q.no_tail else None)
    if lines is None:
        return 1
    return max(1, head - lines + 1)


def last_seq(gen: JournalGen, q: JournalctlQuery, now: float) -> int:
    """Where the output ends: the head, or the last entry at or before ``--until``."""
    head = gen.head(now)
    if not q.until:
        return head
    return min(head, gen.first_since(_since_us(q.until, now) + 1) - 1)


def _fields(priority: int, ident: str, unit: str) -> dict[str, str]:
    """The journald fields a match can name, as the generator writes them."""
    systemd = ident == "systemd"
    return {
        "PRIORITY": str(priority),
        "SYSLOG_IDENTIFIER": ident,
        "_PID": "1" if systemd else "2417",
        "_SYSTEMD_UNIT": "init.scope" if systemd else unit,
        "UNIT": unit if systemd else "",
    }


def _message_text(message: object) -> str:
    if isinstance(message, list):
        return bytes(message).decode("utf-8", errors="replace")
    return message if isinstance(message, str) else ""


def select(gen: JournalGen, q: JournalctlQuery, start: int, end: int, size: int = 500) -> Iterator[bytes]:
    """Entries ``start..end`` that pass the query's filters, as journalctl output in chunks."""
    if not q.filtered:
        yield from chunks(gen, start, end, size)
        return
    flags = 0 if any(c.isupper() for c in q.grep) else re.IGNORECASE  # journalctl's "smart case"
    pattern = re.compile(q.grep, flags) if q.grep else None
    batch: list[bytes] = []
    for seq in range(start, end + 1):
        message, priority, ident = gen.message(seq)
        if q.priority is not None and priority > q.priority:
            continue
        if q.matches:
            fields = _fields(priority, ident, gen.unit)
            if any(fields.get(k) != v for k, v in q.matches):
                continue
        if pattern is not None and not pattern.search(_message_text(message)):
            continue
        batch.append(
            _compact(gen, seq, message, priority, ident, q.output_fields) if q.output_fields else gen.line(seq)
        )
        if len(batch) >= size:
            yield b"".join(batch)
            batch = []
    if batch:
        yield b"".join(batch)


def _compact(gen: JournalGen, seq: int, message: object, priority: int, ident: str, wanted: tuple[str, ...]) -> bytes:
    """An entry with ``--output-fields``: journalctl always adds the cursor, both times and the boot id."""
    rt = gen.realtime_us(seq)
    mono = rt - int((gen.t0 - 86_400) * 1_000_000)
    fields = _fields(priority, ident, gen.unit)
    parts = [
        f'"__CURSOR":"{gen.cursor(seq)}","__REALTIME_TIMESTAMP":"{rt}","__MONOTONIC_TIMESTAMP":"{mono}"',
        f'"__SEQNUM":"{seq}","_BOOT_ID":"{BOOT_ID}"',
    ]
    parts += [f'"{name}":{json.dumps(fields[name])}' for name in wanted if fields.get(name)]
    if "MESSAGE" in wanted:
        parts.append(f'"MESSAGE":{json.dumps(message)}')
    return ("{" + ",".join(parts) + "}\n").encode()


def unit_matches(gen: JournalGen, unit: str) -> bool:
    return not unit or unit in (gen.unit, gen.unit.removesuffix(".service"))


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m sandbox.journalctl --t0 EPOCH [--scenario S] [--rate R] -- <journalctl args>``."""
    args = list(sys.argv[1:] if argv is None else argv)
    t0, rate, scenarios = time.time(), 20.0, set()
    while args and args[0] != "--":
        opt = args.pop(0)
        if opt == "--t0":
            t0 = float(args.pop(0))
        elif opt == "--rate":
            rate = float(args.pop(0))
        elif opt == "--scenario":
            scenarios.add(args.pop(0))
    args = args[1:]
    gen = JournalGen(t0=t0, scenarios=frozenset(scenarios), rate=rate)
    out = sys.stdout.buffer
    try:
        q = parse_journalctl(args)
        now = time.time()
        if not unit_matches(gen, q.unit):
            return 0
        start, head = first_seq(gen, q, now), last_seq(gen, q, now)
        for chunk in select(gen, q, start, head):
            out.write(chunk)
        out.flush()
        while q.follow:
            time.sleep(0.05)
            new_head = gen.head()
            for chunk in select(gen, q, max(start, head + 1), new_head):
                out.write(chunk)
            out.flush()
            head = max(head, new_head)
    except JournalctlUsage as exc:
        print(str(exc), file=sys.stderr)
        return 1
    except (BrokenPipeError, KeyboardInterrupt):
        return 0
    return 0


if __name__ == "__main__":  # the fake journalctl of the end-to-end tests
    sys.exit(main())
