"""The app's side of the fleet: the Fleet screen (``F``), and switching stacks without restarting.

Kept apart from ``tui/app.py`` so the app module stays a small wiring table.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from textual.app import App

from services.core.aws import AwsClients
from services.core.config import Profile

if TYPE_CHECKING:
    from tui.screens.fleet import FleetScreen

FLEET_SCREEN = "fleet"


class FleetNavigation(App[int]):
    """Mixed into the console app: it holds the fleet's profiles and swaps the dashboard's stack."""

    profile: Profile
    clients: AwsClients
    read_only: bool
    fleet_profiles: Sequence[Profile] = ()

    def fleet_screen(self) -> FleetScreen:
        """The one Fleet screen (installed: its rows survive visits to dashboards)."""
        from tui.screens.fleet import FleetScreen

        if not self.is_screen_installed(FLEET_SCREEN):
            self.install_screen(FleetScreen(self.fleet_profiles or [self.profile]), FLEET_SCREEN)
        screen = self.get_screen(FLEET_SCREEN)
        assert isinstance(screen, FleetScreen)
        return screen

    def action_fleet(self) -> None:
        self.fleet_screen()
        if self.screen is not self.get_screen(FLEET_SCREEN):
            self.push_screen(FLEET_SCREEN)

    async def on_fleet_screen_open(self, event: FleetScreen.Open) -> None:
        await self.open_profile(event.profile)

    def show_title(self) -> None:
        mode = "  [read-only]" if self.read_only else ""
        self.title = f"{self.profile.stack} · {self.profile.region}{mode}"

    async def open_profile(self, profile: Profile) -> None:
        """Show ``profile``'s dashboard: the current one when it is that stack, else a new one in its place."""
        from tui.screens.dashboard import DashboardScreen

        below = self.screen_stack[-2] if len(self.screen_stack) > 1 else None
        if isinstance(below, DashboardScreen) and below.profile == profile:
            await self.pop_screen()  # back to the dashboard the Fleet screen was opened over
            return
        while len(self.screen_stack) > 1:  # the old stack's dashboard and whatever it had open go
            await self.pop_screen()
        self.profile = profile
        self.clients = AwsClients(profile)
        from tui.handoff import SnapshotHandoff

        self.snapshot_handoff = SnapshotHandoff()
        self.show_title()
        self.sub_title = "AWS principal: …"
        dashboard = DashboardScreen(profile, self.clients, read_only=self.read_only)
        await self.push_screen(dashboard)
        await dashboard.build()
        self.call_after_refresh(self.who_am_i)

    def who_am_i(self) -> object:  # provided by the app
        raise NotImplementedError
