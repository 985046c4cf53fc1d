"""The Journal tab with Pilot: JournalPane following the sandbox SSH server into a JournalView."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from textual.app import App, ComposeResult
from textual.widgets import Tree

from sandbox.core import SandboxContext
from sandbox.journal_gen import JournalGen
from sandbox.ssh import SshPart, profile_for
from services.core.config import Profile
from services.journal.parse import JournalEntry, JournalParser
from services.stack.model import Stack
from tests.hidden_tab import HiddenTabApp
from tui.panes.journal import JournalPane
from tui.screens.journal_entry import JournalEntryScreen
from widgets.journal_buffer import plain_line
from widgets.journal_view import JournalView


def _stack() -> Stack:
    return Stack("ttes-demo", "id", "eu-west-1", "CREATE_COMPLETE", "", {"PublicIP": "192.0.2.1"}, (), (), None, None)


class PaneApp(App[None]):
    """The Journal pane alone; ``stack_known=False``: before the stack (and so the host) is known."""

    def __init__(self, profile: Profile, *, stack_known: bool = True) -> None:
        super().__init__()
        self.profile = profile
        self.stack_known = stack_known

    def compose(self) -> ComposeResult:
        yield JournalPane(self.profile, id="journal")

    def on_mount(self) -> None:
        if self.stack_known:
            self.query_one(JournalPane).stack_loaded(_stack())
        self.query_one(JournalView).focus()


@pytest.fixture
async def part(tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[SshPart]:
    scenarios = getattr(request, "param", ())
    server = SshPart(backlog=1200, rate=5.0)
    await server.start(SandboxContext(workdir=tmp_path, scenarios=frozenset(scenarios)))
    yield server
    await server.stop()


async def _until(pilot: object, condition: Callable[[], bool]) -> None:
    for _ in range(500):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition not reached")


def _screen_text(view: JournalView) -> list[str]:
    return [view.render_line(y).text for y in range(view.size.height)]


@pytest.mark.parametrize("part", [("log-garbage",)], indirect=True)
async def test_garbage_is_shown_escaped_and_never_as_raw_escapes(part: SshPart) -> None:
    app = PaneApp(profile_for(part))
    async with app.run_test(size=(160, 40)) as pilot:
        view = app.query_one(JournalView)
        await _until(pilot, lambda: view.entry_count >= 1000)
        for pattern in ("red alert", "cursor move", "not markup", "invalid utf-8", "AAAA", "withheld"):
            assert view.set_filter(pattern) == ""
            await pilot.pause()
            text = "\n".join(_screen_text(view))
            assert view.visible_count >= 1, pattern
            assert "\x1b" not in text and "\x07" not in text and "\r" not in text
        view.set_filter("red alert")
        await pilot.pause()
        assert "\\x1b[31mred alert\\x1b[0m" in "\n".join(_screen_text(view))
        view.set_filter("not markup")
        await pilot.pause()
        assert "[bold red]not markup[/]" in "\n".join(_screen_text(view))


async def test_follow_pauses_on_scroll_up_and_resumes_with_end(part: SshPart) -> None:
    app = PaneApp(profile_for(part))
    async with app.run_test(size=(120, 30)) as pilot:
        view = app.query_one(JournalView)
        await _until(pilot, lambda: view.entry_count >= 1000)
        assert view.follow and "FOLLOW" in view.status_text()
        await pilot.press("up", "up")
        assert not view.follow and "PAUSED" in view.status_text()
        paused_at = view.entry_at_cursor()
        await _until(pilot, lambda: view.entry_count >= 1003)
        assert view.entry_at_cursor() == paused_at  # entries are equal by value (rebuilt from rows)
        await pilot.press("end")
        assert view.follow
        await _until(pilot, lambda: view.entry_count >= 1005)
        assert view.entry_at_cursor() == view.last_visible() is not None


async def test_level_filter_search_errors_and_fields(part: SshPart, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    app = PaneApp(profile_for(part))
    async with app.run_test(size=(120, 30)) as pilot:
        view = app.query_one(JournalView)
        await _until(pilot, lambda: view.entry_count >= 1000)
        await pilot.press("l", "l")
        assert view.min_level == "WARN"
        assert all(line.split()[1] in ("WARN", "ERROR", "FATAL") for line in view.visible_text())
        await pilot.press("l", "l")
        assert view.min_level == "DEBUG"
        await pilot.press("slash")
        await pilot.press(*"!request handled", "enter")
        assert view.visible_count > 0
        assert not any("Request handled" in line for line in view.visible_text())
        await pilot.press("e")
        entry = view.entry_at_cursor()
        assert entry is not None and entry.level in ("ERROR", "FATAL") and not view.follow
        await pilot.press("f", *"Gateway missed", "enter")
        entry = view.entry_at_cursor()
        assert entry is not None and "Gateway missed" in entry.message
        await pilot.press("n")
        assert view.entry_at_cursor() != entry and "Gateway missed" in view.entry_at_cursor().message
        monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
        await pilot.press("ctrl+s")
        assert not list(tmp_path.glob("journal-*"))  # not in the current directory: the exports directory
        saved = list((tmp_path / "data" / "ttes-console" / "exports").glob("journal-ttes-demo-*.log"))
        assert saved and oct(saved[0].stat().st_mode & 0o777) == "0o600"
        # the stream goes on meanwhile: the file is the view as it was, a prefix of the view now
        lines = saved[0].read_text().splitlines()
        assert len(saved) == 1 and len(lines) == len(list(view.visible_text())[: len(lines)]) <= view.visible_count
        assert lines == list(view.visible_text())[: len(lines)] and len(lines) >= view.visible_count - 10
        await pilot.press("enter")
        assert isinstance(app.screen, JournalEntryScreen)
        tree = app.screen.query_one(Tree)
        labels = [str(node.label) for node in tree.root.children]
        assert labels[0].startswith("message = Gateway missed") and "journal fields" in labels
        await pilot.press("escape")
        assert not isinstance(app.screen, JournalEntryScreen)


async def test_unknown_host_key_asks_before_writing_known_hosts(part: SshPart, tmp_path: Path) -> None:
    known = tmp_path / "operator_known_hosts"
    app = PaneApp(profile_for(part, known_hosts=str(known)))
    async with app.run_test(size=(160, 30)) as pilot:
        pane = app.query_one(JournalPane)
        message = pane.query_one("#journal-message")
        await _until(pilot, lambda: message.has_class("shown"))
        assert part.host_key.get_fingerprint("sha256") in str(message.render())
        assert pane.query_one("#journal-hostkey").has_class("shown")
        assert not known.exists()
        await pilot.pause()
        assert app.focused is pane.query_one("#journal-distrust")  # Enter must not trust a key
        await pilot.press("enter")
        await pilot.pause()
        assert not known.exists() and not pane.query_one("#journal-hostkey").has_class("shown")
        pane.reload()  # what r does on the dashboard
        await _until(pilot, lambda: pane.query_one("#journal-hostkey").has_class("shown"))
        await pilot.pause()
        await pilot.click("#journal-trust")
        view = app.query_one(JournalView)
        await _until(pilot, lambda: view.entry_count >= 1000)
        assert known.read_text().startswith(f"[127.0.0.1]:{part.port} ssh-ed25519 ")


class ViewApp(App[None]):
    def __init__(self, max_entries: int = 100) -> None:
        super().__init__()
        self.max_entries = max_entries

    def compose(self) -> ComposeResult:
        yield JournalView(max_entries=self.max_entries)


class Journal:
    """The sandbox's journal from 2026-01-01 (``backlog`` entries), parsed in order as a stream does."""

    def __init__(self, backlog: int) -> None:
        self.gen = JournalGen(t0=datetime(2026, 1, 1, tzinfo=UTC).timestamp(), backlog=backlog)
        self.parser = JournalParser()

    def take(self, start: int, stop: int) -> list[JournalEntry]:
        """Entries ``start`` to ``stop - 1``."""
        return [self.parser.parse(self.gen.line(s)) for s in range(start, stop)]


