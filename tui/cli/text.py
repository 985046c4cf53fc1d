"""Text from remote systems, made safe for a terminal: the CLI's name for widgets.text.clean."""

from __future__ import annotations

from widgets.text import clean as safe

__all__ = ["safe"]
