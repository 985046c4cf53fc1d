"""Parse ``journalctl -o json`` lines into :class:`JournalEntry` values.

journald gives every field as a string, except a ``MESSAGE`` with non-printable bytes (an array of
byte values) and a field over 4096 bytes (``null`` unless ``--all``). The stack writes to stderr
with ``PRIORITY`` 6 whatever its level, so the level comes from the message text: TTS's console
format ``LEVEL<TAB>message<TAB>{json}`` or its JSON format ``{"level": …, "msg": …}``. Lines
without a level right after an error (stack traces, ``--- error:…`` causes) inherit it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

LEVELS = ("DEBUG", "INFO", "WARN", "ERROR", "FATAL")
LEVEL_RANK = {name: rank for rank, name in enumerate(LEVELS)}
_LEVEL_ALIASES = {
    "DEBUG": "DEBUG",
    "INFO": "INFO",
    "WARN": "WARN",
    "WARNING": "WARN",
    "ERROR": "ERROR",
    "DPANIC": "ERROR",
    "PANIC": "FATAL",
    "FATAL": "FATAL",
}
# syslog PRIORITY -> level, for lines that carry no level of their own (systemd's own lines).
_PRIORITY_LEVELS = ("FATAL", "FATAL", "FATAL", "ERROR", "WARN", "INFO", "INFO", "DEBUG")
_CONTINUATION = re.compile(r"^(?:\s|---|goroutine |panic:|error:|\S+\.go:\d+)")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Fields that differ in every entry; they are the entry's cursor, seqnum and timestamp already.
_PER_ENTRY = frozenset({"MESSAGE", "__CURSOR", "__SEQNUM", "__REALTIME_TIMESTAMP", "__MONOTONIC_TIMESTAMP"})


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """One journal entry of the unit, with the stack's level and structured fields pulled out.

    ``stack_fields`` are the stack's own (``namespace``, ``duration``, ``error``…); ``journal_fields``
    are journald's (``_PID``, ``_HOSTNAME``…), shared between entries that have the same ones, which
    keeps a 100,000-entry buffer small. ``fields`` is both together.
    """

    cursor: str
    seqnum: int
    timestamp: datetime
    level: str
    namespace: str
    message: str
    stack_fields: Mapping[str, Any] = field(default_factory=dict)
    journal_fields: Mapping[str, Any] = field(default_factory=dict)

    @property
    def fields(self) -> dict[str, Any]:
        return {**self.stack_fields, **self.journal_fields}

    def to_json(self) -> dict[str, Any]:
        """The NDJSON object ``logs --json`` prints."""
        return {
            "cursor": self.cursor,
            "seqnum": self.seqnum,
            "timestamp": self.timestamp.isoformat(),
            "level": self.level,
            "namespace": self.namespace,
            "message": self.message,
            "fields": dict(self.fields),
        }


class JournalParseError(ValueError):
    """A line is not a journal JSON object (it is skipped, and counted)."""


def decode_message(value: Any) -> str:
    """A journal field value as text: byte arrays decoded, invalid UTF-8 kept as ``\\xNN``."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        try:
            raw = bytes(int(b) & 0xFF for b in value)
        except (TypeError, ValueError):
            return json.dumps(value)
        return raw.decode("utf-8", errors="backslashreplace")
    return str(value)


