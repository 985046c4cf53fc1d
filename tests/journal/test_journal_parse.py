"""Parsing journalctl -o json lines: TTS console and JSON formats, byte arrays, nulls, bad UTF-8."""

from __future__ import annotations

import contextlib
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sandbox.journal_gen import JournalGen
from services.core.safe_text import safe_text
from services.journal.parse import (
    JournalEntry,
    JournalParseError,
    JournalParser,
    decode_message,
    level_at_least,
    split_tts,
)


def _line(message: object, seq: int = 7, priority: str = "6") -> str:
    return json.dumps(
        {
            "__CURSOR": f"s=abc;i={seq:x}",
            "__SEQNUM": str(seq),
            "__REALTIME_TIMESTAMP": "1764150000123456",
            "PRIORITY": priority,
            "_PID": "2417",
            "MESSAGE": message,
        }
    )


def test_console_format_gives_level_message_and_fields() -> None:
    entry = JournalParser().parse(_line('INFO\tFinished unary call\t{"grpc.method": "Get", "namespace": "grpc"}'))
    assert (entry.level, entry.namespace, entry.message) == ("INFO", "grpc", "Finished unary call")
    assert entry.fields["grpc.method"] == "Get"
    assert entry.fields["_PID"] == "2417"
    assert entry.seqnum == 7
    assert entry.timestamp.isoformat() == "2025-11-26T09:40:00.123456+00:00"


def test_json_format() -> None:
    msg = json.dumps({"level": "warn", "msg": "Gateway missed too many pings", "namespace": "gatewayserver", "x": 1})
    entry = JournalParser().parse(_line(msg))
    assert (entry.level, entry.namespace, entry.message, entry.fields["x"]) == (
        "WARN",
        "gatewayserver",
        "Gateway missed too many pings",
        1,
    )


def test_byte_array_message_with_invalid_utf8_is_decoded_not_lost() -> None:
    raw = list(b"ERROR\tbad \xff\xfe bytes \x1b[31m\t{}")
    entry = JournalParser().parse(_line(raw))
    assert entry.level == "ERROR"
    assert entry.message == "bad \\xff\\xfe bytes \x1b[31m"
    assert "\x1b" not in safe_text(entry.message)


def test_null_message_is_shown_as_withheld() -> None:
    entry = JournalParser().parse(_line(None))
    assert "withheld" in entry.message
    assert entry.fields["MESSAGE"] is None


def test_continuation_lines_inherit_the_error_level() -> None:
    parser = JournalParser()
    first = parser.parse(_line('ERROR\tServer error\t{"namespace": "grpc"}', 1))
    trace = parser.parse(_line("\tgo.thethings.network/lorawan-stack/v3/pkg/errors.New", 2))
    cause = parser.parse(_line("--- error:pkg/redis:store (store error)", 3))
    after = parser.parse(_line("plain line", 4))
    assert [e.level for e in (first, trace, cause, after)] == ["ERROR", "ERROR", "ERROR", "INFO"]
    assert trace.namespace == "grpc"


def test_systemd_lines_take_the_level_from_priority() -> None:
    entry = JournalParser().parse(_line("Failed to start The Things Stack.", priority="3"))
    assert entry.level == "ERROR"


def test_levels_rank() -> None:
    assert level_at_least("ERROR", "WARN") and not level_at_least("DEBUG", "INFO")


def test_every_generated_entry_parses_with_consecutive_seqnums() -> None:
    gen = JournalGen(t0=1_764_150_000.0, scenarios=frozenset({"log-garbage", "service-down"}), backlog=600)
    parser = JournalParser()
    entries = [parser.parse(gen.line(s)) for s in range(1, 601)]
    assert [e.seqnum for e in entries] == list(range(1, 601))
    assert len({e.cursor for e in entries}) == 600
    assert entries[-1].message == "Failed to start The Things Stack." and entries[-1].level == "ERROR"
    assert any(e.message.startswith("[bold red]") for e in entries)


