"""Start the interactive console (optionally on the simulated deployment).

It needs a terminal that can address the cursor: without a TTY on stdin and stdout (cron, a
pipe, ``ssh host cmd`` without ``-t``) or with ``TERM=dumb`` it refuses in one sentence and
names the headless commands, rather than writing escape sequences nobody can read. ``NO_COLOR``
is honoured by Textual itself (monochrome rendering).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from typing import Any

from services.core.errors import ConfigError
from tui.cli import signals
from tui.cli.session import session_for

HEADLESS_HINT = (
    "use a headless command instead: `ttes-console check`, `stack`, `logs -n 100` or `uplinks --count 10` "
    "(each with --json)"
)


class NoTerminal(ConfigError):
    """The interactive console was started without a usable terminal."""


def require_terminal() -> None:
    """Refuse (one sentence) unless stdin and stdout are a terminal that can address the cursor."""
    streams = [name for name, stream in (("stdin", sys.stdin), ("stdout", sys.stdout)) if not _isatty(stream)]
    if streams:
        which = "neither stdin nor stdout is one" if len(streams) == 2 else f"{streams[0]} is not one"
        raise NoTerminal(f"The interactive console needs a terminal, but {which}; {HEADLESS_HINT}.")
    if os.environ.get("TERM") == "dumb":
        raise NoTerminal(
            "The interactive console needs a terminal that can move the cursor, and TERM is dumb; "
            f"set TERM (e.g. xterm-256color) or {HEADLESS_HINT}."
        )


def _isatty(stream: object) -> bool:
    try:
        return bool(stream is not None and stream.isatty())  # type: ignore[attr-defined]
    except (ValueError, OSError):  # closed
        return False


def run_interactive(args: argparse.Namespace) -> int:
    """Run the Textual app until the operator quits; returns the process exit code."""
    require_terminal()
    with session_for(args) as session:
        from tui.app import TtesConsoleApp
        from tui.fleet_start import fleet_start

        fleet, start_on_fleet = fleet_start(session.config_path, args.profile)
        app = TtesConsoleApp(session.profile, read_only=session.read_only, fleet=fleet, start_on_fleet=start_on_fleet)
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
