"""Every profile's stack and health, one row each; or find TTES stacks with --discover.

Rows: profile, stack, region, account, stack status, overall health and each check's mark,
uplinks a minute (CloudWatch AWS/IoT in the stack's region), last stack change, last snapshot.
Stacks are read concurrently (at most --concurrency at a time, each within --timeout seconds); a
stack that cannot be read is a row that says why. --json: one object per profile per line.

--discover looks in --regions (all, or a list; default: the regions of the profiles) with each
--aws-profile for stacks made from the TTES template (its parameters and outputs), and lists
them; --write-config adds the new ones to the config file as profiles, keeping its comments.
Exit codes: 0 every stack read; 1 a stack (or a region, with --discover) could not be read.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

from services.core.config import Profile, default_config_path, load_profile
from services.core.errors import ConfigError, ConsoleError
from services.core.safe_text import safe_json, safe_text
from services.fleet.profiles import load_profiles
from services.fleet.rows import CONCURRENCY, STACK_TIMEOUT, FleetRow, age, iter_fleet
from services.snapshots.listing import age_text
from tui.cli.session import overrides_from, session_for

NEEDS_SESSION = False  # discovery works without a configured stack
WARM_IMPORTS = ("boto3", "dns.asyncresolver", "asyncssh", "cryptography.x509")
THREADS = 32  # boto3 calls of many stacks at once run in threads


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    parser.add_argument("--concurrency", metavar="N", type=int, default=CONCURRENCY, help="stacks read at once")
    parser.add_argument("--timeout", metavar="S", type=float, default=STACK_TIMEOUT, help="seconds per stack")
    parser.add_argument("--discover", action="store_true", help="find TTES stacks instead of reading the profiles")
    parser.add_argument(
        "--regions", metavar="all|REGION", nargs="+", help="with --discover: all, or regions (space or comma separated)"
    )
    with contextlib.suppress(argparse.ArgumentError):  # the global option may be repeated here already
        parser.add_argument(
            "--aws-profile",
            metavar="P",
            action="append",
            dest="discover_aws_profiles",
            help="with --discover: an AWS profile to look with (repeatable)",
        )
    parser.add_argument("--write-config", action="store_true", help="with --discover: add new stacks as profiles")


@contextlib.asynccontextmanager
async def wide_executor() -> AsyncIterator[None]:
    """Enough threads for the boto3 calls of many stacks at once (the default pool has cpu+4)."""
    pool = ThreadPoolExecutor(max_workers=THREADS, thread_name_prefix="fleet")
    asyncio.get_running_loop().set_default_executor(pool)
    try:
        yield
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


def marks(row: FleetRow) -> str:
    """``!tls ✓stack ✓dns …``: each check's mark, the failing ones first (as the Fleet screen shows them)."""
    sign = {"ok": "✓", "warn": "!", "critical": "✗", "unknown": "?"}
    ordered = sorted(row.checks, key=lambda c: -c.status.severity)
    return " ".join(f"{sign[c.status.value]}{c.name}" for c in ordered)


def plain_line(row: FleetRow, now: datetime) -> str:
    """One row for a terminal; remote text cleaned."""
    if row.error:
        return safe_text(f"{'UNREAD':<9} {row.profile:<16} {row.stack:<20} {row.region:<15} {row.error}")
    per_minute = "—" if row.uplinks_per_minute is None else f"{row.uplinks_per_minute:.0f}/min"
    changed = age_text(_delta(age(row.last_change, now)))
    snap = age_text(_delta(age(row.last_snapshot, now)))
    return safe_text(
        f"{row.health.nagios:<9} {row.profile:<16} {row.stack:<20} {row.region:<15} {row.account:<13} "
        f"{row.status:<26} up {per_minute:<8} changed {changed:<10} snapshot {snap:<10} {marks(row)}"
    )


def _delta(seconds: float | None) -> timedelta | None:
    return None if seconds is None else timedelta(seconds=seconds)


async def fleet_rows(profiles: list[Profile], args: argparse.Namespace, *, ordered: bool = True) -> list[FleetRow]:
    async with wide_executor():
        rows = [r async for r in iter_fleet(profiles, concurrency=args.concurrency, stack_timeout=args.timeout)]
    order = {p.name: i for i, p in enumerate(profiles)}
    return sorted(rows, key=lambda r: order.get(r.profile, len(order))) if ordered else rows


def base_profile(args: argparse.Namespace) -> Profile | None:
    """The profile whose endpoint and credentials discovery starts from (None: no usable profile)."""
    try:
        return load_profile(args.config, overrides_from(args))
    except ConfigError:
        if not args.discover:
            raise
        return None


async def run(args: argparse.Namespace, _session: object) -> int:
    if args.concurrency < 1 or args.timeout <= 0:
        raise ConsoleError("--concurrency must be at least 1 and --timeout more than 0 seconds.")
    listed = getattr(args, "discover_aws_profiles", None) or []
    if not args.discover and len(listed) == 1:
        args.aws_profile, args.discover_aws_profiles = listed[0], None  # the global option, given after the command
    elif (args.regions or args.write_config or listed) and not args.discover:
        raise ConfigError("--regions, several --aws-profile and --write-config go with --discover.")
    if args.demo:
        with session_for(args) as session:
            return await _run(args, session.profile, session.config_path)
    return await _run(args, base_profile(args), args.config)


async def _run(args: argparse.Namespace, base: Profile | None, config_path: Path | None) -> int:
    if args.discover:
        from tui.cli.fleet_discover import run_discovery

        return await run_discovery(args, base, config_path)
    profiles = load_profiles(config_path, aws_profile=args.aws_profile)
    if not profiles:
        where = config_path or default_config_path()
        raise ConfigError(f"{where} has no profiles; add one, or find stacks with `ttes-console fleet --discover`.")
    rows = await fleet_rows(profiles, args)
    now = datetime.now(UTC)
    if args.json:
        sys.stdout.write("".join(safe_json(r.as_json()) + "\n" for r in rows))
    else:
        sys.stdout.write("".join(plain_line(r, now) + "\n" for r in rows))
    sys.stdout.flush()
    return 1 if any(r.error for r in rows) else 0


def env_region() -> str:
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or ""
