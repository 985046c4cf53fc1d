"""Command line: global options, subcommand dispatch, one clear sentence on failure.

Subcommands live one per module in this package (``tui/cli/<name>_cmd.py``), each exposing
``HELP``, ``add_arguments(parser)`` and ``async run(args, session) -> int``. Modules are
imported only when their command runs, so ``--help`` and the TUI start fast.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from services.core.errors import ConsoleError

__all__ = ["main"]

VERSION = "0.1.0"

# name -> module; order is the order shown in --help.
COMMANDS: dict[str, str] = {
    "demo": "tui.cli.demo_cmd",
    "sandbox": "tui.cli.sandbox_cmd",
    "stack": "tui.cli.stack_cmd",
    "check": "tui.cli.check_cmd",
    "logs": "tui.cli.logs_cmd",
    "uplinks": "tui.cli.uplinks_cmd",
    "plan": "tui.cli.plan_cmd",
    "apply": "tui.cli.apply_cmd",
    "snapshot": "tui.cli.snapshot_cmd",
    "fleet": "tui.cli.fleet_cmd",
}

SUMMARIES: dict[str, str] = {
    "demo": "the interactive console on the simulated deployment (= --demo)",
    "sandbox": "run only the simulated deployment; --write-config PATH writes a profile for it",
    "stack": "stack status, outputs, parameters, resources",
    "check": "every health check once; Nagios exit codes",
    "logs": "the service journal over SSH",
    "uplinks": "the live AWS IoT uplink feed",
    "plan": "create a change set and show what it will change",
    "apply": "execute a change set and follow its events to the end",
    "snapshot": "create | list RDS snapshots and ElastiCache backups of the stack's databases",
    "fleet": "every profile's stack and health; --discover finds TTES stacks",
}

EPILOG = """\
exit codes:
  0    success (check: every check OK)
  1    the command failed; stderr says why in one sentence (check: a WARNING)
  2    bad usage or configuration (check: a CRITICAL; apply: the update rolled back)
  3    check: a check could not run (UNKNOWN)
  130  interrupted (Ctrl-C)

configuration: $TTES_CONSOLE_CONFIG or ~/.config/ttes-console/config.toml (--config PATH).
AWS credentials come from boto3's chain (env, profiles, SSO, instance role), never the file.
"""


def _add_global_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", metavar="PATH", type=Path, help="config file (TOML)")
    parser.add_argument("-p", "--profile", metavar="PROFILE", help="profile in the config file")
    parser.add_argument("--stack", metavar="NAME", help="CloudFormation stack name")
    parser.add_argument("--region", metavar="R", help="AWS region")
    parser.add_argument("--aws-profile", metavar="NAME", help="AWS profile for credentials")
    parser.add_argument("--demo", action="store_true", help="run against the simulated deployment")
    parser.add_argument(
        "--demo-scenario",
        metavar="NAME",
        action="append",
        default=[],
        help="a sandbox scenario to enable (repeatable), see `sandbox --help`",
    )
    parser.add_argument("--read-only", action="store_true", help="refuse every action that changes anything")


def build_parser(selected: str | None = "*") -> argparse.ArgumentParser:
    """The command line; only the ``selected`` command's module is imported ("*": all of them)."""
    parser = argparse.ArgumentParser(
        prog="ttes-console",
        description="Terminal operations console for The Things Enterprise Stack on AWS.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"ttes-console {VERSION}")
    _add_global_options(parser)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, module_name in COMMANDS.items():
        cmd = sub.add_parser(name, help=SUMMARIES[name], formatter_class=argparse.RawDescriptionHelpFormatter)
        if selected in ("*", name):
            module = importlib.import_module(module_name)
            cmd.description = module.__doc__
            module.add_arguments(cmd)
    return parser


def _selected_command(argv: Sequence[str]) -> str | None:
    """Which subcommand the arguments name, found without importing any command module."""
    probe = argparse.ArgumentParser(add_help=False)
    _add_global_options(probe)
    probe.add_argument("command", nargs="?")
    probe.add_argument("rest", nargs=argparse.REMAINDER)
    known, _ = probe.parse_known_args(argv)
    command: str | None = known.command
    return command if command in COMMANDS else None


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``ttes-console`` script."""
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser(_selected_command(argv)).parse_args(argv)
    if args.command == "demo":
        args.demo = True
    if args.demo_scenario and not args.demo and args.command != "sandbox":
        print("ttes-console: --demo-scenario needs --demo (or the demo command).", file=sys.stderr)
        return 2
    # A closed pipe (`… | head`) ends the program quietly, like other Unix tools.
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    try:
        if args.command in (None, "demo"):
            from tui.cli.interactive import run_interactive

            return run_interactive(args)
        module = importlib.import_module(COMMANDS[args.command])
        _warm_up(getattr(module, "WARM_IMPORTS", ("boto3",)))
        from tui.cli.session import open_session

        async def run() -> int:
            if not getattr(module, "NEEDS_SESSION", True):
                code0: int = await module.run(args, None)
                return code0
            async with open_session(args) as session:
                code: int = await module.run(args, session)
                return code

        return asyncio.run(run())
    except ConsoleError as exc:
        print(f"ttes-console: {exc}", file=sys.stderr)
        return 2 if _is_usage(exc) else 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # Python flushes stdout at exit; point it at /dev/null so that cannot fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


def _warm_up(modules: Sequence[str]) -> None:
    """Import the SDKs a command will need in a thread, while the profile (or the demo) is set up."""
    import threading

    def load() -> None:
        for name in modules:
            try:
                importlib.import_module(name)
            except ImportError:
                return  # the command itself will say what is missing

    threading.Thread(target=load, name="warm-imports", daemon=True).start()


def _is_usage(exc: ConsoleError) -> bool:
    from services.core.errors import ConfigError

    return isinstance(exc, ConfigError)
