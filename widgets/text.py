"""Remote text made safe to show: pure Python, shared by the widgets and the plain CLI output."""

from __future__ import annotations


def clean(text: str) -> str:
    """Control and escape characters become visible escapes (``\\x1b``); nothing is interpreted."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in text)
