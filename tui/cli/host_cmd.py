"""The instance: its facts and /tti, one file (secrets masked), a guarded restart, and why SSH fails.

  host [facts] [--json]             facts, findings, certificates and the /tti tree
                                    (exit 0 OK, 1 a warning, 2 critical, 3 unknown)
  host cat PATH [--json]            a file under /tti, secrets masked, at most its last 1 MiB
  host restart --confirm STACK [--json]
                                    restart lorawan-stack.service and follow it until it is back,
                                    then re-run the health checks (refused under --read-only; audited)
  host doctor [--json]              why SSH fails, from AWS (exit 0 nothing blocks SSH, 2 something
                                    does, 3 cannot tell)

--json: one document; restart streams one JSON object per step.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from datetime import UTC, datetime

from services.core.errors import AuthFailed, Unreachable
from services.health.run import Status
from services.host.doctor import DoctorReport, run_doctor
from services.host.files import HostFile, read_file
from services.host.overview import HostOverview, load_overview, open_host
from services.host.render import doctor_lines, overview_lines
from services.host.restart import RestartStep, restart_service
from tui.cli.session import Session

WARM_IMPORTS = ("boto3", "asyncssh")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", nargs="?", choices=("facts", "cat", "restart", "doctor"), default="facts",
                        help="default: facts")  # fmt: skip
    parser.add_argument("path", nargs="?", help="cat: a file under /tti")
    parser.add_argument("--confirm", metavar="STACK", default="", help="restart: the stack name, typed to confirm")
    parser.add_argument("--json", action="store_true", help="JSON output")


async def run(args: argparse.Namespace, session: Session) -> int:
    try:
        return await _run(args, session)
    except (Unreachable, AuthFailed) as exc:
        if args.action == "doctor":
            raise
        raise type(exc)(f"{str(exc).rstrip('.')}; `ttes-console host doctor` asks AWS why.") from None


async def _run(args: argparse.Namespace, session: Session) -> int:
    profile = session.profile
    if args.action == "cat":
        if not args.path:
            print(
                "ttes-console: host cat needs a PATH under /tti, e.g. /tti/lorawan-stack/config.yml.", file=sys.stderr
            )
            return 2
        async with await open_host(profile) as conn:
            return _print_file(await read_file(conn, args.path), args.json)
    if args.action == "restart":
        outcome = await restart_service(
            profile, confirm=args.confirm, read_only=session.read_only, on_step=_step_printer(args.json)
        )
        return 0 if outcome.checks_status is Status.OK else 1
    if args.action == "doctor":
        return _print_doctor(await run_doctor(profile), args.json)
    return _print_overview(await load_overview(profile), args.json)


def _print_overview(overview: HostOverview, as_json: bool) -> int:
    if as_json:
        print(json.dumps(overview.as_json(), indent=2, ensure_ascii=False))
    else:
        print("\n".join(overview_lines(overview, datetime.now(UTC))))
    return overview.status.exit_code


def _print_file(host_file: HostFile, as_json: bool) -> int:
    if as_json:
        print(json.dumps(host_file.as_json(), ensure_ascii=False))
        return 0
    if host_file.truncated:
        print(f"(the last {len(host_file.text.encode())} bytes of {host_file.path}, {host_file.size} bytes)",
              file=sys.stderr)  # fmt: skip
    if host_file.masked:
        print(f"({host_file.masked} secret value{'s' if host_file.masked != 1 else ''} masked)", file=sys.stderr)
    sys.stdout.write(host_file.text if host_file.text.endswith("\n") else host_file.text + "\n")
    return 0


def _step_printer(as_json: bool) -> Callable[[RestartStep], None]:
    def show(step: RestartStep) -> None:
        if as_json:
            print(json.dumps(step.as_json(), ensure_ascii=False), flush=True)
        else:
            lead = "  " if step.phase in ("journal", "check") else ""
            print(f"{lead}{step.message}", flush=True)

    return show


def _print_doctor(report: DoctorReport, as_json: bool) -> int:
    if as_json:
        print(json.dumps(report.as_json(), indent=2, ensure_ascii=False))
    else:
        print("\n".join(doctor_lines(report)))
    return report.exit_code