@given(st.binary())
def test_any_bytes_message_parses(raw: bytes) -> None:
    JournalParser().parse(_line(list(raw)))
    decoded = decode_message(list(raw))
    decoded.encode("utf-8")  # no lone surrogates: always displayable and serialisable
    try:
        assert decoded == raw.decode("utf-8")
    except UnicodeDecodeError:
        assert "\\x" in decoded


@given(
    st.sampled_from(["DEBUG", "INFO", "WARN", "ERROR", "FATAL"]), st.text(), st.dictionaries(st.text(), st.integers())
)
def test_console_format_roundtrip(level: str, message: str, fields: dict[str, int]) -> None:
    message = message.replace("\t", " ").strip()
    text = f"{level}\t{message}\t{json.dumps(fields)}"
    assert split_tts(text) == (level, message, fields)


@given(st.binary(max_size=300))
def test_garbage_lines_raise_parse_error_or_parse(raw: bytes) -> None:
    from services.journal.parse import JournalParseError

    with contextlib.suppress(JournalParseError):
        JournalParser().parse(raw)


def test_quick_path_agrees_with_decoding_the_whole_line() -> None:
    gen = JournalGen(t0=1_764_150_000.0, scenarios=frozenset({"log-garbage"}), backlog=3000)
    parser = JournalParser()
    for seq in range(1, 3001):
        line = gen.line(seq)
        obj = json.loads(line)
        entry = parser.parse(line)
        assert (entry.cursor, entry.seqnum) == (obj["__CURSOR"], seq)
        assert entry.timestamp.timestamp() * 1_000_000 == pytest.approx(int(obj["__REALTIME_TIMESTAMP"]), abs=1)
        level, message, fields = split_tts(decode_message(obj["MESSAGE"]))
        if obj["MESSAGE"] is not None:
            assert entry.message == message
            assert entry.level == level or not level
        assert entry.stack_fields == fields
        journal = {k: v for k, v in obj.items() if not k.startswith("__") and k != "MESSAGE"}
        assert {k: v for k, v in entry.journal_fields.items() if k != "MESSAGE"} == journal | {
            "__SEQNUM_ID": obj["__SEQNUM_ID"]
        }


def test_seqnum_comes_from_the_cursor_when_journalctl_has_no_seqnum_field() -> None:
    line = json.dumps({"__CURSOR": "s=abc;i=1f;b=x", "__REALTIME_TIMESTAMP": "1", "MESSAGE": "INFO\thi\t{}"})
    assert JournalParser().parse(line).seqnum == 31


def test_a_line_that_only_looks_like_a_known_one_is_still_validated() -> None:
    parser = JournalParser()
    parser.parse(_line("INFO\tfirst\t{}", 1))
    broken = _line("INFO\tsecond\t{}", 2).replace('"_PID": "2417"', '"_PID": "2417\\q"')
    with pytest.raises(JournalParseError):
        parser.parse(broken)


def _compact(seq: int, message: object, pid: str = "2417") -> str:
    head = {"__CURSOR": f"s=abc;i={seq:x}", "__REALTIME_TIMESTAMP": str(1764150000123456 + seq)}
    rest = {"__MONOTONIC_TIMESTAMP": "5", "__SEQNUM": str(seq), "PRIORITY": "6", "_PID": pid, "MESSAGE": message}
    return json.dumps(head | rest, separators=(",", ":"))


def test_journald_layout_lines_parse_as_the_whole_line_decode_does() -> None:
    parser = JournalParser()
    messages = ["INFO\tfirst\t{}", 'WARN\tsec"ond\t{"namespace": "gs"}', ',"MESSAGE":"x', [0x1B, 0x41], None, "tail"]
    for seq, message in enumerate(messages, start=1):
        for pid in ("2417", "2417", "99"):
            line = _compact(seq, message, pid)
            assert parser.parse(line) == JournalParser().parse(line)
    broken = _compact(9, "INFO\tx\t{}").replace('"_PID":"2417"', '"_PID":"2417\\q"')
    with pytest.raises(JournalParseError):
        parser.parse(broken)
    trailing = _compact(10, "INFO\tx\t{}")[:-1] + ',"X":"1"}'
    assert parser.parse(trailing) == JournalParser().parse(trailing)


