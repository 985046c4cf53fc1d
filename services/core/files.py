"""Files the console writes for the operator: private (0600) and, for exports, in one known directory.

Saved journals and uplink exports hold what the stack logged and what devices sent; sandbox keys
and credential files are secrets. Each is created with mode 0600 from the start (no window in
which it is world-readable), and an existing file is narrowed to 0600 before it is rewritten.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TextIO

from services.core.config import Profile


def exports_dir(profile: Profile) -> Path:
    """Where saved journals and exports go: the profile's ``exports_dir``, else the user's data directory."""
    if profile.exports_dir:
        return Path(profile.exports_dir).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("ttes-console")) / "exports"


def open_private(path: Path) -> TextIO:
    """Open ``path`` for writing (truncated), mode 0600, creating its directory (0700) if needed."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)  # an existing file keeps its old mode through O_CREAT
    except OSError:
        os.close(fd)
        raise
    return os.fdopen(fd, "w", encoding="utf-8")


def write_private_text(path: Path, text: str) -> Path:
    """Write ``text`` to ``path`` with mode 0600."""
    with open_private(path) as fh:
        fh.write(text)
    return path
