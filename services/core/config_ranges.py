"""The limits a profile's values must keep: ports, timeouts, counts, and templates' placeholders.

Checked when the file is read, so a value out of range is one sentence naming the file, the
section and the key, rather than a retry loop or an overflow deep in a library.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Collection
from typing import Any

from services.core.errors import ConfigError

PORT = (1, 65535)
# (section, key) -> inclusive (low, high); numbers not listed must be finite and not negative.
RANGES: dict[tuple[str, str], tuple[float, float]] = {
    ("ssh", "port"): PORT,
    ("dns", "port"): PORT,
    ("tls", "port"): PORT,
    ("tls", "http_port"): PORT,
    ("iot", "port"): PORT,
    # Each connection is one MQTT session on AWS IoT Core (100 msg/s each); past a few dozen the
    # account's connect-rate quota and this process's fan-in, not the feed, are the limit.
    ("iot", "connections"): (1, 32),
    ("journal", "buffer_entries"): (1, 10_000_000),
}
# Timeouts: positive and finite, and no longer than an operator would wait (one hour).
TIMEOUT = (0.001, 3600.0)
# The placeholders each template may use; nothing else is substituted or evaluated.
TEMPLATE_PLACEHOLDERS: dict[tuple[str, str], frozenset[str]] = {("iot", "topic"): frozenset({"stack"})}


def check_section(section: str, settings: Any, where: str, source: str) -> None:
    """Every number of one section within its range, its templates with known placeholders only."""
    for f in dataclasses.fields(settings):
        value = getattr(settings, f.name)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            continue
        low, high = RANGES.get((section, f.name), TIMEOUT if "timeout" in f.name else (0, math.inf))
        if not math.isfinite(value) or not low <= value <= high:
            shown = "between" if math.isfinite(high) else "at least"
            bound = f"{_number(low)} and {_number(high)}" if math.isfinite(high) else _number(low)
            raise ConfigError(f"{source}: '{f.name}' in {where} must be {shown} {bound}, got {value!r}.")
    if section == "dns":
        for server in settings.nameservers:
            if not _is_address(server):
                raise ConfigError(
                    f"{source}: nameservers in {where} must be IP addresses (like 1.1.1.1), got {server!r}."
                )
    for (sect, key), allowed in TEMPLATE_PLACEHOLDERS.items():
        if sect == section:
            try:
                fill_template(getattr(settings, key), allowed, **{name: "x" for name in allowed})
            except ValueError as exc:
                raise ConfigError(f"{source}: '{key}' in {where}: {exc}.") from None


def _is_address(text: str) -> bool:
    import ipaddress

    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _number(value: float) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


_FIELD = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")


def fill_template(template: str, allowed: Collection[str], **values: str) -> str:
    """``template`` with ``{name}`` replaced for the allowed names only (``{{``/``}}`` are braces).

    Unlike ``str.format`` nothing is looked up: ``{stack.__class__}`` or ``{0}`` is an error, not
    an attribute access. ``ValueError`` names the bad placeholder.
    """

    def substitute(match: re.Match[str]) -> str:
        token = match.group(0)
        if token in ("{{", "}}"):
            return token[0]
        name = match.group(1)
        if name is None:
            raise ValueError(f"{template!r} has an unpaired brace; write {{{{ or }}}} for a literal one")
        if name not in allowed or name not in values:
            known = ", ".join("{" + a + "}" for a in sorted(allowed)) or "none"
            raise ValueError(f"{template!r} has the unknown placeholder {{{name}}}; the placeholders are {known}")
        return values[name]

    return _FIELD.sub(substitute, template)
