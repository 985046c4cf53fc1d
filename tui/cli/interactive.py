"""Start the interactive console (optionally on the simulated deployment)."""

from __future__ import annotations

import argparse
from functools import partial

from tui.cli.session import demo_profile, session_for


def run_interactive(args: argparse.Namespace) -> int:
    """Run the Textual app until the operator quits; returns the process exit code."""
    if args.demo:
        return _run_demo(args)
    with session_for(args) as session:
        from tui.app import TtesConsoleApp

        app = TtesConsoleApp(session.profile, read_only=session.read_only)
        app.run()
        return app.return_code or 0


def _run_demo(args: argparse.Namespace) -> int:
    """The frame at once: the sandbox starts in a child process while the console shows its progress."""
    from sandbox.process import SandboxProcess
    from tui.app import TtesConsoleApp

    sandbox = SandboxProcess(scenarios=args.demo_scenario)
    sandbox.launch()
    try:
        app = TtesConsoleApp(None, read_only=args.read_only, opening=partial(demo_profile, sandbox, args))
        app.run()
        return app.return_code or 0
    finally:
        sandbox.stop()
