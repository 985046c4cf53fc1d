"""The journal view's model: a bounded buffer of entries, with level, filter, search, marks and rate.

Plain Python (no Textual), so it can be tested and measured alone. Entries are kept in arrival
order in a list of at most ``max_entries`` and ``max_bytes`` of text (the oldest dropped and
counted: a journal of 1 MB messages must not take gigabytes before the count bound is reached;
the messages are kept whole, for the fields view and saving, and cut only when drawn); an entry's id is its
absolute position since the buffer began, so ids stay valid while old entries are dropped.
``visible`` lists the ids that pass the minimum level and the filter, one scroll position each
(wrapping is the painter's business: it wraps only the entries on screen).

Entries are kept as their ``as_row()`` tuples, made entries again (``from_row``) when drawn,
opened or searched: the garbage collector stops tracking a tuple of strings and numbers at its
first young pass, so 100,000 of them add nothing to the full collections that would otherwise
stall the app (until that pass they are young objects; see ``tui.runtime.sweep_young``).
A row's first item (``ROW_CURSOR``: journald's cursor, the stream's resume point) is not kept:
the view never shows it, and at ~160 bytes it was a quarter of a buffered entry. The visible ids
are an ``array`` of machine integers rather than a list of int objects.
"""

from __future__ import annotations

import itertools
import re
import time
from array import array
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any, Protocol

from services.core.safe_text import safe_text

LEVELS = ("DEBUG", "INFO", "WARN", "ERROR", "FATAL")
RANK = {name: i for i, name in enumerate(LEVELS)}
MAX_CHARS = 4000  # longer messages are cut for display (the fields view and saved files have them whole)
RATE_SECONDS = 2.0
DEFAULT_MAX_BYTES = 256 * 1024 * 1024
ROW_OVERHEAD = 200  # the tuple, the timestamp and level objects, the visible id: bytes per entry besides text


class JournalLine(Protocol):
    """What the view needs of an entry (a ``services.journal.parse.JournalEntry`` fits)."""

    @property
    def seqnum(self) -> int: ...
    @property
    def timestamp(self) -> datetime: ...
    @property
    def level(self) -> str: ...
    @property
    def namespace(self) -> str: ...
    @property
    def message(self) -> str: ...
    @property
    def fields(self) -> Any: ...
    @property
    def stack_fields(self) -> Any: ...
    def as_row(self) -> tuple[Any, ...]:
        """The entry as a tuple: ``[ROW_LEVEL]``, ``[ROW_NAMESPACE]``, ``[ROW_MESSAGE]``, ``[ROW_FIELDS]`` (the stack's
        fields as JSON text, or empty) and ``[ROW_ITEMS]`` (journald's, a tuple of pairs); ``[ROW_CURSOR]`` is not kept."""
        ...

    @classmethod
    def from_row(cls, row: tuple[Any, ...]) -> Any:
        """The entry again, from ``as_row()``."""
        ...


ROW_CURSOR, ROW_LEVEL, ROW_NAMESPACE, ROW_MESSAGE, ROW_FIELDS, ROW_ITEMS = 0, 3, 4, 5, 6, 7


TAB = 4  # tab stops of the view


def neutralise(text: str) -> str:
    """Remote text as the view draws it: the safe-text rule, tabs expanded to the view's stops."""
    return safe_text(text, tabs=TAB)


def extra_fields(fields: Any) -> str:
    """The stack's fields as ``key=value`` (journald's own and the namespace left out)."""
    try:
        items = fields.items()
    except AttributeError:
        return ""
    return " ".join(f"{k}={v}" for k, v in items if k != "namespace" and not k[:1].isupper() and not k.startswith("_"))


def clock(entry: JournalLine) -> str:
    """``HH:MM:SS.mmm`` of the entry."""
    return f"{entry.timestamp:%H:%M:%S.%f}"[:-3]


def plain_line(entry: JournalLine, *, timestamps: bool, cut: bool = True) -> str:
    """The entry as one line of neutralised text, as the view shows it (``cut``) or whole."""
    message = entry.message
    long = len(message) > MAX_CHARS
    extra = extra_fields(entry.stack_fields)
    ts = clock(entry) + " " if timestamps else ""
    ns = f"{entry.namespace}: " if entry.namespace else ""
    more = f" … [+{len(message) - MAX_CHARS:,} chars]" if cut and long else ""
    if cut and long:
        message = message[:MAX_CHARS]
    return neutralise(f"{ts}{entry.level:<5} {ns}{message}{more}" + (f"  {extra[:MAX_CHARS]}" if extra else ""))


