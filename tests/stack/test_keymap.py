"""The key map: one meaning per key, the keys on screen (footer, tab labels, palette), reserved keys free."""

from __future__ import annotations

from textual.binding import Binding
from textual.widgets import TabbedContent

from tests.conftest import RunningSandbox
from tests.stack.test_dashboard import screen_text, wait_for
from tui.app import TtesConsoleApp
from tui.commands import ACTIONS
from tui.panes.journal import JournalPane
from tui.screens.dashboard import DashboardScreen
from tui.screens.help import SOURCES, _bindings
from tui.screens.snapshots import SnapshotScreen

GLOBAL = {"q", "question_mark", "s", "c", "r", "1", "2", "3", "4", "5", "E", "h", "F"}
# The views added after the key map was drawn, each on the one key kept for it.
OWNED = {"h": "host", "F": "fleet", "5": "show_tab", "g": "toggle_gateways"}


def every_binding() -> list[tuple[str, str, Binding]]:
    out = []
    for group, owners in SOURCES:
        for module, cls in owners:
            for binding in _bindings(module, cls):
                for key in binding.key.split(","):
                    out.append((group, key.strip(), binding))
    return out


def test_global_keys_mean_one_thing_and_kept_keys_open_their_view() -> None:
    meanings: dict[str, set[str]] = {}
    for group, key, binding in every_binding():
        if key in OWNED:
            assert binding.action.split("(")[0].startswith(OWNED[key]), f"{group} binds {key} to {binding.action}"
        if key in GLOBAL:
            meanings.setdefault(key, set()).add(binding.action.split("(")[0].replace("quit_asking", "quit"))
    for key, actions in meanings.items():
        assert len(actions) == 1, f"{key} means {actions}"
    assert "s" in meanings and meanings["s"] == {"snapshots"}


def test_the_palette_lists_the_console_commands_with_their_keys() -> None:
    keys = [key for _, key, _, _ in ACTIONS]
    assert keys[:2] == ["E", "1"] and "s" in keys and "c" in keys and "q" in keys


async def test_tab_labels_carry_their_keys_and_s_opens_snapshots_from_the_journal(aws_env: RunningSandbox) -> None:
    app = TtesConsoleApp(aws_env.profile())
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: bool(app.screen.query(TabbedContent)))
        await pilot.pause()
        text = screen_text(app)
        for label in ("1 Journal", "2 Uplinks", "3 Events", "4 Metrics"):
            assert label in text
        assert "q Quit" in text and "? Help" in text and "s Snapshots" in text  # the footer at 80 columns
        await pilot.press("1")
        view = app.screen.query_one(JournalPane).view
        await wait_for(pilot, lambda: view.has_focus)
        assert "E Newest error" in screen_text(app) and "q Quit" in screen_text(app)
        follow = view.follow
        await pilot.press("s")
        await wait_for(pilot, lambda: isinstance(app.screen, SnapshotScreen))
        assert view.follow == follow  # s never toggles the journal's follow
        await pilot.press("escape")
        assert isinstance(app.screen, DashboardScreen)
