"""The journal buffer is bounded in bytes as well as entries: 1 MB messages do not take gigabytes.

Messages are kept whole (the fields view and saving show them entire) and cut only for display.
"""

from __future__ import annotations

import gc
import json
from datetime import UTC, datetime
from pathlib import Path

from sandbox.journal_gen import JournalGen
from services.journal.parse import JournalEntry, JournalParser
from widgets.journal_buffer import MAX_CHARS, JournalBuffer, plain_line

MB = 1024 * 1024


def _big_entries(count: int, size: int = MB):  # type: ignore[no-untyped-def]
    """Journal entries (parsed as a stream does) whose messages are ``size`` characters each."""
    gen = JournalGen(t0=datetime(2026, 1, 1, tzinfo=UTC).timestamp(), backlog=count + 1)
    parser = JournalParser()
    for seq in range(1, count + 1):
        record = json.loads(gen.line(seq))
        record["MESSAGE"] = f"INFO\tbig {seq} " + "x" * size
        yield parser.parse(json.dumps(record).encode())


def _rss_mb() -> float:
    status = Path("/proc/self/status").read_text()
    return int(status.split("VmRSS:")[1].split()[0]) / 1024


def test_bytes_bound_evicts_the_oldest_and_keeps_messages_whole() -> None:
    buffer = JournalBuffer(max_entries=100_000, max_bytes=8 * MB)
    for entry in _big_entries(40):
        buffer.add([entry])
    assert buffer.bytes <= 8 * MB and 5 <= len(buffer.entries) <= 8
    assert buffer.dropped == 40 - len(buffer.entries) and buffer.total == 40
    newest = buffer.last_visible()
    assert isinstance(newest, JournalEntry) and newest.message.startswith("big 40 ")
    assert len(newest.message) > MB  # whole, for the fields view and saving
    assert len(plain_line(newest, timestamps=False)) < MAX_CHARS + 100  # cut for display
    saved = list(buffer.visible_text(timestamps=False))
    assert len(saved) == len(buffer.entries) and all(len(line) > MB for line in saved)
    assert f"{len(buffer.entries):,}/100,000" in " ".join(buffer.status_parts())
    assert buffer.fill_percent() >= 75  # full by bytes, though 7 entries are far from 100,000
    assert f"({buffer.fill_percent()}%)" in " ".join(buffer.status_parts())


def test_one_entry_bigger_than_the_bound_is_still_shown() -> None:
    buffer = JournalBuffer(max_entries=10, max_bytes=MB // 2)
    for entry in _big_entries(3):
        buffer.add([entry])
    assert len(buffer.entries) == 1 and buffer.last_visible().message.startswith("big 3 ")  # type: ignore[union-attr]


def test_rss_stays_under_the_bound_with_1_mb_messages() -> None:
    bound = 48 * MB
    buffer = JournalBuffer(max_entries=100_000, max_bytes=bound)
    gc.collect()
    before = _rss_mb()
    batch: list[JournalEntry] = []
    for entry in _big_entries(400):
        batch.append(entry)
        if len(batch) == 10:
            buffer.add(batch)
            batch = []
    gc.collect()
    grown = _rss_mb() - before
    # 400 MB went through; what stays is the bound plus the allocator's slack (a few batches in flight).
    assert grown < bound / MB + 40, f"RSS grew {grown:.0f} MB with a {bound // MB} MB bound"
    assert buffer.bytes <= bound and buffer.dropped >= 350
