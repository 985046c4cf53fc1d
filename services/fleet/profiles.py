"""Every profile of the config file, for the fleet: resolved one by one with the file's own rules."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from services.core.config import CONFIG_ENV, Overrides, Profile, default_config_path, resolve_profile
from services.core.errors import ConfigError


def read_document(path: Path | None = None, environ: Mapping[str, str] | None = None) -> tuple[Path, dict[str, Any]]:
    """The config file's path and parsed content (empty when the default file does not exist)."""
    env = os.environ if environ is None else environ
    explicit = path is not None or bool(env.get(CONFIG_ENV))
    target = path if path is not None else default_config_path(env)
    try:
        with target.open("rb") as fh:
            return target, tomllib.load(fh)
    except FileNotFoundError:
        if explicit:
            raise ConfigError(f"Config file {target} does not exist; check --config or ${CONFIG_ENV}.") from None
        return target, {}
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"Config file {target} is not valid TOML: {exc}.") from None
    except OSError as exc:
        raise ConfigError(f"Config file {target} cannot be read: {exc.strerror}.") from None


def load_profiles(
    path: Path | None = None,
    environ: Mapping[str, str] | None = None,
    *,
    aws_profile: str | None = None,
) -> list[Profile]:
    """Every profile in the file, in file order; a broken profile stops with its sentence."""
    env = os.environ if environ is None else environ
    target, document = read_document(path, env)
    profiles = document.get("profiles", {})
    if not isinstance(profiles, Mapping):
        raise ConfigError(f"{target}: 'profiles' must be a table of profiles, like [profiles.prod-eu].")
    return [
        resolve_profile(document, str(target), Overrides(profile=name, aws_profile=aws_profile), env)
        for name in profiles
    ]


def profile_was_chosen(document: Mapping[str, Any], chosen: str | None) -> bool:
    """Whether the operator named a profile (``-p``) or the file has a ``default_profile``."""
    return bool(chosen) or bool(document.get("default_profile"))
