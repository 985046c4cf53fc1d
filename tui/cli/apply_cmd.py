"""Execute a change set and follow its events to the end.

--confirm must repeat the stack name. A change set that replaces or removes a database is
refused until a snapshot newer than the change set exists (`ttes-console snapshot create
--all --wait`), unless --allow-without-snapshot is given; that override is audited.

exit codes: 0 the stack reached UPDATE_COMPLETE, 1 refused or failed to start,
2 the update failed and rolled back.
"""

from __future__ import annotations

import argparse
import sys

from services.changes.changesets import describe_change_set
from services.changes.execute import (
    POST_UPDATE_CHECKLIST,
    UpdateProgress,
    check_snapshot_guard,
    execute_change_set,
    follow_update,
)
from services.core.aws import AwsClients
from services.core.errors import ExecutionRefused
from services.core.safe_text import safe_json, safe_text
from services.stack.model import StackEvent
from tui.cli.session import Session


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--change-set", metavar="NAME", required=True, help="the change set (name or ARN)")
    parser.add_argument("--confirm", metavar="STACK", default="", help="the stack name, typed to confirm")
    parser.add_argument(
        "--allow-without-snapshot",
        action="store_true",
        help="execute even though a database it replaces has no fresh snapshot (audited)",
    )
    parser.add_argument("--interval", type=float, default=2.0, help="seconds between event polls (default 2)")
    parser.add_argument("--json", action="store_true", help="NDJSON: one object per event, then the result")


def event_json(e: StackEvent) -> dict[str, str]:
    return {
        "time": e.timestamp.isoformat(),
        "logical_id": e.logical_id,
        "type": e.resource_type,
        "status": e.status,
        "reason": e.reason,
        "physical_id": e.physical_id,
    }


def event_line(e: StackEvent) -> str:
    reason = f"  {e.reason}" if e.reason else ""
    return safe_text(f"{e.timestamp:%H:%M:%S}  {e.status:<44} {e.logical_id:<18} {e.resource_type}{reason}")


async def run(args: argparse.Namespace, session: Session) -> int:
    clients = AwsClients(session.profile)
    plan = await describe_change_set(clients, args.change_set)
    guard = await check_snapshot_guard(clients, plan)
    try:
        execution = await execute_change_set(
            clients,
            plan,
            read_only=session.read_only,
            confirm=args.confirm,
            allow_without_snapshot=args.allow_without_snapshot,
            guard=guard,
        )
    except ExecutionRefused as exc:
        if guard.blocked and guard.sentence in str(exc):
            raise ExecutionRefused(
                f"{exc} Run `ttes-console snapshot create --all --wait`, or pass --allow-without-snapshot."
            ) from exc
        raise
    if not args.json:
        print(safe_text(f"Executing {plan.name} on {plan.stack}: {plan.verdict}"), flush=True)
    final: UpdateProgress | None = None
    async for progress in follow_update(clients, execution, interval=args.interval):
        final = progress
        for e in progress.events:
            print(safe_json({"event": event_json(e)}) if args.json else event_line(e), flush=True)
        if not args.json and sys.stderr.isatty():
            print(f"\r{safe_text(progress.status_line)}\x1b[K", end="", file=sys.stderr, flush=True)
    assert final is not None
    if args.json:
        print(safe_json({"status": final.stack_status, "succeeded": final.succeeded,
                          "rolled_back": final.rolled_back, "failures": list(final.failures),
                          "outputs": dict(final.outputs), "elapsed": round(final.elapsed, 1)}), flush=True)
    else:
        if sys.stderr.isatty():
            print(file=sys.stderr)
        print(render_result(final))
    if final.succeeded:
        return 0
    return 2 if final.rolled_back else 1


def render_result(final: UpdateProgress) -> str:
    lines = [f"\n{final.stack_status} after {final.elapsed:.0f} s"]
    if final.failures:
        lines.append("Failure reasons")
        lines += [f"  ✗ {f}" for f in final.failures]
    if final.succeeded:
        lines.append("Outputs")
        lines += [f"  {k:<20} {v}" for k, v in final.outputs.items()]
        lines += ["Next steps", *(f"  {s}" for s in POST_UPDATE_CHECKLIST)]
    return "\n".join(safe_text(line) for line in lines)

