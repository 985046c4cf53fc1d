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
from collections.abc import Sequence
from typing import Any

from services.journal.entry import (
    LEVEL_RANK,
    LEVELS,
    ROW_CURSOR,
    ROW_SEQNUM,
    EntryRows,
    JournalEntry,
    Row,
    StreamRow,
    level_at_least,
    normalise_level,
    to_int,
)
from services.journal.tts import TTS_ERROR_LINE, console_level, split_tts, split_tts_lazy
from services.journal.tts import scanstring as _scanstring

__all__ = [
    "LEVELS",
    "LEVEL_RANK",
    "ROW_CURSOR",
    "ROW_SEQNUM",
    "EntryRows",
    "JournalEntry",
    "JournalParseError",
    "JournalParser",
    "Row",
    "StreamRow",
    "decode_message",
    "level_at_least",
    "normalise_level",
    "split_tts",
    "split_tts_lazy",
]

# syslog PRIORITY -> level, for lines that carry no level of their own (systemd's own lines).
_PRIORITY_LEVELS = ("FATAL", "FATAL", "FATAL", "ERROR", "WARN", "INFO", "INFO", "DEBUG")
_CONTINUATION = re.compile(r"^(?:\s|---|goroutine |panic:|error:|\S+\.go:\d+)")
# Fields that differ in every entry; they are the entry's cursor, seqnum and timestamp already.
_PER_ENTRY = frozenset({"MESSAGE", "__CURSOR", "__SEQNUM", "__REALTIME_TIMESTAMP", "__MONOTONIC_TIMESTAMP"})


