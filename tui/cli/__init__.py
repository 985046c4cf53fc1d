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
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from services.core.errors import ConfigError, ConsoleError
from tui.cli import signals

__all__ = ["main"]


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
    "timeline": "tui.cli.timeline_cmd",
    "report": "tui.cli.report_cmd",
    "host": "tui.cli.host_cmd",
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
    "timeline": "what changed, all sources in time order",
    "report": "a Markdown hand-over of the last hours",
    "host": "the host's facts and /tti; host cat PATH; host restart --confirm STACK; host doctor",
    "fleet": "every profile's stack and health; --discover finds TTES stacks",
}

EPILOG = """\
exit codes:
  0    success (check: every check OK)
  1    the command failed; stderr says why in one sentence (check: a WARNING)
  2    bad usage or configuration, or no terminal for the interactive console
       (check: a CRITICAL; apply: the update rolled back)
  3    check: a check could not run, or nothing could be checked (config, credentials, usage)
  129  ended by SIGHUP (the terminal closed), 143 by SIGTERM, 130 by Ctrl-C or SIGINT;
       each ends cleanly: terminal restored, remote commands ended, the demo's files removed

global options may come before or after the command (`ttes-console stack --stack x`).
diagnostics: --debug and --log-file PATH; the interactive console keeps a log in the user's
state directory (secrets are never written to it).

configuration: $TTES_CONSOLE_CONFIG or ~/.config/ttes-console/config.toml (--config PATH).
AWS credentials come from boto3's chain (env, profiles, SSO, instance role), never the file.
"""


def _add_global_options(parser: argparse.ArgumentParser, *, after_command: bool = False) -> None:
    """The options every command takes; ``after_command``: the copy a subcommand accepts, which
    sets a value only when given there (so one given before the command is not reset)."""
    if after_command:
        parser = _SuppressedDefaults(parser)  # type: ignore[assignment]
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
    parser.add_argument("--debug", action="store_true", help="verbose diagnostic log (stderr, or --log-file)")
    parser.add_argument("--log-file", metavar="PATH", type=Path, help="write the diagnostic log to PATH (mode 0600)")


class _SuppressedDefaults:
    """Adds arguments to a subparser with no default, so an absent option leaves the global value."""

    def __init__(self, parser: argparse.ArgumentParser) -> None:
        self._parser = parser

    def add_argument(self, *names: str, **kwargs: object) -> None:
        if any(name in self._parser._option_string_actions for name in names):
            return  # the command gives that option its own meaning (fleet's repeatable --aws-profile)
        kwargs["default"] = argparse.SUPPRESS
        kwargs.pop("help", None)
        self._parser.add_argument(*names, help=argparse.SUPPRESS, **kwargs)  # type: ignore[arg-type]


def installed_version() -> str:
    """The installed package's version: pyproject.toml is the one place it is written."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("ttes-console")
    except PackageNotFoundError:
        return "unknown (not installed: run pip install .)"


class _VersionAction(argparse.Action):
    """``--version``: the metadata is read only when asked for (it costs start-up time otherwise)."""

    def __init__(self, option_strings: Sequence[str], dest: str = argparse.SUPPRESS, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, *args: Any) -> None:
        print(f"ttes-console {installed_version()}")
        parser.exit()


def build_parser(selected: str | None = "*") -> argparse.ArgumentParser:
    """The command line; only the ``selected`` command's module is imported ("*": all of them)."""
    parser = argparse.ArgumentParser(
        prog="ttes-console",
        description="Terminal operations console for The Things Enterprise Stack on AWS.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action=_VersionAction, help="print the version and exit")
    _add_global_options(parser)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, module_name in COMMANDS.items():
        cmd = sub.add_parser(name, help=SUMMARIES[name], formatter_class=argparse.RawDescriptionHelpFormatter)
        if selected in ("*", name):
            module = importlib.import_module(module_name)
            cmd.description = module.__doc__
            module.add_arguments(cmd)
            _add_global_options(cmd, after_command=True)
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
    selected = _selected_command(argv)
    # Nagios reads any exit code it did not ask for as a verdict: for `check`, a usage error is UNKNOWN.
    failed = 3 if selected == "check" else None
    try:
        args = build_parser(selected).parse_args(argv)
    except SystemExit as exc:
        if failed is not None and exc.code not in (0, None):
            return failed
        raise
    if args.command == "demo":
        args.demo = True
    if args.demo_scenario and not args.demo and args.command != "sandbox":
        print("ttes-console: --demo-scenario needs --demo (or the demo command).", file=sys.stderr)
        return failed or 2
    unknown = _unknown_scenarios(args.demo_scenario)
    if unknown:
        print(unknown, file=sys.stderr)
        return failed or 2
    signals.install()
    from tui import diagnostics

    try:
        if args.command in (None, "demo"):
            from tui.cli.interactive import require_terminal

            require_terminal()  # before anything is started or written
        try:
            diagnostics.configure(debug=args.debug, log_file=args.log_file, interactive=args.command in (None, "demo"))
        except OSError as exc:
            where = args.log_file or diagnostics.default_log_path()
            raise ConfigError(
                f"The diagnostic log {where} cannot be written: {exc.strerror}; use --log-file PATH."
            ) from None
        if args.demo or args.command == "sandbox":
            from tui.cli.session import require_sandbox_extra

            require_sandbox_extra()
        if args.command in (None, "demo"):
            from tui.cli.interactive import run_interactive

            return run_interactive(args)
        module = importlib.import_module(COMMANDS[args.command])
        if getattr(module, "STREAMS_TO_STDOUT", False) and not args.demo:
            # A closed pipe ends the command at once. Not with --demo: its sandbox and directory
            # must go too, which the BrokenPipeError path below leaves time for.
            signals.restore_sigpipe()
        _warm_up(getattr(module, "WARM_IMPORTS", ("boto3",)))
        from tui.cli.session import open_session

        async def body() -> int:
            if not getattr(module, "NEEDS_SESSION", True):
                code0: int = await module.run(args, None)
                return code0
            async with open_session(args) as session:
                code: int = await module.run(args, session)
                return code

        # A signal cancels the command: its finally blocks close SSH channels and stop the demo.
        return asyncio.run(signals.run_until_signal(body()))
    except signals.Terminated as exc:
        return signals.exit_code(exc.signum)
    except ConsoleError as exc:
        print(f"ttes-console: {exc}", file=sys.stderr)
        return failed or (2 if _is_usage(exc) else 1)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # Python flushes stdout at exit; point it at /dev/null so that cannot fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except Exception as exc:  # a bug: one sentence here, the traceback in the diagnostic log
        where = f"ttes-console {args.command}" if args.command else "ttes-console"
        print(f"ttes-console: {diagnostics.unexpected(exc, where)}", file=sys.stderr)
        return failed or 1


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


def _unknown_scenarios(names: Sequence[str]) -> str:
    """The sentence for scenario names the sandbox does not have ("" when all are known), said before
    anything is started so a typo leaves no process and no directory behind."""
    if not names:
        return ""
    from sandbox.core import SCENARIOS

    unknown = [n for n in names if n not in SCENARIOS]
    if not unknown:
        return ""
    return (f"ttes-console: there is no demo scenario {', '.join(map(repr, unknown))}; "
            f"the scenarios are: {', '.join(SCENARIOS)}.")


def _is_usage(exc: ConsoleError) -> bool:
    return isinstance(exc, ConfigError)
