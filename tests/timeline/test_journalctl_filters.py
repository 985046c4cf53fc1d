"""The simulated journalctl's filters (-p, --grep, --until, FIELD=VALUE) and the timeline's grouping of what they return."""

from __future__ import annotations

import json

import pytest

from sandbox.history import Story, journal_overrides, journal_prelude
from sandbox.journal_gen import JournalGen
from sandbox.journalctl import JournalctlUsage, first_seq, last_seq, parse_journalctl, select
from services.timeline.journal_source import WARNING_GREP, group_warnings, unit_lifecycle

T0 = 1_764_150_000.0


def _gen() -> JournalGen:
    story = Story(T0)
    return JournalGen(t0=T0, backlog=3000, prelude=journal_prelude(story), overrides=journal_overrides(3000))


def _run(gen: JournalGen, *argv: str, now: float = T0 + 60) -> list[dict[str, object]]:
    q = parse_journalctl([*argv, "-o", "json"])
    out = b"".join(select(gen, q, first_seq(gen, q, now), last_seq(gen, q, now)))
    return [json.loads(line) for line in out.splitlines()]


def test_grep_keeps_only_the_stacks_warnings_and_errors() -> None:
    gen = _gen()
    got = _run(gen, "-u", "lorawan-stack.service", "--since", f"@{int(T0 - 3600)}", "--grep", WARNING_GREP)
    assert got
    assert all(str(e["MESSAGE"]).split("\t")[0] in ("WARN", "ERROR") for e in got)


def test_priority_until_and_field_matches() -> None:
    gen = _gen()
    story = Story(T0)
    until = int(story.restart + 30)
    got = _run(gen, "UNIT=lorawan-stack.service", "_PID=1", "--since", f"@{int(T0 - 3 * 3600)}", "--until", f"@{until}")
    assert [e["MESSAGE"] for e in got] == [
        "Stopping The Things Stack...",
        "lorawan-stack.service: Deactivated successfully.",
        "Stopped The Things Stack.",
        "Started The Things Stack.",
    ]
    assert all(int(str(e["__REALTIME_TIMESTAMP"])) <= until * 1_000_000 for e in got)
    assert _run(gen, "-p", "warning", "--since", f"@{int(T0 - 3600)}") == []  # the stack logs at PRIORITY 6
    with pytest.raises(JournalctlUsage):
        parse_journalctl(["-p", "loud", "-o", "json"])


def test_new_messages_are_marked_once_and_routine_ones_never() -> None:
    gen = _gen()
    story = Story(T0)
    since = story.restart - 3600
    q = parse_journalctl(["--since", f"@{int(since - 3600)}", "--grep", WARNING_GREP, "-o", "json"])
    lines = b"".join(select(gen, q, first_seq(gen, q, T0), last_seq(gen, q, T0))).splitlines()
    items, figures = group_warnings(lines, since)
    new = [i for i in items if i.new]
    assert [i.summary.split(":")[0] for i in new] == ["NEW Task failed (networkserver)"]
    assert new[0].time.timestamp() >= story.redis_errors - 1
    assert figures["warnings"] == sum(i.count for i in items)
    assert all(i.ref.startswith("journal:s=") for i in items)


def test_unit_lifecycle_names_starts_stops_and_crashes() -> None:
    def line(seq: int, message: str) -> bytes:
        fields = {"__CURSOR": f"s=x;i={seq:x}", "__REALTIME_TIMESTAMP": str(int(T0 * 1e6) + seq), "__SEQNUM": str(seq)}
        return json.dumps({**fields, "PRIORITY": "5", "_PID": "1", "MESSAGE": message}).encode()

    items = unit_lifecycle(
        [
            line(1, "Started The Things Stack."),
            line(2, "lorawan-stack.service: Main process exited, code=exited, status=255/EXCEPTION"),
            line(3, "lorawan-stack.service: Scheduled restart job, restart counter is at 5."),
            line(4, "Stopped The Things Stack."),
            line(5, "Reloading."),
        ]
    )
    assert [(i.kind, i.severity) for i in items] == [
        ("start", "notice"),
        ("failed", "error"),
        ("restart", "warning"),
        ("stop", "warning"),
    ]
