"""``check --all``: every profile's checks, one line per stack, the exit code of the worst.

The checks are the fleet's (every check but the live uplink listener; uplinks come from
CloudWatch), so a monitoring run over many stacks takes about as long as the slowest stack.
A stack that cannot be read is UNKNOWN with the reason.
"""

from __future__ import annotations

import argparse
import json
import sys

from services.core.errors import ConfigError
from services.core.safe_text import safe_text
from services.core.safe_text import safe_text as clean
from services.fleet.profiles import load_profiles
from services.fleet.rows import FleetRow
from services.health.run import Status, worst
from tui.cli.fleet_cmd import fleet_rows
from tui.cli.session import Session


def row_status(row: FleetRow) -> Status:
    return Status.UNKNOWN if row.error else row.health


def plain_line(row: FleetRow) -> str:
    """``CRITICAL  ttes-staging  ttes-staging@eu-west-1  stack: Stack … is UPDATE_ROLLBACK_COMPLETE…``"""
    status = row_status(row)
    if row.error:
        why = row.error
    else:
        bad = [c for c in row.checks if c.status is not Status.OK]
        why = "; ".join(f"{c.name}: {c.summary}" for c in bad) or f"{len(row.checks)} checks OK"
    return clean(f"{status.nagios:<9} {row.profile:<16} {row.stack}@{row.region}  {why}")


def json_line(row: FleetRow) -> str:
    doc = {
        "profile": row.profile,
        "stack": row.stack,
        "region": row.region,
        "status": row_status(row).value,
        "error": safe_text(row.error) if row.error else None,
        "checks": [{"name": c.name, "status": c.status.value, "summary": safe_text(c.summary)} for c in row.checks],
    }
    return json.dumps(doc, ensure_ascii=False)


async def run_all(args: argparse.Namespace, session: Session) -> int:
    profiles = load_profiles(session.config_path)
    if not profiles:
        raise ConfigError("The config file has no profiles to check.")
    args.concurrency = getattr(args, "concurrency", None) or 8
    args.timeout = getattr(args, "timeout", None) or 30.0
    rows = await fleet_rows(profiles, args)
    line = json_line if args.json else plain_line
    sys.stdout.write("".join(line(r) + "\n" for r in rows))
    sys.stdout.flush()
    return worst([row_status(r) for r in rows]).exit_code