# journald's fields of a line as (name, value) pairs, shared between entries, and their PRIORITY
_Shared = tuple[tuple[tuple[str, Any], ...], int]


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
    """Turns journal JSON lines into entries; remembers the last level for continuation lines.

    The fast path reads the five per-entry values (cursor, seqnum, two timestamps, a string
    ``MESSAGE``) straight out of the line and looks the rest of the line up among lines already
    fully decoded: journald's fields repeat from entry to entry, so ``json.loads`` runs once per
    distinct set of them. Anything unusual (byte-array or null ``MESSAGE``, values that are not
    strings, a rest never seen before) takes the full decode, which also validates the line.
    :meth:`parse_lines` does the same for a stream's lines, decoding their messages together.
    """

    def __init__(self) -> None:
        import msgspec

        self._last_level = ""
        self._last_namespace: str | None = ""  # None: the last entry's message is kept whole (_last_text)
        self._last_text = ""
        self._shared: dict[Any, _Shared] = {}
        # the fields between __SEQNUM and MESSAGE, with ',"MESSAGE":' after them (see parse_lines)
        self._quick: dict[bytes, _Shared] = {}
        self._quick_last: tuple[bytes, _Shared] = (b"\0", ((), 6))
        self._words: dict[str, str] = {}
        self._values = msgspec.json.Decoder(list[str | list[int] | None])
        self._value_errors = (msgspec.DecodeError, msgspec.ValidationError)

    def parse_lines(self, lines: Sequence[bytes]) -> tuple[list[StreamRow], int]:
        """Rows for the non-blank lines, in order, and how many of them were not journal entries.

        A stream's hot path. Each line in journald's usual layout (per-entry fields first, a run
        of fields already seen, ``MESSAGE`` last) is checked with one regex and one comparison;
        then the ``MESSAGE`` values of all of them are decoded in one go, as one JSON array. That
        also proves each value is exactly one JSON value, so the line is the object it looks
        like. A console-format message is kept whole (see ``journal_entry.unpack_row``). Other
        lines, or all of them when the array does not decode, go through :meth:`parse_row`.
        """
        match = _HEAD_BYTES.match
        middle, shared = self._quick_last
        plan: list[Any] = []  # per line: its head match (quick), or the line (parse_row)
        values: list[bytes] = []
        for line in lines:
            head = match(line)
            if head is not None and line[-1:] == b"}":
                end = head.end()
                if not line.startswith(middle, end):
                    known = line[end : line.rfind(b',"MESSAGE":') + 11]
                    found = self._quick.get(known)
                    if found is None:
                        plan.append(line)
                        continue
                    middle, shared = known, found
                values.append(line[end + len(middle) : -1])
                plan.append((head, shared))
            elif line.strip():
                plan.append(line)
        self._quick_last = (middle, shared)
        decoded: list[Any] = []
        if values:
            try:
                decoded = self._values.decode(b"[" + b",".join(values) + b"]")
            except self._value_errors:
                decoded = []
            if len(decoded) != len(values):
                decoded = []
        return self._rows(plan, decoded)

    def _rows(self, plan: list[Any], decoded: list[Any]) -> tuple[list[StreamRow], int]:
        rows: list[StreamRow] = []
        unparsable = 0
        texts = iter(decoded)
        for item in plan:
            if decoded and type(item) is tuple:
                text = next(texts)
                head, shared = item
                if type(text) is str:
                    cursor_bytes, realtime, seqnum_bytes = head.group(1, 2, 3)
                    cursor = cursor_bytes.decode()
                    seqnum = int(seqnum_bytes) if seqnum_bytes else _seqnum(None, cursor)
                    level = console_level(text)
                    if level is None:
                        rows.append(self._entry(cursor, seqnum, int(realtime), text, shared))
                    else:
                        self._last_level, self._last_namespace, self._last_text = level, None, text
                        rows.append((cursor, seqnum, int(realtime), level, None, text, None, shared[0]))
                    continue
                item = head.string
            try:
                rows.append(self.parse_row(item if type(item) is bytes else item[0].string))
            except JournalParseError:
                unparsable += 1
        return rows, unparsable

    def parse(self, line: bytes | str) -> JournalEntry:
        """Parse one line of ``journalctl -o json``; raises :class:`JournalParseError`."""
        return JournalEntry(*self.parse_row(line))

    def parse_row(self, line: bytes | str) -> Row:
        """:meth:`parse`, giving the entry's ``as_row()`` (no entry object: rows go to a buffer as they are)."""
        if isinstance(line, bytes):
            raw = line
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError:
                line = raw.decode("utf-8", errors="backslashreplace")
        fast = self._fast(line)
        if fast is None:
            return self._full(line)
        cursor, seqnum, realtime, text, shared = fast
        return self._entry(cursor, seqnum, realtime, text, shared)

    def _fast(self, line: str) -> tuple[str, int, int, str, _Shared] | None:
        if line[-1:] != "}" or line[:1] != "{":
            line = line.strip()
            if line[-1:] != "}" or line[:1] != "{":
                return None
        values: list[str] = []
        pieces: list[str] = []
        pos = 0
        spans: list[tuple[int, int, int]] = []
        for index, key in enumerate(_PER_ENTRY_KEYS):
            at = _find_key(line, key)
            if at < 0:
                if index == 0 or index == 4:  # no cursor or no string MESSAGE: the full decode decides
                    return None
                values.append("")
                continue
            start = at + len(key)
            if line[start : start + 1] != '"':
                return None
            try:
                value, end = _scanstring(line, start + 1, True)
            except ValueError:
                return None
            values.append(value)
            spans.append((start, end, index))
        spans.sort()
        for start, end, _ in spans:
            pieces.append(line[pos:start])
            pos = end
        pieces.append(line[pos:])
        rest = "".join(pieces)
        shared = self._shared.get(rest)
        if shared is None:
            return None
        cursor, seqnum, realtime, _, text = values
        return cursor, _seqnum(seqnum, cursor), to_int(realtime), text, shared

    def _full(self, line: str) -> Row:
        try:
            obj = json.loads(line)
        except ValueError as exc:
            raise JournalParseError(f"not JSON: {exc}") from None
        if not isinstance(obj, dict):
            raise JournalParseError("not a JSON object")
        cursor = obj.get("__CURSOR")
        if not isinstance(cursor, str) or not cursor:
            raise JournalParseError("no __CURSOR")
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
        shared = self._shared.get(journal_items)
        if shared is None:
            if len(self._shared) > 1024:
                self._shared.clear()
            priority = to_int(dict(journal_items).get("PRIORITY"), 6)
            shared = self._shared[journal_items] = (journal_items, priority)
        rest = self._rest(line)
        if rest is not None:
            self._shared[rest] = shared  # the next line with this rest takes the fast path
        head = _HEAD.match(line)
        at = line.rfind(',"MESSAGE":"')
        if head is not None and at >= head.end() - 1 and isinstance(raw_message, str) and _ends_line(line, at + 12):
            if len(self._quick) > 1024:
                self._quick.clear()
            self._quick[line[head.end() : at + 11].encode()] = shared
        seqnum = _seqnum(obj.get("__SEQNUM"), cursor)
        return self._entry(cursor, seqnum, to_int(obj.get("__REALTIME_TIMESTAMP")), text, shared)

    def _rest(self, line: str) -> str | None:
        """The line without its per-entry values: the key journald's shared fields are found by."""
        line = line.strip()
        spans: list[tuple[int, int]] = []
        for key in _PER_ENTRY_KEYS:
            at = _find_key(line, key)
            if at < 0:
                continue
            start = at + len(key)
            if line[start : start + 1] != '"':
                return None
            try:
                _, end = _scanstring(line, start + 1, True)
            except ValueError:
                return None
            spans.append((start, end))
        spans.sort()
        pieces, pos = [], 0
        for start, end in spans:
            pieces.append(line[pos:start])
            pos = end
        pieces.append(line[pos:])
        return "".join(pieces)

    def _entry(
        self,
        cursor: str,
        seqnum: int,
        realtime: int,
        text: str,
        shared: _Shared,
    ) -> Row:
        level, message, fields_json, namespace = split_tts_lazy(text)
        continuation = False
        if not level:
            if self._last_level in ("WARN", "ERROR", "FATAL") and _CONTINUATION.match(text):
                level = self._last_level
                continuation = True
                if level == "WARN" and TTS_ERROR_LINE.match(text):
                    level = "ERROR"
            elif TTS_ERROR_LINE.match(text):
                level = "ERROR"  # a TTS error line carries journald's PRIORITY 6 all the same
            else:
                level = _PRIORITY_LEVELS[shared[1] % 8]
        if continuation and not namespace:
            # the namespace of the entry it continues (None: that one's message was kept whole)
            last = self._last_namespace
            namespace = split_tts_lazy(self._last_text)[3] if last is None else last
        if not continuation:
            self._last_level = level
            self._last_namespace = namespace
        words = self._words
        if len(words) > 4096:
            words.clear()
        namespace = words.setdefault(namespace, namespace)
        if len(message) <= 48:
            message = words.setdefault(message, message)
        return (cursor, seqnum, realtime, level, namespace, message, fields_json, shared[0])


