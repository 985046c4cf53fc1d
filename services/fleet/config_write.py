"""Add discovered stacks to the config file as profiles, keeping its comments and existing profiles."""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from services.core.config import Profile
from services.core.errors import ConfigError
from services.fleet.discover import FoundStack


@dataclass(frozen=True)
class AddedProfile:
    """A profile written to the file."""

    name: str
    stack: FoundStack


def known(stack: FoundStack, profiles: Sequence[Profile]) -> Profile | None:
    """The existing profile for this stack (same stack name and region), if any."""
    return next((p for p in profiles if p.stack == stack.stack and p.region == stack.region), None)


def _name_for(stack: FoundStack, taken: set[str]) -> str:
    for candidate in (stack.stack, f"{stack.stack}-{stack.region}"):
        if candidate not in taken:
            return candidate
    n = 2
    while f"{stack.stack}-{stack.region}-{n}" in taken:
        n += 1
    return f"{stack.stack}-{stack.region}-{n}"


def add_profiles(
    path: Path,
    found: Sequence[FoundStack],
    existing: Sequence[Profile],
    *,
    endpoint_url: str = "",
    now: datetime | None = None,
) -> list[AddedProfile]:
    """Append a ``[profiles.NAME]`` table for each stack not yet in the file; returns what was added."""
    import tomlkit

    try:
        text = path.read_text(encoding="utf-8") if path.exists() else ""
        document = tomlkit.parse(text)
    except OSError as exc:
        raise ConfigError(f"Config file {path} cannot be read: {exc.strerror}.") from None
    except tomlkit.exceptions.ParseError as exc:
        raise ConfigError(f"Config file {path} is not valid TOML: {exc}.") from None
    profiles = document.get("profiles")
    if profiles is None:
        profiles = tomlkit.table(is_super_table=True)
        document["profiles"] = profiles
    taken = set(profiles.keys())
    added: list[AddedProfile] = []
    stamp = (now or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M UTC")
    seen: list[Profile] = list(existing)
    for stack in found:
        if known(stack, seen):
            continue
        name = _name_for(stack, taken)
        taken.add(name)
        table = tomlkit.table()
        table.add(tomlkit.comment(f"found by `ttes-console fleet --discover` on {stamp} ({stack.status})"))
        table.add("stack", stack.stack)
        table.add("region", stack.region)
        if stack.aws_profile:
            table.add("aws_profile", stack.aws_profile)
        if endpoint_url:
            table.add("endpoint_url", endpoint_url)
        profiles.add(name, table)
        seen.append(Profile(name=name, stack=stack.stack, region=stack.region))
        added.append(AddedProfile(name, stack))
    if added:
        _write_atomically(path, tomlkit.dumps(document))
    return added


def _write_atomically(path: Path, text: str) -> None:
    """Replace the file in one step, keeping its mode (0600 for a new file: it may name accounts)."""
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        mode = 0o600
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except OSError as exc:
        raise ConfigError(f"Could not write config file {path}: {exc.strerror}.") from None
