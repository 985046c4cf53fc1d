"""The Journal tab: the unit's journal followed live over SSH, in a :class:`JournalView`."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widgets import Button, Input, Static

from services.core.config import Profile
from services.core.errors import ConsoleError, HostKeyMismatch, HostKeyUnknown
from services.core.files import exports_dir, open_private
from services.core.safe_text import safe_text
from services.core.ssh import fetch_host_key, trust_host_key
from services.journal.follow import follow_journal
from services.journal.parse import JournalEntry
from services.stack.model import Stack
from tui import runtime
from tui.panes import Pane
from widgets.journal_view import JournalView

INITIAL_LINES = 1000
STATUS_SECONDS = 0.5
SWEEP_ENTRIES = 1000  # a young GC pass after this many entries (see runtime.sweep_young)


class JournalPane(Pane):
    """Follows ``journalctl -u <unit>`` as soon as the stack (and so the host) is known."""

    DEFAULT_CSS = """
    JournalPane { height: 1fr; }
    JournalPane > #journal-message { display: none; padding: 0 1; color: $error; }
    JournalPane > #journal-message.shown { display: block; }
    JournalPane > #journal-hostkey { display: none; height: auto; padding: 0 1; }
    JournalPane > #journal-hostkey.shown { display: block; }
    JournalPane > #journal-hostkey Button { margin-right: 2; }
    JournalPane > #journal-input { display: none; }
    JournalPane > #journal-input.shown { display: block; }
    JournalPane > #journal-status { height: 1; padding: 0 1; background: $panel; color: $text-muted; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "close_input", "Close", show=False)]

    def __init__(self, profile: Profile, *, read_only: bool = False, **kwargs: Any) -> None:
        super().__init__(profile, read_only=read_only, **kwargs)
        self._host = ""
        self._last_cursor = ""
        self._pending_fingerprint = ""
        self._input_kind = "filter"
        self.started = False

    def compose(self) -> ComposeResult:
        yield Static(id="journal-message")
        with Horizontal(id="journal-hostkey"):
            yield Button("Trust this host key", id="journal-trust", variant="warning")
            yield Button("Don't trust", id="journal-distrust")
        journal = self.profile.journal
        yield JournalView(
            max_entries=journal.buffer_entries, max_bytes=journal.buffer_mb * 1024 * 1024, id="journal-view"
        )
        yield Input(id="journal-input")
        yield Static(id="journal-status")

    @property
    def view(self) -> JournalView:
        return self.query_one(JournalView)

    def on_mount(self) -> None:
        self.set_interval(STATUS_SECONDS, self._update_status)
        self._update_status()
        if self.profile.ssh.host:  # the host is known without the stack: the journal need not wait for it
            self._host = self.profile.ssh.host
            self.start()

    def stack_loaded(self, stack: Stack) -> None:
        super().stack_loaded(stack)
        host = self.profile.ssh.host or stack.public_ip
        if host != self._host or not self.started:
            self._host = host
            self.start()

    def reload(self) -> None:
        """``r``: start again if the stream failed (a running stream resumes by itself)."""
        if self._host and not self.started:
            self.start()

    def start(self) -> None:
        self.started = True
        self._say("")
        self.follow()

    @work(exclusive=True, group="journal", exit_on_error=False)
    async def follow(self) -> None:
        view = self.view
        if not self._host:
            self._fail("No SSH host: the stack has no PublicIP output and ssh.host is empty.")
            return
        view.connection = "connecting"
        stream = follow_journal(
            self.profile,
            self._host,
            lines=None if self._last_cursor else min(INITIAL_LINES, self.profile.journal.buffer_entries),
            after_cursor=self._last_cursor,
        )
        young = 0  # entries taken since the last young pass
        try:
            async for batch in stream:
                if batch.entries:
                    view.add_entries(batch.entries)
                    self._last_cursor = batch.entries[-1].cursor
                    young += len(batch.entries)
                    if young >= SWEEP_ENTRIES:
                        runtime.sweep_young()
                        young = 0
                view.connection = batch.state.describe()
        except HostKeyMismatch as exc:
            self._fail(str(exc))
        except HostKeyUnknown as exc:
            self._pending_fingerprint = exc.fingerprint
            self._fail(str(exc), ask_host_key=True)
        except ConsoleError as exc:
            self._fail(f"{exc} Press r to retry.")
        finally:
            await stream.aclose()

    def show_failure(self, sentence: str) -> None:
        self._fail(sentence)

    def _fail(self, sentence: str, *, ask_host_key: bool = False) -> None:
        self.started = False
        self.view.connection = "stopped"
        self._say(sentence)
        self.query_one("#journal-hostkey").set_class(ask_host_key, "shown")
        if ask_host_key:
            # The safe answer has the focus, as ssh's prompt defaults to no: Enter must not trust.
            self.query_one("#journal-distrust", Button).focus()

    def _say(self, sentence: str) -> None:
        message = self.query_one("#journal-message", Static)
        message.update(Text(safe_text(sentence)))
        message.set_class(bool(sentence), "shown")
        if not sentence:
            self.query_one("#journal-hostkey").remove_class("shown")

    def _update_status(self) -> None:
        # one row, always: no layout pass (a pass over the whole screen, twice a second in a flood)
        self.query_one("#journal-status", Static).update(Text(self.view.status_text()), layout=False)

    # --- host key consent -------------------------------------------------------------------

    @on(Button.Pressed, "#journal-trust")
    def _trust_pressed(self) -> None:
        self.trust_key()

    @on(Button.Pressed, "#journal-distrust")
    def _distrust_pressed(self) -> None:
        self.query_one("#journal-hostkey").remove_class("shown")
        self._say("Host key not trusted; nothing was written. Press r to ask again.")

    @work(exclusive=True, group="journal", exit_on_error=False)
    async def trust_key(self) -> None:
        """Write the key to known_hosts only if it is still the one the operator was shown."""
        try:
            offered = await fetch_host_key(self.profile, self._host)
            path = trust_host_key(self.profile, offered, self._pending_fingerprint)
        except ConsoleError as exc:
            self._fail(str(exc))
            return
        self.notify(f"Added {offered.fingerprint} for {offered.host}:{offered.port} to {path}.", title="Journal")
        self.start()

    # --- view requests ----------------------------------------------------------------------

    @on(JournalView.EntrySelected)
    def _show_entry(self, message: JournalView.EntrySelected) -> None:
        from tui.screens.journal_entry import JournalEntryScreen

        if isinstance(message.entry, JournalEntry):
            self.app.push_screen(JournalEntryScreen(message.entry))

    @on(JournalView.InputRequested)
    def _ask(self, message: JournalView.InputRequested) -> None:
        self._input_kind = message.kind
        box = self.query_one("#journal-input", Input)
        box.placeholder = (
            "filter regex (!regex hides matches), Enter applies, Esc cancels"
            if message.kind == "filter"
            else "find regex, Enter jumps to the next match (n/N), Esc cancels"
        )
        box.value = message.current
        box.add_class("shown")
        box.focus()

    @on(Input.Submitted, "#journal-input")
    def _apply(self, event: Input.Submitted) -> None:
        view = self.view
        error = view.set_filter(event.value) if self._input_kind == "filter" else view.set_search(event.value)
        if error:
            self.notify(error, severity="error", title="Journal")
            return
        event.input.remove_class("shown")
        view.focus()

    def action_close_input(self) -> None:
        box = self.query_one("#journal-input", Input)
        box.remove_class("shown")
        self.view.focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "close_input":
            return self.query_one("#journal-input", Input).has_class("shown")
        return True

    @on(JournalView.SaveRequested)
    def _save(self) -> None:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        path = exports_dir(self.profile) / f"journal-{self.profile.stack}-{stamp}.log"
        try:
            with open_private(path) as fh:
                for line in self.view.visible_text():
                    fh.write(line + "\n")
        except OSError as exc:
            self.notify(f"Could not save the view to {path}: {exc.strerror}.", severity="error", title="Journal")
            return
        self.notify(f"Saved {self.view.visible_count:,} entries to {path}.", title="Journal")

    def on_unmount(self) -> None:
        with contextlib.suppress(Exception):
            self.workers.cancel_group(self, "journal")
