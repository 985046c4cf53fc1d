"""Run every health check once (stack, dns, tls, https, plaintext, ssh, …) concurrently and print the verdicts.

Exit codes follow the Nagios plugin convention: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (the
worst check decides; a check that could not run counts as UNKNOWN, worse than a WARNING).
With --all: every profile of the config, one line (or JSON object) per stack, the worst exit code.
"""

from __future__ import annotations

import argparse
import sys

from services.core.safe_text import safe_json, safe_text
from services.health.run import CheckResult, report_json, run_checks, worst
from services.timeline.health_history import keep_history
from tui.cli.session import Session

# Imported in a thread while the session is set up (see tui.cli._warm_up).
WARM_IMPORTS = ("boto3", "dns.asyncresolver", "asyncssh", "cryptography.x509", "awsiot.mqtt_connection_builder")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--json",
        action="store_true",
        help='one JSON document: {"status": …, "checks": [{"name", "status", "summary", "details"}]}',
    )
    parser.add_argument(
        "--all", action="store_true", help="every profile of the config, one line (or JSON object) per stack"
    )


def plain_line(result: CheckResult) -> str:
    """``CRITICAL  dns        demo.ttes.test → 203.0.113.10 ≠ PublicIP …``"""
    return f"{result.status.nagios:<9} {safe_text(result.name):<10} {safe_text(result.summary)}"


async def run(args: argparse.Namespace, session: Session) -> int:
    if getattr(args, "all", False):
        from tui.cli.check_all import run_all

        return await run_all(args, session)
    results = await run_checks(session.profile)
    await keep_history(session.profile, results)
    overall = worst([r.status for r in results])
    if args.json:
        sys.stdout.write(safe_json(report_json(results)) + "\n")
    else:
        sys.stdout.write("".join(plain_line(r) + "\n" for r in results))
    sys.stdout.flush()
    return overall.exit_code
