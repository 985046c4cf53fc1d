"""The journal entry the console shows: :class:`JournalEntry`, its row form, levels, safe text.

Split from the parser (``services.journal.parse``), which makes these from ``journalctl -o json``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final, overload

from services.journal.tts import LEVEL_ALIASES, LEVEL_RANK, LEVELS, normalise_level, split_tts_lazy

__all__ = [
    "LEVELS",
    "LEVEL_ALIASES",
    "LEVEL_RANK",
    "ROW_CURSOR",
    "ROW_NAMESPACE",
    "ROW_SEQNUM",
    "EntryRows",
    "JournalEntry",
    "Row",
    "StreamRow",
    "level_at_least",
    "normalise_level",
    "to_int",
    "unpack_row",
]
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """One journal entry of the unit, with the stack's level and structured fields pulled out.

    Only what every entry needs at once (cursor, seqnum, time, level, namespace, message) is
    decoded as it arrives; the stack's own fields (``duration``, ``error``…) stay as their JSON
    text until asked for, and journald's (``_PID``, ``_HOSTNAME``…) are shared between entries
    that have the same ones. That keeps parsing cheap and a 100,000-entry buffer small.
    ``fields`` is both together.
    """

    cursor: str
    seqnum: int
    realtime_us: int
    level: str
    namespace: str
    message: str
    fields_json: str = ""  # the stack's fields: a JSON object's text, or ''
    journal_items: tuple[tuple[str, Any], ...] = ()  # journald's fields as (name, value) pairs

    @property
    def journal_fields(self) -> dict[str, Any]:
        """journald's fields (``_PID``, ``_HOSTNAME``…)."""
        return dict(self.journal_items)

    def as_row(self) -> tuple[Any, ...]:
        """The entry as one plain tuple (its fields in order) of strings and numbers.

        The garbage collector stops tracking such tuples, so a buffer of 100,000 of them adds
        nothing to its full collections (tracked entries made those long, every few seconds of a
        flood). ``from_row`` makes the entry again.
        """
        return (
            self.cursor,
            self.seqnum,
            self.realtime_us,
            self.level,
            self.namespace,
            self.message,
            self.fields_json,
            self.journal_items,
        )

    @classmethod
    def from_row(cls, row: tuple[Any, ...]) -> JournalEntry:
        return cls(*unpack_row(row))

    @property
    def timestamp(self) -> datetime:
        """``__REALTIME_TIMESTAMP`` as an aware UTC datetime."""
        return _timestamp(self.realtime_us)

    @property
    def stack_fields(self) -> dict[str, Any]:
        """The stack's structured fields (``namespace``, ``duration``, ``error``…)."""
        if not self.fields_json:
            return {}
        try:
            parsed = json.loads(self.fields_json)
        except ValueError:
            return {}
        return parsed if isinstance(parsed, dict) else {}

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


# JournalEntry.as_row(): (cursor, seqnum, realtime_us, level, namespace, message, fields_json, journal_items)
Row = tuple[str, int, int, str, str, str, str, tuple[tuple[str, Any], ...]]
# A row as the stream gives it: maybe with the message kept whole (see unpack_row).
StreamRow = tuple[str, int, int, str, str | None, str, str | None, tuple[tuple[str, Any], ...]]
ROW_CURSOR: Final = 0
ROW_SEQNUM: Final = 1
ROW_NAMESPACE: Final = 4


def unpack_row(row: tuple[Any, ...]) -> Row:
    """A row with its message split.

    In a flood the parser keeps a console-format message whole, ``(…, level, None, text, None, …)``:
    its level is known from the first word, and splitting off the message, the fields and the
    namespace waits until the entry is shown, filtered or printed, which most entries of a flood
    never are.
    """
    if row[ROW_NAMESPACE] is not None:
        return row
    _, message, fields_json, namespace = split_tts_lazy(row[5])
    return (row[0], row[1], row[2], row[3], namespace, message, fields_json, row[7])


class EntryRows(Sequence[JournalEntry]):
    """Entries kept as rows and made :class:`JournalEntry` values only when read.

    A batch of 500 entries crossing the app would otherwise be 500 objects for the garbage
    collector to promote and later sweep; ``rows`` lets a buffer take them as they are.
    """

    __slots__ = ("rows",)
    kind = JournalEntry

    def __init__(self, rows: Sequence[StreamRow]) -> None:
        self.rows = rows

    def __len__(self) -> int:
        return len(self.rows)

    @overload
    def __getitem__(self, index: int) -> JournalEntry: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[JournalEntry]: ...
    def __getitem__(self, index: int | slice) -> JournalEntry | Sequence[JournalEntry]:
        if isinstance(index, slice):
            return EntryRows(self.rows[index])
        return JournalEntry.from_row(self.rows[index])

    def __iter__(self) -> Iterator[JournalEntry]:
        return (JournalEntry.from_row(row) for row in self.rows)


def level_at_least(level: str, minimum: str) -> bool:
    """Whether ``level`` is as severe as ``minimum`` (unknown levels count as INFO)."""
    return LEVEL_RANK.get(level, 1) >= LEVEL_RANK.get(minimum, 0)


def to_int(value: Any, default: int = 0) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _timestamp(value: Any) -> datetime:
    micros = to_int(value)
    try:
        return datetime.fromtimestamp(micros / 1_000_000, UTC)
    except (OverflowError, OSError, ValueError):
        return _EPOCH
