"""``fleet --discover``: list the TTES stacks found, and with --write-config add them as profiles."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from services.core.config import Profile, default_config_path
from services.core.errors import ConfigError
from services.core.safe_text import safe_json, safe_text
from services.fleet.config_write import add_profiles, known
from services.fleet.discover import all_regions, discover
from services.fleet.profiles import load_profiles
from tui.cli.fleet_cmd import env_region, wide_executor


def regions_from(args: argparse.Namespace, base: Profile | None, profiles: list[Profile]) -> list[str]:
    """--regions all | a list; default: the profiles' regions, else the base profile's or the environment's."""
    given = [r.strip() for item in (args.regions or []) for r in item.split(",") if r.strip()]
    if any(r == "all" for r in given):
        return all_regions()
    if given:
        return given
    regions = [p.region for p in profiles] or [base.region if base else env_region()]
    regions = [r for r in dict.fromkeys(regions) if r]
    if not regions:
        raise ConfigError("No region to look in: pass --regions all or --regions eu-west-1,us-east-1.")
    return regions


async def run_discovery(args: argparse.Namespace, base: Profile | None, config_path: Path | None) -> int:
    target = config_path or default_config_path()
    profiles = load_profiles(config_path) if target.exists() else []
    regions = regions_from(args, base, profiles)
    aws_profiles = getattr(args, "discover_aws_profiles", None) or [
        (base.aws_profile if base else "") or args.aws_profile or os.environ.get("AWS_PROFILE", "")
    ]
    start = base or Profile(name="discovery", stack="", region=regions[0])
    async with wide_executor():
        found = await discover(start, regions, aws_profiles)
    for problem in found.problems:
        who = f" (AWS profile {problem.aws_profile})" if problem.aws_profile else ""
        print(f"ttes-console: {problem.region}{who}: {safe_text(problem.reason)}", file=sys.stderr)
    added_names: dict[tuple[str, str], str] = {}
    if args.write_config:
        added = add_profiles(target, found.stacks, profiles, endpoint_url=start.endpoint_url)
        added_names = {(a.stack.stack, a.stack.region): a.name for a in added}
    for s in found.stacks:
        existing = known(s, profiles)
        profile = existing.name if existing else added_names.get((s.stack, s.region), "")
        state = "known" if existing else ("added" if profile else "new")
        if args.json:
            doc = {
                "stack": safe_text(s.stack), "region": s.region, "aws_profile": s.aws_profile,
                "account": s.account, "status": safe_text(s.status), "domain": safe_text(s.domain),
                "public_ip": safe_text(s.public_ip), "profile": profile or None, "state": state,
            }  # fmt: skip
            print(safe_json(doc))
        else:
            note = {"known": f"profile {profile}", "added": f"added as profile {profile}", "new": "not in the config"}
            print(safe_text(f"{s.stack:<24} {s.region:<15} {s.account:<13} {s.status:<26} {s.domain:<24} {note[state]}"))
    if not args.json:
        summary = f"{len(found.stacks)} TTES stack(s) in {len(found.regions)} region(s)"
        if args.write_config:
            summary += f"; {len(added_names)} profile(s) added to {target}" if added_names else f"; {target} already has them all"
        print(summary, file=sys.stderr)
    return 1 if found.problems else 0
