"""Start the interactive console (optionally on the simulated deployment)."""

from __future__ import annotations

import argparse

from tui.cli.session import session_for


def run_interactive(args: argparse.Namespace) -> int:
    """Run the Textual app until the operator quits; returns the process exit code."""
    with session_for(args) as session:
        from tui.app import TtesConsoleApp
        from tui.fleet_start import fleet_start

        fleet, start_on_fleet = fleet_start(session.config_path, args.profile)
        app = TtesConsoleApp(session.profile, read_only=session.read_only, fleet=fleet, start_on_fleet=start_on_fleet)
        app.run()
        return app.return_code or 0
