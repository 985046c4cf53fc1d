"""Start the interactive console (optionally on the simulated deployment)."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from tui.cli import signals
from tui.cli.session import session_for


def run_interactive(args: argparse.Namespace) -> int:
    """Run the Textual app until the operator quits; returns the process exit code."""
    with session_for(args) as session:
        from tui.app import TtesConsoleApp

        app = TtesConsoleApp(session.profile, read_only=session.read_only)
        return asyncio.run(_run_until_ended(app))


async def _run_until_ended(app: Any) -> int:
    """Run the app; SIGTERM, SIGHUP and SIGINT end it as ``q`` does, through Textual's own shutdown.

    That shutdown restores the terminal (cooked mode, main screen, mouse tracking off) and cancels
    the workers, whose ``finally`` blocks end the remote ``journalctl`` and the uplink connections.
    """
    task = asyncio.current_task()
    assert task is not None

    def end(signum: int) -> None:
        if app.is_running:
            app.exit(return_code=signals.exit_code(signum))
        else:  # not started yet (or already stopping): nothing on the terminal to restore
            task.cancel()

    with signals.on_signals(end) as received:
        try:
            await app.run_async()
        except asyncio.CancelledError:
            if not received:
                raise
        if received:
            return signals.exit_code(received[0])
    return int(app.return_code or 0)
