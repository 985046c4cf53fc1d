"""Create a change set and show what it will change: replacements and databases first.

The change set is deleted afterwards unless --keep is given (then `apply --change-set NAME`
executes it). A change set without changes is reported as "no changes" and exits 0.

exit codes: 0 the change set was computed (with or without changes), 1 it could not be
created, 2 a parameter or template is not usable.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from services.changes.changesets import ChangeSetPlan, UpdateDraft, create_change_set, delete_change_set, prepare_update
from services.changes.classify import ResourceChange
from services.core.aws import AwsClients
from services.core.errors import ConfigError
from services.core.safe_text import safe_json, safe_text
from tui.cli.session import Session

MARKS = {"Add": "+", "Modify": ">", "Remove": "-", "Import": "+", "Dynamic": "?"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--param", metavar="K=V", action="append", default=[], help="a new parameter value (repeatable)"
    )
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--template-file", metavar="F", type=Path, help="a replacement template (file)")
    source.add_argument("--template-url", metavar="URL", help="a replacement template (S3 URL)")
    parser.add_argument("--keep", action="store_true", help="keep the change set for `apply`")
    parser.add_argument("--json", action="store_true", help="print one JSON document")


def parse_params(pairs: list[str]) -> dict[str, str]:
    """``["K=V", …]`` → ``{K: V}``; a malformed pair is a usage error."""
    values: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--param {pair!r} is not KEY=VALUE.")
        try:
            pair.encode("utf-8")
        except UnicodeEncodeError:
            shown = pair.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
            raise ConfigError(
                f"--param {shown} is not valid UTF-8 (check the terminal's locale or the script's encoding); "
                "CloudFormation takes parameter values as UTF-8 text."
            ) from None
        values[key.strip()] = value
    return values


def read_template(path: Path | None) -> str | None:
    if path is None:
        return None
    try:
        return path.read_text()
    except OSError as exc:
        raise ConfigError(f"Cannot read the template {path}: {exc.strerror or exc}.") from exc


async def run(args: argparse.Namespace, session: Session) -> int:
    clients = AwsClients(session.profile)
    draft = await prepare_update(
        clients,
        parse_params(args.param),
        template_body=read_template(args.template_file),
        template_url=args.template_url,
    )
    plan = await create_change_set(clients, draft, read_only=session.read_only)
    if not args.keep:
        await delete_change_set(clients, plan.name, read_only=session.read_only)
    if args.json:
        print(safe_json(plan.as_json(), indent=2))
    else:
        print(render_plan(plan, draft, kept=args.keep))
    return 0


def _change_lines(c: ResourceChange) -> list[str]:
    mark = MARKS.get(c.action, "?")
    what = (
        c.action
        if c.action != "Modify"
        else ("replace" if c.replacement == "True" else "may replace" if c.replacement == "Conditional" else "modify")
    )
    flags = [f for f in (c.policy_action, "STATEFUL" if c.stateful else "") if f]
    line = f"  {mark} {c.logical_id:<18} {c.type:<36} {what}"
    if flags:
        line += "  [" + ", ".join(flags) + "]"
    return [line] + [f"      {cause}" for cause in c.cause_texts]


def render_plan(plan: ChangeSetPlan, draft: UpdateDraft, *, kept: bool) -> str:
    """The plain-text form: parameters, changes (dangerous first), warnings, verdict."""
    lines = [f"Change set {plan.name} on {plan.stack}: {'no changes' if plan.no_changes else plan.status}"]
    if draft.changed:
        lines.append("\nParameters changed")
        for key in draft.changed:
            declared = next((p for p in draft.declared if p.key == key), None)
            hidden = declared is not None and declared.no_echo
            old, new = ("(hidden)", "(hidden)") if hidden else (draft.current(key), draft.values[key])
            impact = draft.impact.get(key)
            feeds = f"  → {', '.join(r for r, _ in impact.resources)}" if impact and impact.resources else ""
            lines.append(f"  {key}: {old} → {new}{feeds}")
        lines += [f"  ! {w}" for w in draft.migration_warnings]
    if plan.changes:
        lines.append("\nChanges (+ add, > modify, - remove)")
        for c in plan.changes:
            lines += _change_lines(c)
    if plan.requires_snapshot:
        lines.append(
            "\nNeeds a snapshot newer than this change set before apply: "
            + ", ".join(c.logical_id for c in plan.requires_snapshot)
        )
    if plan.warnings:
        lines.append("\nWarnings")
        lines += [f"  ! {w}" for w in plan.warnings]
    lines.append(f"\n{plan.verdict}")
    if kept and not plan.no_changes:
        lines.append(f"Kept: ttes-console apply --change-set {plan.name} --confirm {plan.stack}")
    elif not kept:
        lines.append("The change set was deleted (use --keep to keep it for apply).")
    # Names, values, causes and warnings quote AWS and the template: every line is made safe.
    return "\n".join(safe_text(line) for line in lines)