def rows_bytes(rows: Sequence[tuple[Any, ...]]) -> list[int]:
    """About what each kept row costs: its message and fields' text plus a fixed overhead.

    Called for every entry of a flood, so it reads the row's layout rather than testing each
    value: the message and the stack's fields (``[ROW_MESSAGE]``, ``[ROW_FIELDS]``) are the
    entry's own text; journald's fields (``[ROW_ITEMS]``) are one tuple shared by a run of
    entries, measured once per run and counted for each (as if it were not shared: the bound
    errs on the side of memory).
    """
    sizes = []
    last: Any = None
    shared = 0
    for row in rows:
        items = row[ROW_ITEMS]
        if items is not last:
            last, shared = items, _items_bytes(items)
        sizes.append(ROW_OVERHEAD + len(row[ROW_MESSAGE] or "") + len(row[ROW_FIELDS] or "") + shared)
    return sizes


def _items_bytes(items: Any) -> int:
    if not isinstance(items, tuple):
        return 0
    return sum(len(k) + len(v) if isinstance(v, str) else len(k) + 16 for k, v in items)


def compile_pattern(text: str) -> re.Pattern[str] | None:
    """Smart case: a pattern without capitals ignores case. Raises ``re.error``."""
    return re.compile(text, 0 if text != text.lower() else re.IGNORECASE) if text else None


