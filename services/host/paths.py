"""Which remote paths the console reads: only ``/tti`` and below, checked twice.

First the path as typed (absolute, under ``/tti``, no ``..``), then the path the instance
resolves it to (``readlink -f``): a symlink that leaves ``/tti`` is refused too.
"""

from __future__ import annotations

import posixpath

from services.core.errors import ConsoleError
from services.core.safe_text import safe_text

TTI = "/tti"


class PathRefused(ConsoleError):
    """A path outside ``/tti`` (or leading out of it) was asked for."""


def inside_tti(path: str) -> bool:
    """``path`` (absolute, normalised) is ``/tti`` or below it."""
    return path == TTI or path.startswith(TTI + "/")


def checked_path(path: str) -> str:
    """The normalised path, or :class:`PathRefused` with the sentence saying why."""
    shown = safe_text(path)
    if not path.startswith("/"):
        path = posixpath.join(TTI, path)
    if ".." in path.split("/"):
        raise PathRefused(f"Refused to read {shown}: '..' is not allowed; give a path under {TTI}.")
    normal = posixpath.normpath(path)
    if not inside_tti(normal):
        raise PathRefused(f"Refused to read {shown}: the console reads only files under {TTI}.")
    return normal


def checked_target(path: str, resolved: str) -> str:
    """The resolved path, if it is still under ``/tti``."""
    resolved = posixpath.normpath(resolved.strip()) if resolved.strip() else path
    if not inside_tti(resolved):
        raise PathRefused(
            f"Refused to read {safe_text(path)}: it is a symlink to {safe_text(resolved)}, outside {TTI}."
        )
    return resolved