_MESSAGES = st.one_of(
    st.text(),
    st.builds("INFO\tFinished unary call\t{}".format, st.dictionaries(st.text(), st.text()).map(json.dumps)),
    st.builds(
        "{}\t{}\t{}".format,
        st.sampled_from(["INFO", "WARN", "ERROR", "warning", "DPANIC", " INFO", "NOPE"]),
        st.text(),
        st.one_of(st.just("{}"), st.dictionaries(st.text(), st.text()).map(json.dumps), st.text()),
    ),
    st.sampled_from(["\tat pkg/errors.New", "--- error:pkg/redis:store", "goroutine 1 [running]:", "plain"]),
    st.lists(st.integers(0, 255)),
    st.none(),
    st.integers(),
)


def _journald(seq: int, message: object, variant: int) -> bytes:
    """A line in journald's layout (``variant`` picks how it strays from it)."""
    head = f'{{"__CURSOR":"s=abc;i={seq:x}","__REALTIME_TIMESTAMP":"{1764150000123456 + seq}",'
    head += '"__MONOTONIC_TIMESTAMP":"5",' + ("" if variant == 1 else f'"__SEQNUM":"{seq}",')
    middle = '"PRIORITY":"3","_PID":"1"' if variant == 2 else '"PRIORITY":"6","_PID":"2417","_COMM":"tti-lw-stack"'
    value = json.dumps(message, ensure_ascii=variant != 3)
    tail = {4: ',"X":"1"}', 5: "} "}.get(variant, "}")
    line = f'{head}{middle},"MESSAGE":{value}{tail}'
    if variant == 6:
        line = line.replace('"_PID":"2417"', '"_PID":"2417\\q"')  # not JSON, looks like a known line
    return line.encode() + (b"\xff" if variant == 7 else b"")


_VARIANTS = st.one_of(st.just(0), st.just(2), st.integers(0, 7))  # mostly in the layout: the batch decodes


@given(st.lists(st.tuples(_MESSAGES, _VARIANTS), max_size=40), st.integers(0, 40), st.booleans())
def test_a_streams_lines_parse_as_they_do_one_by_one(messages: list[tuple[object, int]], cut: int, junk: bool) -> None:
    """parse_lines (the stream's hot path: messages decoded together, console-format ones kept
    whole) gives, entry for entry, what parse_row gives line by line, across two chunks."""
    from services.journal.entry import unpack_row

    lines = [_journald(seq, message, variant) for seq, (message, variant) in enumerate(messages, start=1)]
    lines[cut:cut] = [b"", b"not json", b"  "] if junk else [b"", b"  "]
    warm_up = [_journald(0, "INFO\tup\t{}", 0), _journald(0, "Started.", 2)]  # journald's fields, seen once
    expected, failed = [], 0
    one_by_one = JournalParser()
    for line in warm_up:
        one_by_one.parse_row(line)
    for line in lines:
        if line.strip():
            try:
                expected.append(one_by_one.parse_row(line))
            except JournalParseError:
                failed += 1
    batched = JournalParser()
    batched.parse_lines(warm_up)
    first, bad_first = batched.parse_lines(lines[:cut])
    second, bad_second = batched.parse_lines(lines[cut:])
    assert [unpack_row(row) for row in first + second] == expected
    assert bad_first + bad_second == failed


def test_a_flood_keeps_console_messages_whole_until_they_are_read() -> None:
    gen = JournalGen(t0=1_764_150_000.0, backlog=3000)
    parser = JournalParser()
    parser.parse_lines([gen.line(2899)])  # the first line with new journald fields is decoded whole
    rows, unparsable = parser.parse_lines([gen.line(seq).rstrip(b"\n") for seq in range(2900, 3001)])
    assert unparsable == 0 and [row[1] for row in rows] == list(range(2900, 3001))
    kept_whole = [row for row in rows if row[4] is None]
    assert len(kept_whole) > 80
    entry = JournalEntry.from_row(kept_whole[-1])
    assert entry.message and "\t" not in entry.message and entry.namespace and entry.fields_json.startswith("{")
