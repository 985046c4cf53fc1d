"""Start the interactive console (optionally on the simulated deployment).

It needs a terminal that can address the cursor: without a TTY on stdin and stdout (cron, a
pipe, ``ssh host cmd`` without ``-t``) or with ``TERM=dumb`` it refuses in one sentence and
names the headless commands, rather than writing escape sequences nobody can read. ``NO_COLOR``
is honoured by Textual itself (monochrome rendering).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from services.core.errors import ConfigError
from tui.cli import signals
from tui.cli.session import demo_profile, session_for

if TYPE_CHECKING:
    from services.core.config import Profile

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
    if args.demo:
        return _run_demo(args)
    with session_for(args) as session:
        from tui.app import TtesConsoleApp
        from tui.fleet_start import fleet_start

        fleet, start_on_fleet = fleet_start(session.config_path, args.profile)
        app = TtesConsoleApp(session.profile, read_only=session.read_only, fleet=fleet, start_on_fleet=start_on_fleet)
        return asyncio.run(_run_until_ended(app))


def _run_demo(args: argparse.Namespace) -> int:
    """The frame at once: the sandbox starts in a child process while the console shows its progress."""
    from sandbox.process import SandboxProcess
    from tui.app import TtesConsoleApp
    from tui.fleet_start import fleet_start

    sandbox = SandboxProcess(scenarios=args.demo_scenario)
    app: TtesConsoleApp | None = None

    def opening(progress: Callable[[str], None]) -> Profile:
        profile = demo_profile(sandbox, args, progress)
        fleet, _ = fleet_start(sandbox.config_path, args.profile)
        if app is not None:
            app.fleet_profiles = tuple(fleet)
        return profile

    try:
        sandbox.launch()
        app = TtesConsoleApp(None, read_only=args.read_only, opening=opening)
        return asyncio.run(_run_until_ended(app, on_force=sandbox.stop))
    finally:
        sandbox.stop()


FORCE_EXIT_SECONDS = 10.0


def _watchdog(code: int, on_force: Callable[[], object] | None) -> None:
    """Exit anyway if the clean shutdown has not ended the process ``FORCE_EXIT_SECONDS`` after a signal.

    With the terminal gone (SIGHUP from a closed tmux or SSH session), Textual's shutdown can
    block writing its last escape sequences to the vanished terminal; a console must not stay
    behind with its SSH channels open. A thread, because the event loop itself is what blocks.
    """
    import threading

    def force() -> None:
        if on_force is not None:
            with contextlib.suppress(Exception):
                on_force()
        os._exit(code)

    timer = threading.Timer(FORCE_EXIT_SECONDS, force)
    timer.daemon = True
    timer.start()


async def _run_until_ended(app: Any, on_force: Callable[[], object] | None = None) -> int:
    """Run the app; SIGTERM, SIGHUP and SIGINT end it as ``q`` does, through Textual's own shutdown.

    That shutdown restores the terminal (cooked mode, main screen, mouse tracking off) and cancels
    the workers, whose ``finally`` blocks end the remote ``journalctl`` and the uplink connections.
    """
    task = asyncio.current_task()
    assert task is not None

    def end(signum: int) -> None:
        _watchdog(signals.exit_code(signum), on_force)
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