class JournalBuffer:
    """Entries, the visible subset and where each visible entry starts on screen."""

    def __init__(self, max_entries: int = 100_000, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.max_entries = max(1, max_entries)
        self.max_bytes = max(1, max_bytes)
        self.entries: list[tuple[Any, ...]] = []  # as_row() of each entry
        self.sizes: array[int] = array("q")  # rows_bytes() of each entry, in step with entries
        self.bytes = 0
        self._kind: Any = None  # the entries' class, which has from_row()
        self.base = 0  # id of entries[0]
        self.visible: array[int] = array("q")  # ids passing level and filter, ascending
        self.cursor: int | None = None  # an id
        self.marks: set[int] = set()
        self.dropped = 0
        self.total = 0
        self.min_level = "DEBUG"
        self.filter_text = ""
        self.filter: re.Pattern[str] | None = None
        self.filter_invert = False
        self.search_text = ""
        self.search: re.Pattern[str] | None = None
        self._rate: list[tuple[float, int]] = []

    # --- data in ------------------------------------------------------------------------------

    def add(self, entries: Sequence[JournalLine], now: float | None = None) -> int:
        """Append entries; returns how many visible entries were dropped with the oldest ones."""
        if not entries:
            return 0
        self.total += len(entries)
        self._rate.append((time.monotonic() if now is None else now, len(entries)))
        first = self.base + len(self.entries)
        given = getattr(entries, "rows", None)  # a sequence that holds rows already (and says its kind)
        if given is not None:
            self._kind, rows = entries.kind, given  # type: ignore[attr-defined]
        else:
            self._kind, rows = type(entries[0]), [entry.as_row() for entry in entries]
        self.entries.extend([("", *row[1:]) for row in rows])  # without the cursor (ROW_CURSOR)
        sizes = rows_bytes(rows)
        self.sizes.extend(sizes)
        self.bytes += sum(sizes)
        if self.filter is None and self.min_level == "DEBUG":
            self.visible.extend(range(first, first + len(rows)))
        else:
            self.visible.extend(first + offset for offset, row in enumerate(rows) if self.passes(row))
        count = max(0, len(self.entries) - self.max_entries)
        if self.bytes > self.max_bytes:  # then the oldest go until the rest fits (the newest is always kept)
            freed = sum(itertools.islice(self.sizes, 0, count))
            for size in itertools.islice(self.sizes, count, len(self.sizes) - 1):
                if self.bytes - freed <= self.max_bytes:
                    break
                freed += size
                count += 1
        return self._evict(count) if count > 0 else 0

    def clear(self) -> None:
        self.entries.clear()
        del self.sizes[:]
        self.bytes = 0
        del self.visible[:]
        self.base = 0
        self.cursor = None
        self.marks.clear()

    def _evict(self, count: int) -> int:
        del self.entries[:count]
        self.bytes -= sum(itertools.islice(self.sizes, 0, count))
        del self.sizes[:count]
        self.base += count
        self.dropped += count
        cut = bisect_left(self.visible, self.base)
        if cut:
            del self.visible[:cut]
        if self.marks:
            self.marks = {m for m in self.marks if m >= self.base}
        if self.cursor is not None and self.cursor < self.base:
            self.cursor = self.visible[0] if self.visible else None
        return cut

    def rebuild(self) -> None:
        """Recompute the visible ids (after the level or filter changed)."""
        passes, base = self.passes, self.base
        self.visible = array("q", (base + i for i, row in enumerate(self.entries) if passes(row)))

    # --- what is there ------------------------------------------------------------------------

    def entry(self, entry_id: int) -> JournalLine:
        return self.from_row(self.entries[entry_id - self.base])

    def from_row(self, row: tuple[Any, ...]) -> JournalLine:
        """A kept row as an entry again."""
        entry: JournalLine = self._kind.from_row(row)
        return entry

    def entry_at_cursor(self) -> JournalLine | None:
        if self.cursor is None or self.cursor < self.base:
            return None
        return self.entry(self.cursor)

    def last_visible(self) -> JournalLine | None:
        return self.entry(self.visible[-1]) if self.visible else None

    def visible_text(self, *, timestamps: bool) -> Iterator[str]:
        """The filtered entries as plain text lines, messages uncut."""
        for entry_id in list(self.visible):
            if entry_id >= self.base:
                yield plain_line(self.entry(entry_id), timestamps=timestamps, cut=False)

    def entries_per_second(self, now: float | None = None) -> float:
        """Arrival rate over the last two seconds."""
        now = time.monotonic() if now is None else now
        self._rate = [(t, n) for t, n in self._rate if now - t <= RATE_SECONDS]
        return sum(n for _, n in self._rate) / RATE_SECONDS

    def status_parts(self) -> list[str]:
        """Rate, buffer use, drops and the active level, filter and search."""
        parts = [
            f"{self.entries_per_second():,.0f}/s",
            f"{len(self.entries):,}/{self.max_entries:,} ({self.fill_percent()}%)",
            f"dropped {self.dropped:,}",
        ]
        if self.min_level != "DEBUG":
            parts.append(f"level ≥ {self.min_level}")
        if self.filter_text:
            parts.append(f"filter {neutralise(self.filter_text)} ({len(self.visible):,} shown)")
        if self.search_text:
            parts.append(f"find {neutralise(self.search_text)}")
        return parts

    def fill_percent(self) -> int:
        """How full the buffer is, by entries or by bytes, whichever is nearer its bound."""
        return max(100 * len(self.entries) // self.max_entries, 100 * self.bytes // self.max_bytes)

    # --- level, filter, search ----------------------------------------------------------------

    def passes(self, row: tuple[Any, ...]) -> bool:
        """Whether an entry (as its row) passes the minimum level and the filter."""
        if RANK.get(row[ROW_LEVEL], 1) < RANK.get(self.min_level, 0):
            return False
        if self.filter is None:
            return True
        message, namespace = row[ROW_MESSAGE], row[ROW_NAMESPACE]
        if namespace is None:  # a message the stream kept whole: the entry splits it
            entry = self.from_row(row)
            message, namespace = entry.message, entry.namespace
        found = self.filter.search(message) is not None or self.filter.search(namespace) is not None
        return found != self.filter_invert

    def set_filter(self, text: str) -> str:
        """Show only entries matching the regex (``!re`` hides them); returns an error or ''."""
        invert = text.startswith("!")
        pattern = text[1:] if invert else text
        try:
            compiled = compile_pattern(pattern)
        except re.error as exc:
            return f"Not a valid regular expression: {exc}."
        self.filter_text, self.filter, self.filter_invert = text, compiled, invert
        self.rebuild()
        return ""

    def set_search(self, text: str) -> str:
        """Remember the search regex; returns an error or ''."""
        try:
            compiled = compile_pattern(text)
        except re.error as exc:
            return f"Not a valid regular expression: {exc}."
        self.search_text, self.search = text, compiled
        return ""

    # --- cursor and rows ----------------------------------------------------------------------

    def cursor_index(self) -> int:
        """The cursor's position among the visible entries (the last when it has none)."""
        if self.cursor is None:
            return len(self.visible) - 1
        return min(bisect_left(self.visible, self.cursor), len(self.visible) - 1)

    def keep_cursor_near(self, entry_id: int) -> None:
        """Put the cursor on ``entry_id`` or, when it is hidden now, the next visible entry."""
        if not self.visible:
            self.cursor = None
            return
        idx = bisect_left(self.visible, entry_id)
        self.cursor = self.visible[min(idx, len(self.visible) - 1)]

    def find(
        self,
        direction: int,
        wanted: Callable[[JournalLine], bool] | None = None,
        *,
        include_current: bool = False,
        ids: Iterable[int] | None = None,
        wrap: bool = True,
    ) -> int | None:
        """The next visible id (wrapping around unless ``wrap`` is false) whose entry is ``wanted`` or is in ``ids``."""
        if not self.visible:
            return None
        among = set(ids) if ids is not None else None
        start = self.cursor_index()
        n = len(self.visible)
        for step in range(0 if include_current else 1, n):
            at = start + direction * step
            if not wrap and not 0 <= at < n:
                return None
            entry_id = self.visible[at % n]
            if among is not None:
                if entry_id in among:
                    return entry_id
            elif wanted is not None and wanted(self.entry(entry_id)):
                return entry_id
        return None

    def toggle_mark(self) -> None:
        if self.cursor is not None:
            self.marks ^= {self.cursor}
