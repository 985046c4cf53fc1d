"""Show the stack: status, outputs, parameters and resources (--json for scripts)."""

from __future__ import annotations

import argparse

from services.core.aws import AwsClients
from services.core.safe_text import safe_json, safe_text
from services.stack.model import Stack, load_stack, stack_as_json
from tui.cli.session import Session


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print one JSON document")


async def run(args: argparse.Namespace, session: Session) -> int:
    stack = await load_stack(AwsClients(session.profile))
    if args.json:
        print(safe_json(stack_as_json(stack), indent=2))
    else:
        print(render_stack(stack))
    return 0


def render_stack(stack: Stack) -> str:
    """The plain-text form: what the AWS Console's Outputs/Parameters/Resources tabs show."""
    lines = [f"{stack.name} ({stack.region})  {stack.status}"]
    if stack.status_reason:
        lines.append(f"  reason: {stack.status_reason}")
    if stack.last_updated:
        lines.append(f"  last updated: {stack.last_updated:%Y-%m-%d %H:%M:%S %Z}")
    lines.append("\nOutputs")
    lines += [f"  {key:<20} {value}" for key, value in stack.outputs.items()]
    lines.append("\nParameters")
    for p in stack.parameters:
        value = "****" if p.no_echo else p.value
        mark = "  (database migration on change)" if p.requires_migration else ""
        lines.append(f"  {p.key:<26} {value}{mark}")
    lines.append("\nResources")
    for r in stack.resources:
        lines.append(f"  {r.logical_id:<16} {r.type:<36} {r.status:<18} {r.physical_id}")
    # Every line quotes AWS: names, values and reasons alike.
    return "\n".join(safe_text(line) for line in lines)
