"""Text from remote systems, made safe for a terminal."""

from __future__ import annotations

import re

# C0 controls except TAB, DEL, and C1 controls (0x80-0x9f): the bytes that start escape sequences.
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f]")


def safe(text: str) -> str:
    """Neutralise control and escape sequences: each control character becomes a visible escape."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)
