"""One journal entry drawn as Rich segments: mark, time, level, namespace, message, fields.

The renderer half of the journal view, kept apart from the scrolling widget so each stays small.
Every piece of remote text goes through ``neutralise`` and is a plain ``Segment`` (never markup).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from rich.segment import Segment
from rich.style import Style

from widgets.journal_buffer import MAX_CHARS, RANK, JournalLine, clock, extra_fields, neutralise


def entry_segments(
    entry: JournalLine,
    style: Callable[[str], Style],
    *,
    marked: bool,
    timestamps: bool,
    search: re.Pattern[str] | None,
) -> list[Segment]:
    """The entry's segments; ``style(name)`` gives the view's ``journal-view--<name>`` style."""
    level_style = style(entry.level.lower() if entry.level in RANK else "info")
    segs = [Segment("▌" if marked else " ", style("mark"))]
    if timestamps:
        segs.append(Segment(clock(entry) + " ", style("timestamp")))
    segs.append(Segment(f"{entry.level:<5} ", level_style))
    if entry.namespace:
        segs.append(Segment(neutralise(entry.namespace) + ": ", style("namespace")))
    message = entry.message
    more = ""
    if len(message) > MAX_CHARS:
        more = f" … [+{len(message) - MAX_CHARS:,} chars]"
        message = message[:MAX_CHARS]
    segs.extend(highlighted(neutralise(message), level_style, search, style("match")))
    extra = extra_fields(entry.stack_fields)  # journald's own fields are never shown inline
    if more or extra:
        segs.append(Segment(more + ("  " + neutralise(extra[:MAX_CHARS]) if extra else ""), style("fields")))
    return segs


def highlighted(text: str, style: Style, search: re.Pattern[str] | None, match: Style) -> list[Segment]:
    """``text`` with the search's matches in the match style."""
    if search is None:
        return [Segment(text, style)]
    out: list[Segment] = []
    pos = 0
    match_style = style + match
    for m in search.finditer(text):
        if m.end() == m.start():
            continue
        out.append(Segment(text[pos : m.start()], style))
        out.append(Segment(m.group(), match_style))
        pos = m.end()
    out.append(Segment(text[pos:], style))
    return out