_PER_ENTRY_KEYS = ('"__CURSOR":', '"__SEQNUM":', '"__REALTIME_TIMESTAMP":', '"__MONOTONIC_TIMESTAMP":', '"MESSAGE":')
_HEAD = re.compile(
    r'\{"__CURSOR":"([^"\\]+)","__REALTIME_TIMESTAMP":"(\d+)","__MONOTONIC_TIMESTAMP":"\d*",'
    r'(?:"__SEQNUM":"(\d+)",)?'  # journalctl before systemd 254 (Amazon Linux 2023 has 252) writes none
)
_HEAD_BYTES = re.compile(_HEAD.pattern.encode())
_CURSOR_SEQNUM = re.compile(r"(?:^|;)i=([0-9a-fA-F]+)(?:;|$)")


def _ends_line(line: str, start: int) -> bool:
    """Whether the JSON string starting after ``start`` is the object's last value (the fields
    before it are then the whole rest of the line)."""
    try:
        end = _scanstring(line, start, True)[1]
    except ValueError:
        return False
    return line[end:].rstrip() == "}"


def _find_key(line: str, key: str) -> int:
    """Where ``key`` is an object key: inside a JSON string a quote is escaped, so a quoted key
    right after ``{`` or ``,`` can only be structure."""
    at = line.find(key)
    while at > 0 and line[at - 1] not in "{,":
        at = line.find(key, at + 1)
    return at


def _seqnum(value: Any, cursor: str) -> int:
    """``__SEQNUM``, or (journalctl before systemd 254 has none) the ``i=`` of the cursor."""
    if value:
        return to_int(value)
    match = _CURSOR_SEQNUM.search(cursor)
    return int(match.group(1), 16) if match else 0