class JournalParser:
    """Turns journal JSON lines into entries; remembers the last level for continuation lines."""

    def __init__(self) -> None:
        self._last_level = ""
        self._last_namespace = ""
        self._shared: dict[tuple[tuple[str, Any], ...], dict[str, Any]] = {}

    def parse(self, line: bytes | str) -> JournalEntry:
        """Parse one line of ``journalctl -o json``; raises :class:`JournalParseError`."""
        if isinstance(line, bytes):
            line = line.decode("utf-8", errors="backslashreplace")
        try:
            obj = json.loads(line)
        except ValueError as exc:
            raise JournalParseError(f"not JSON: {exc}") from None
        if not isinstance(obj, dict):
            raise JournalParseError("not a JSON object")
        cursor = obj.get("__CURSOR")
        if not isinstance(cursor, str) or not cursor:
            raise JournalParseError("no __CURSOR")
        seqnum = _int(obj.get("__SEQNUM"))
        timestamp = _timestamp(obj.get("__REALTIME_TIMESTAMP"))
        raw_message = obj.get("MESSAGE")
        text = decode_message(raw_message)
        journal_items = tuple(
            (key, decode_message(value) if isinstance(value, list) else value)
            for key, value in obj.items()
            if key not in _PER_ENTRY
        )
        if raw_message is None:
            journal_items += (("MESSAGE", None),)  # over 4096 bytes: journalctl withholds it without --all
            text = "[message withheld by journalctl: larger than 4096 bytes]"
        journal_fields = self._shared.get(journal_items)
        if journal_fields is None:
            if len(self._shared) > 1024:
                self._shared.clear()
            journal_fields = self._shared[journal_items] = dict(journal_items)
        level, message, tts_fields = split_tts(text)
        continuation = False
        if not level:
            if self._last_level in ("WARN", "ERROR", "FATAL") and _CONTINUATION.match(text):
                level = self._last_level
                continuation = True
            else:
                level = _PRIORITY_LEVELS[_int(obj.get("PRIORITY"), 6) % 8]
        namespace = str(tts_fields.get("namespace", ""))
        if continuation and not namespace:
            namespace = self._last_namespace
        if not continuation:
            self._last_level = level
            self._last_namespace = namespace
        return JournalEntry(cursor, seqnum, timestamp, level, namespace, message, tts_fields, journal_fields)


def split_tts(text: str) -> tuple[str, str, dict[str, Any]]:
    """Split a stack message into (level, message, fields); level is '' when it has none."""
    stripped = text.strip()
    if stripped.startswith("{") and stripped.endswith("}"):
        try:
            obj = json.loads(stripped)
        except ValueError:
            obj = None
        if isinstance(obj, dict) and isinstance(obj.get("level"), str) and "msg" in obj:
            level = _LEVEL_ALIASES.get(obj["level"].strip().upper(), "")
            if level:
                rest = {k: v for k, v in obj.items() if k not in ("level", "msg")}
                return level, str(obj["msg"]), rest
    head, tab, tail = text.partition("\t")
    if not tab:
        return "", text, {}
    level = _LEVEL_ALIASES.get(head.strip().upper(), "")
    if not level:
        return "", text, {}
    message, tab, tail_json = tail.partition("\t")
    fields: dict[str, Any] = {}
    if tab:
        try:
            parsed = json.loads(tail_json)
        except ValueError:
            parsed = None
        if isinstance(parsed, dict):
            fields = parsed
        else:
            message = f"{message}\t{tail_json}"
    return level, message.strip(), fields


def level_at_least(level: str, minimum: str) -> bool:
    """Whether ``level`` is as severe as ``minimum`` (unknown levels count as INFO)."""
    return LEVEL_RANK.get(level, 1) >= LEVEL_RANK.get(minimum, 0)


def normalise_level(name: str) -> str:
    """``warning`` -> ``WARN`` and so on; '' when not a level."""
    return _LEVEL_ALIASES.get(name.strip().upper(), "")


def _int(value: Any, default: int = 0) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _timestamp(value: Any) -> datetime:
    micros = _int(value)
    try:
        return datetime.fromtimestamp(micros / 1_000_000, UTC)
    except (OverflowError, OSError, ValueError):
        return _EPOCH


_CONTROL = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """Remote text made safe for a terminal: control and escape characters shown as ``\\xNN``."""
    if not _CONTROL.search(text):
        return text
    return _CONTROL.sub(_escape_control, text)


def _escape_control(match: re.Match[str]) -> str:
    char = match.group()
    if char == "\n":
        return "\\n"
    if char == "\r":
        return "\\r"
    return f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}"
