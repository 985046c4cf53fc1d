"""The console's frame while the simulated deployment starts (``--demo``): its parts as they come up.

The frame is drawn at once; a thread waits for the sandbox (a child process) and reports each
part; when the profile is written the app opens the dashboard on it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from services.core.config import Profile
from services.core.errors import ConsoleError

Opening = Callable[[Callable[[str], None]], Profile]


class StartingScreen(Screen[None]):
    """Shows the sandbox's parts as they start; hands the profile to the app when it is ready."""

    DEFAULT_CSS = """
    StartingScreen > Vertical { padding: 1 2; height: 1fr; }
    StartingScreen #starting-title { text-style: bold; margin-bottom: 1; }
    StartingScreen #starting-parts { color: $success; }
    StartingScreen #starting-wait { color: $text-muted; margin-top: 1; }
    StartingScreen #starting-wait.-error { color: $error; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [Binding("q", "app.quit", "Quit")]

    def __init__(self, opening: Opening) -> None:
        super().__init__()
        self.opening = opening
        self.parts: list[str] = []
        self._started = time.monotonic()

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical():
            yield Static("Starting the simulated deployment on this machine (loopback only)…", id="starting-title")
            yield Static("", id="starting-parts")
            yield Static("", id="starting-wait")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.set_interval(0.1, self._tick)
        self._wait()

    def _tick(self) -> None:
        wait = self.query_one("#starting-wait", Static)
        if not wait.has_class("-error"):
            wait.update(f"waiting for the rest… {time.monotonic() - self._started:.1f} s")

    def part_ready(self, name: str) -> None:
        self.parts.append(name)
        self.query_one("#starting-parts", Static).update(Text("\n".join(f"✓ {p}" for p in self.parts)))

    @work(thread=True, exit_on_error=False, group="starting")
    def _wait(self) -> None:
        try:
            profile = self.opening(lambda name: self.app.call_from_thread(self.part_ready, name))
        except ConsoleError as exc:
            self.app.call_from_thread(self._failed, str(exc))
            return
        # mypy solves Textual's ``Callable[..., T | Awaitable[T]]`` for a coroutine as T = Never.
        self.app.call_from_thread(self._ready, profile)  # type: ignore[arg-type]

    def _failed(self, sentence: str) -> None:
        wait = self.query_one("#starting-wait", Static)
        wait.add_class("-error")
        wait.update(Text(f"{sentence} Press q to quit."))

    async def _ready(self, profile: Profile) -> None:
        from tui.app import TtesConsoleApp

        app = self.app
        if isinstance(app, TtesConsoleApp):
            await app.profile_ready(profile)