async def test_buffer_is_bounded_and_counts_what_it_dropped() -> None:
    journal = Journal(400)
    app = ViewApp()
    async with app.run_test(size=(80, 20)) as pilot:
        view = app.query_one(JournalView)
        view.add_entries(journal.take(1, 251))
        assert (view.entry_count, view.dropped) == (100, 150)
        assert view.last_visible().seqnum == 250 and view.visible_count == 100
        assert view.virtual_size.height == 100
        await pilot.press("w")
        view.add_entries(journal.take(251, 401))
        await pilot.pause(0.5)  # following repaints at most every 200 ms
        assert (view.entry_count, view.dropped) == (100, 300)
        last_time = list(view.visible_text())[-1].split()[0]
        assert last_time in "\n".join(_screen_text(view)[-8:])
        assert "100/100 (100%)" in view.status_text() and "dropped 300" in view.status_text()


def test_buffer_keeps_each_entry_but_its_cursor() -> None:
    from widgets.journal_buffer import JournalBuffer

    journal = Journal(400)
    entries = journal.take(1, 301)
    buffer = JournalBuffer(200)
    buffer.add(entries[:150])
    buffer.add(entries[150:])
    assert (len(buffer.entries), buffer.dropped, list(buffer.visible)) == (200, 100, list(range(100, 300)))
    for entry_id in (100, 299):
        kept = buffer.entry(entry_id)
        assert kept.cursor == "" and kept.seqnum == entries[entry_id].seqnum
        assert (kept.level, kept.namespace, kept.message, kept.fields) == (
            entries[entry_id].level,
            entries[entry_id].namespace,
            entries[entry_id].message,
            entries[entry_id].fields,
        )


