"""Which screen the console opens on: the Fleet screen when the config has several profiles and none was chosen."""

from __future__ import annotations

from pathlib import Path

from services.core.config import Profile
from services.core.errors import ConsoleError
from services.fleet.profiles import load_profiles, profile_was_chosen, read_document


def fleet_start(config_path: Path | None, chosen: str | None) -> tuple[list[Profile], bool]:
    """(every profile, open on the Fleet screen?); a config the fleet cannot read leaves just the one stack."""
    try:
        _, document = read_document(config_path)
        profiles = load_profiles(config_path)
    except ConsoleError:
        return [], False  # the chosen profile loaded; another profile's mistake shows when the fleet is opened
    return profiles, len(profiles) > 1 and not profile_was_chosen(document, chosen)
