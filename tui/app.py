"""The ttes-console application: wires the profile, the AWS clients and the screens."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import work
from textual.binding import Binding, BindingType

from services.core.aws import AwsClients, caller_arn
from services.core.config import Profile
from services.core.errors import ConsoleError
from tui import runtime
from tui.commands import ConsoleCommands
from tui.fleet_nav import FleetNavigation
from tui.handoff import SnapshotHandoff, SnapshotsHandedOff
from tui.screens.dashboard import DashboardScreen
from tui.screens.help import HelpScreen
from tui.worker_errors import ShowsWorkerFailures

if TYPE_CHECKING:
    from textual.driver import Driver

    from tui.screens.starting import Opening


class TtesConsoleApp(ShowsWorkerFailures, FleetNavigation):
    """Keyboard-driven operations console for one TTES deployment."""

    CSS_PATH = "app.tcss"
    TITLE = "ttes-console"
    COMMANDS: ClassVar[set[Any]] = {ConsoleCommands}  # the console's first, then Textual's (tui.commands)
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit"),
        Binding("question_mark,f1", "help", "Help"),
        Binding("s", "snapshots", "Snapshots"),
        Binding("c", "change_set", "Change set"),
        Binding("h", "host", "Host"),
        Binding("F", "fleet", "Fleet"),
    ]

    def __init__(
        self,
        profile: Profile | None,
        *,
        read_only: bool = False,
        clients: AwsClients | None = None,
        fleet: Sequence[Profile] = (),
        start_on_fleet: bool = False,
        opening: Opening | None = None,
    ) -> None:
        """``profile`` None with ``opening``: draw the frame at once and get the profile from ``opening``
        (the demo starting its simulated deployment), in a thread, while the frame shows its progress."""
        super().__init__()
        if profile is None and opening is None:
            raise ValueError("a profile, or a way to open one")
        self.fleet_profiles = tuple(fleet)  # every profile of the config, for the Fleet screen
        self.start_on_fleet = start_on_fleet
        self.profile: Profile = profile  # type: ignore[assignment]  # set by profile_ready() otherwise
        self.opening = opening
        self.read_only = read_only
        self.clients: AwsClients = clients or (AwsClients(profile) if profile is not None else None)  # type: ignore[assignment]
        # Handed off by the snapshot screen, given to the next change-set screen.
        self.snapshot_handoff = SnapshotHandoff()
        self.principal = ""

    def get_driver_class(self) -> type[Driver]:
        """Textual's driver for the platform; on Linux and macOS one that survives a vanished terminal."""
        from textual import constants

        if constants.DRIVER is None and sys.platform != "win32":
            from tui.terminal import ConsoleDriver

            return ConsoleDriver
        return super().get_driver_class()

    def on_mount(self) -> None:
        runtime.apply()
        if self.profile is None and self.opening is not None:
            from tui.screens.starting import StartingScreen

            self.title = "ttes-console · simulated deployment"
            self.sub_title = "starting…"
            self.push_screen(StartingScreen(self.opening))
            return
        self._show_first_screen()

    def _show_first_screen(self) -> None:
        mode = "  [read-only]" if self.read_only else ""
        self.title = f"{self.profile.stack} · {self.profile.region}{mode}"
        self.sub_title = "AWS principal: …"
        if self.start_on_fleet:
            self.title = f"ttes-console · fleet{mode}"
            self.action_fleet()
            return
        self.push_screen(DashboardScreen(self.profile, self.clients, read_only=self.read_only))
        self.call_after_refresh(self.who_am_i)

    async def profile_ready(self, profile: Profile, fleet: Sequence[Profile] = ()) -> None:
        """The profile is known now (the demo's sandbox is up): replace the start-up frame by the dashboard."""
        self.profile = profile
        self.clients = AwsClients(profile)
        self.fleet_profiles = tuple(fleet) or self.fleet_profiles
        self.pop_screen()
        self._show_first_screen()
        await self._build_dashboard()

    async def on_ready(self) -> None:
        if isinstance(self.screen, DashboardScreen):
            await self._build_dashboard()

    async def _build_dashboard(self) -> None:
        # The first frame is rendered; give the driver's writer thread a moment to put it on the
        # terminal (building the panes holds the GIL for a while), then build them behind it.
        await asyncio.sleep(0.03)
        if isinstance(self.screen, DashboardScreen):
            await self.screen.build()
        runtime.freeze()  # what exists now lives as long as the app
        self.set_timer(runtime.SETTLE_SECONDS, runtime.settle)

    @work(exclusive=True, group="whoami", exit_on_error=False)
    async def who_am_i(self) -> None:
        try:
            self.principal = await caller_arn(self.clients)
        except ConsoleError as exc:
            self.show_failure(str(exc))
            return
        self.sub_title = self.principal

    def show_failure(self, sentence: str) -> None:
        self.sub_title = "AWS principal unknown"
        self.notify(sentence, title="AWS identity", severity="warning", timeout=8, markup=False)

    def _fatal_error(self) -> None:
        # Textual's default prints a traceback with local variables, which for an AWS call hold
        # the signed request; the operator gets a sentence, the scrubbed traceback goes to the log.
        error = sys.exc_info()[1] or self._exception
        if error is None:
            super()._fatal_error()
            return
        from tui import diagnostics

        if diagnostics.log_path() is None:  # the console always keeps a log for its crash
            with contextlib.suppress(OSError):
                diagnostics.configure(debug=False, log_file=None, interactive=True)
        self.panic(Text(diagnostics.unexpected(error, "ttes-console")))

    async def action_quit(self) -> None:
        """``q``: quit, unless a screen below still owns a change set: that screen asks first."""
        from tui.screens.changeset import ChangeSetScreen

        for screen in reversed(self.screen_stack):
            if isinstance(screen, ChangeSetScreen) and screen.owned_change_set() is not None:
                owner: ChangeSetScreen = screen
                while self.screen is not owner:
                    self.pop_screen()
                owner.action_quit_asking()
                return
        self.exit()

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_snapshots(self) -> None:
        from tui.screens.snapshots import SnapshotScreen  # imported on first use: start-up stays short

        if not isinstance(self.screen, SnapshotScreen):
            self.push_screen(SnapshotScreen(self.profile, self.clients, read_only=self.read_only))

    def action_change_set(self) -> None:
        from tui.screens.changeset import ChangeSetScreen

        if not isinstance(self.screen, ChangeSetScreen):
            self.push_screen(
                ChangeSetScreen(self.profile, self.clients, read_only=self.read_only, handoff=self.snapshot_handoff)
            )

    def on_snapshots_handed_off(self, message: SnapshotsHandedOff) -> None:
        self.snapshot_handoff = self.snapshot_handoff.merged(message.handoff)

    def action_host(self) -> None:
        from tui.screens.host import HostScreen

        if not isinstance(self.screen, HostScreen):
            self.push_screen(HostScreen(self.profile, read_only=self.read_only))

    def action_doctor(self) -> None:
        from tui.screens.host_dialogs import DoctorScreen

        self.push_screen(DoctorScreen(self.profile))
