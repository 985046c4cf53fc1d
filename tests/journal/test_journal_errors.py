"""The journal's error keys as an engineer expects from a live tail, against the sandbox's SSH server."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from sandbox.core import SandboxContext
from sandbox.ssh import SshPart, profile_for
from services.journal.parse import JournalParser
from tests.journal.test_journal_view import PaneApp, _stack, _until
from tui.panes.journal import JournalPane
from widgets.journal_view import JournalView


@pytest.fixture
async def part(tmp_path: Path) -> SshPart:
    server = SshPart(backlog=1200, rate=5.0)
    await server.start(SandboxContext(workdir=tmp_path, scenarios=frozenset()))
    yield server  # type: ignore[misc]
    await server.stop()


def newest_error_index(view: JournalView) -> int:
    visible = view.buffer.visible
    return max(i for i, entry_id in enumerate(visible) if view.buffer.entry(entry_id).level in ("ERROR", "FATAL"))


async def test_capital_e_before_any_data_waits_then_lands_on_the_newest_error(part: SshPart) -> None:
    profile = profile_for(part)
    # The host comes from the stack's PublicIP here: nothing streams before the stack is loaded.
    profile = replace(profile, ssh=replace(profile.ssh, host=""))
    stack = replace(_stack(), outputs={"PublicIP": "127.0.0.1"})
    app = PaneApp(profile, stack_known=False)
    async with app.run_test(size=(100, 30)) as pilot:
        view = app.query_one(JournalView)
        await pilot.press("E")
        assert view.waiting_for_error and view.follow  # nothing to jump to: it still follows, and waits
        app.query_one(JournalPane).stack_loaded(stack)
        await _until(pilot, lambda: not view.waiting_for_error)
        entry = view.entry_at_cursor()
        assert entry is not None and entry.level in ("ERROR", "FATAL") and not view.follow


async def test_e_from_the_live_tail_goes_to_the_newest_error_then_back_and_never_wraps(part: SshPart) -> None:
    app = PaneApp(profile_for(part), stack_known=False)
    async with app.run_test(size=(100, 30)) as pilot:
        view = app.query_one(JournalView)
        app.query_one(JournalPane).stack_loaded(_stack())
        await _until(pilot, lambda: view.entry_count >= 1000)
        assert view.follow
        await pilot.press("e")
        first = view.buffer.cursor_index()
        assert first == newest_error_index(view) or first >= newest_error_index(view) - 5  # entries keep coming
        assert view.entry_at_cursor().level in ("ERROR", "FATAL")
        await pilot.press("e")
        assert view.buffer.cursor_index() < first and view.entry_at_cursor().level in ("ERROR", "FATAL")
        await pilot.press("home")
        oldest = view.buffer.cursor_index()
        await pilot.press("e")  # nothing older than the oldest: it stays, it does not wrap to the newest
        assert view.buffer.cursor_index() == oldest


def test_the_stacks_error_lines_are_errors_whatever_the_priority() -> None:
    parser = JournalParser()
    lines = [
        b'{"__CURSOR":"c1","__REALTIME_TIMESTAMP":"1","__MONOTONIC_TIMESTAMP":"1","__SEQNUM":"1","PRIORITY":"6",'
        b'"MESSAGE":"INFO\\tStarting...\\t{\\"namespace\\": \\"cmd\\"}"}',
        b'{"__CURSOR":"c2","__REALTIME_TIMESTAMP":"2","__MONOTONIC_TIMESTAMP":"2","__SEQNUM":"2","PRIORITY":"6",'
        b'"MESSAGE":"error:cmd/internal/shared:initialize_application_server (could not initialize application server)"}',
        b'{"__CURSOR":"c3","__REALTIME_TIMESTAMP":"3","__MONOTONIC_TIMESTAMP":"3","__SEQNUM":"3","PRIORITY":"6",'
        b'"MESSAGE":"--- error:pkg/redis:connection (dial tcp 127.0.0.1:5432: connect: connection refused)"}',
        b'{"__CURSOR":"c4","__REALTIME_TIMESTAMP":"4","__MONOTONIC_TIMESTAMP":"4","__SEQNUM":"4","PRIORITY":"6",'
        b'"MESSAGE":"an ordinary line about error: nothing"}',
    ]
    levels = [parser.parse(line).level for line in lines]
    assert levels == ["INFO", "ERROR", "ERROR", "INFO"]
