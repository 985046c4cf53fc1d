"""SVG snapshot of the journal view with fixed entries (the generator's clock is frozen)."""

from __future__ import annotations

from datetime import UTC, datetime

from textual.app import App, ComposeResult

from sandbox.journal_gen import JournalGen
from services.journal.parse import JournalParser
from widgets.journal_view import JournalView

T0 = datetime(2026, 11, 26, 10, 48, tzinfo=UTC).timestamp()


class FixedJournalApp(App[None]):
    def compose(self) -> ComposeResult:
        yield JournalView(max_entries=1000)

    def on_mount(self) -> None:
        gen = JournalGen(t0=T0, scenarios=frozenset({"log-garbage"}), backlog=600)
        parser = JournalParser()
        view = self.query_one(JournalView)
        view.add_entries([parser.parse(gen.line(seq)) for seq in range(1, 601)])
        view.focus()


async def _mark_and_find(pilot) -> None:  # type: ignore[no-untyped-def]
    assert pilot.app.query_one(JournalView).set_search("red alert") == ""
    await pilot.press("m", "down", "down")
    await pilot.pause()


def test_journal_view_snapshot(snap_compare) -> None:  # type: ignore[no-untyped-def]
    """Levels, namespaces, fields, a mark, a search hit and escaped remote escape sequences."""
    assert snap_compare(FixedJournalApp(), terminal_size=(120, 24), run_before=_mark_and_find)
