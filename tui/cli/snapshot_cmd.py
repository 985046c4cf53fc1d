"""Create or list RDS snapshots and ElastiCache backups of the stack's databases.

  snapshot list   [--rds | --redis | --all] [--json]
  snapshot create [--rds | --redis | --all] [--name NAME] [--wait] [--json]

create starts one snapshot per selected database (default --all), named
<stack>-<resource>-<UTC timestamp> unless --name is given, and records each attempt in the
audit log. --wait follows them until available; the last lines give the values for the next
change set (RDSSnapshotArn, ElastiCacheSnapshotName). --json prints one object per line:
{"kind", "resource", "id", "arn", "status", "progress", ...}.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import UTC, datetime

from services.core.aws import AwsClients
from services.core.errors import AccessDenied, ConfigError, ConsoleError, NoCredentials, ReadOnlyRefused
from services.core.safe_text import safe_json, safe_text
from services.snapshots.actions import create_snapshot
from services.snapshots.listing import (
    ELASTICACHE,
    RDS,
    Database,
    Snapshot,
    age_text,
    find_databases,
    follow_snapshot,
    handoff_parameters,
    list_snapshots,
)
from services.stack.model import load_stack
from tui.cli.session import Session

# Errors that would repeat identically for every database: stop at the first.
_FATAL = (ReadOnlyRefused, AccessDenied, NoCredentials)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", nargs="?", choices=("list", "create"), default="list", help="default: list")
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--rds", dest="which", action="store_const", const=RDS, help="only the RDS database")
    which.add_argument("--redis", dest="which", action="store_const", const=ELASTICACHE, help="only ElastiCache Redis")
    which.add_argument("--all", dest="which", action="store_const", const="all", help="every database (default)")
    parser.set_defaults(which="all")
    parser.add_argument("--name", metavar="NAME", default="", help="snapshot name (with --rds or --redis)")
    parser.add_argument("--wait", action="store_true", help="follow the new snapshots until available")
    parser.add_argument("--json", action="store_true", help="one JSON object per line")


async def run(args: argparse.Namespace, session: Session) -> int:
    clients = AwsClients(session.profile)
    stack = await load_stack(clients)
    databases = [d for d in find_databases(stack) if args.which in ("all", d.kind)]
    if not databases:
        which = {"all": "database", RDS: "RDS database", ELASTICACHE: "ElastiCache Redis"}[args.which]
        raise ConsoleError(f"Stack {stack.name} has no {which} to snapshot.")
    if args.action == "list":
        return await _list(clients, databases, as_json=args.json)
    if args.name and len(databases) > 1:
        raise ConfigError("--name names one snapshot: add --rds or --redis.")
    return await _create(clients, session, databases, args)


def _emit(snapshot: Snapshot, as_json: bool, *, created: bool = False) -> None:
    if as_json:
        line = safe_json(snapshot.as_json())
    else:
        progress = f" {snapshot.progress}%" if snapshot.progress is not None and not snapshot.available else ""
        verb = "started " if created else ""
        line = f"{snapshot.resource:<10} {verb}{snapshot.id}  {snapshot.status}{progress}"
        if snapshot.available:
            line += f"  {snapshot.arn if snapshot.kind == RDS else ''}".rstrip()
        line = safe_text(line)
    print(line, flush=True)


async def _list(clients: AwsClients, databases: list[Database], *, as_json: bool) -> int:
    listed = await asyncio.gather(*(list_snapshots(clients, d) for d in databases))
    now = datetime.now(UTC)
    for database, snapshots in zip(databases, listed, strict=True):
        if as_json:
            for s in snapshots:
                print(safe_json(s.as_json()), flush=True)
            continue
        print(safe_text(f"{database.logical_id} ({database.resource_type} {database.physical_id})"))
        if not snapshots:
            print(f"  no {database.what}s")
        for s in snapshots:
            created = s.created.strftime("%Y-%m-%d %H:%M UTC") if s.created else "—"
            progress = f" {s.progress}%" if s.progress is not None and not s.available else ""
            print(
                safe_text(
                    f"  {s.id:<48} {s.status + progress:<14} {s.source:<9} {s.size:>7}  {created}  "
                    f"{age_text(s.age(now))} ago"
                )
            )
    return 0


async def _create(clients: AwsClients, session: Session, databases: list[Database], args: argparse.Namespace) -> int:
    started: list[Snapshot] = []
    failed = False
    for database in databases:
        try:
            snapshot = await create_snapshot(clients, database, read_only=session.read_only, name=args.name)
        except _FATAL:
            raise
        except ConsoleError as exc:
            print(f"ttes-console: {exc}", file=sys.stderr, flush=True)
            failed = True
            continue
        started.append(snapshot)
        _emit(snapshot, args.json, created=True)
    if not args.wait:
        if started and not args.json:
            print("Follow them with `ttes-console snapshot list` (or create … --wait).")
        return 1 if failed else 0

    finished: list[Snapshot] = []

    async def follow(snapshot: Snapshot) -> None:
        nonlocal failed
        last = snapshot
        try:
            async for state in follow_snapshot(clients, snapshot):
                if state is not snapshot:
                    _emit(state, args.json)
                last = state
        except ConsoleError as exc:
            print(f"ttes-console: {exc}", file=sys.stderr, flush=True)
            failed = True
            return
        finished.append(last)

    await asyncio.gather(*(follow(s) for s in started))
    params = handoff_parameters(finished)
    if params and not args.json:
        print(safe_text("For the change set: " + " ".join(f"--param {k}={v}" for k, v in params.items())), flush=True)
    return 1 if failed else 0