async def test_a_flood_leaves_no_drawn_lines_to_the_cyclic_collector() -> None:
    """Drawn lines that leave the view's cache are freed at once, not left for a full GC pass.

    In a flood every batch evicts entries and every repaint draws new lines; lines the collector
    has to find (cycles) pile up and are freed in one full pass that stalls the app for 100 ms+.
    """
    journal = Journal(4000)
    app = ViewApp()
    async with app.run_test(size=(120, 40)) as pilot:
        view = app.query_one(JournalView)
        view.add_entries(journal.take(1, 201))
        await pilot.pause()
        batches = [journal.take(b, b + 50) for b in range(201, 3201, 50)]
        compositor = app.screen._compositor
        gc.collect()
        gc.disable()
        try:
            for batch in batches:
                view.add_entries(batch)
                view._catch_up()  # the follow repaint, without waiting for its timer
                compositor.update_widgets({view})
                compositor.render_update(screen_stack=app._background_screens)
            found = gc.collect()
        finally:
            gc.enable()
        assert view.dropped == 3100
        assert found < len(batches) * 10  # was ~2,000 objects a repaint with Textual's LRUCache


async def test_wrapped_entries_show_every_part_and_no_blank_rows() -> None:
    from services.journal.parse import JournalEntry

    def entry(seq: int, message: str) -> JournalEntry:
        return JournalEntry("", seq, 1_780_000_000_000_000 + seq, "INFO", "grpc", message, "", ())

    app = ViewApp()
    async with app.run_test(size=(60, 20)) as pilot:
        view = app.query_one(JournalView)
        view.add_entries(
            [entry(1, "short"), entry(2, "x" * 150 + " tail-of-two"), entry(3, "y" * 40 + " tail-of-three")]
        )
        await pilot.press("w")
        await pilot.pause(0.3)
        rows = [line.rstrip() for line in _screen_text(view)]
        # 19 + 162 cells and 19 + 54 cells at 59 a row: one row, four rows, two rows, then nothing
        assert all(rows[:7]) and not any(rows[7:]), rows
        text = "".join(rows)
        assert "short" in text and "tail-of-two" in text and "tail-of-three" in text


async def test_wrap_is_instant_on_a_full_buffer_and_follows_the_newest() -> None:
    """Only the entries on screen are wrapped: toggling costs one screen, whatever the buffer holds."""
    journal = Journal(30_000)
    app = ViewApp(max_entries=100_000)
    async with app.run_test(size=(80, 24)) as pilot:
        view = app.query_one(JournalView)
        view.add_entries(journal.take(1, 30_001))
        await pilot.pause()
        counted = []
        original = view.painter.parts

        def parts(entry_id: int, wrap_width: int, timestamps: bool):  # type: ignore[no-untyped-def]
            counted.append(entry_id)
            return original(entry_id, wrap_width, timestamps)

        view.painter.parts = parts  # type: ignore[method-assign]
        await pilot.press("w")
        await pilot.pause(0.3)
        assert len(set(counted)) < 100  # a screen's worth, not 30,000
        rows = [line.rstrip() for line in _screen_text(view)]
        newest = view.buffer.entry(view.buffer.visible[-1])
        tail = plain_line(newest, timestamps=True).rstrip()[-20:]
        assert tail in "".join(rows[-4:])  # the newest entry ends on the bottom rows
        assert all(rows), rows
        view.add_entries(journal.take(30_001, 30_003))
        await pilot.pause(0.5)  # following repaints at most every 200 ms
        newest = view.buffer.entry(view.buffer.visible[-1])
        assert plain_line(newest, timestamps=True).rstrip()[-20:] in "".join(_screen_text(view)[-4:])
        await pilot.press("home")
        await pilot.pause()
        first = view.buffer.entry(view.buffer.visible[0])
        assert _screen_text(view)[0].startswith(" " + plain_line(first, timestamps=True)[:30])
        await pilot.press("down", "down", "pagedown", "pagedown")
        await pilot.pause()
        cursor = view.buffer.entry_at_cursor()
        assert cursor is not None and plain_line(cursor, timestamps=True)[:25] in "\n".join(_screen_text(view))


async def test_a_hidden_view_lays_nothing_out_and_catches_up_when_shown() -> None:
    """Entries for a tab that is not shown change nothing on screen (a new size would lay out the
    tab that is shown, as often as entries come); showing the tab catches up to the newest."""
    journal = Journal(400)
    app = HiddenTabApp(JournalView(max_entries=500))
    async with app.run_test(size=(100, 20)) as pilot:
        view = app.query_one(JournalView)
        for start in range(1, 400, 50):
            view.add_entries(journal.take(start, start + 50))
            await pilot.pause(0.05)
        await pilot.pause(0.3)
        assert view.entry_count == 400 and view.virtual_size.height == 0
        app.show_view()
        newest = view.last_visible()
        assert newest.seqnum == 400
        await _until(pilot, lambda: any(plain_line(newest, timestamps=True)[:12] in row for row in _screen_text(view)))
        assert view.virtual_size.height == 400
