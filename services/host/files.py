"""Files under ``/tti``: the tree to depth 2, and reading one file safely.

Reading: SFTP where the file is readable by the SSH user, otherwise ``sudo -n`` (the AMI's
ec2-user has passwordless sudo; root's files such as ``config.yml`` need it); one sentence when
neither works. At most :data:`MAX_BYTES` are read (the tail of bigger files), binary files are
refused, and every text is masked (:mod:`services.host.masking`) and made safe
(:func:`services.core.safe_text.safe_text`) before it leaves this module.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from services.core.errors import ConsoleError
from services.core.safe_text import safe_bytes, safe_text
from services.core.ssh import SshConnection
from services.host.masking import mask_file
from services.host.paths import TTI, checked_path, checked_target, inside_tti

MAX_BYTES = 1_048_576
BOOTSTRAP = "/tti/bootstrap"
TREE_DEPTH = 2
_FIND_FORMAT = "%y\\t%s\\t%T@\\t%p\\t%l\\n"


class UnreadableFile(ConsoleError):
    """A file under /tti could not be read (missing, permissions, binary)."""


@dataclass(frozen=True)
class TreeEntry:
    """One file or directory under ``/tti`` (names and link targets already safe text)."""

    path: str
    kind: str  # file, dir, link, other
    size: int
    modified: datetime | None
    link_target: str = ""
    leaves_tti: bool = False  # a symlink that points outside /tti

    @property
    def depth(self) -> int:
        return 0 if self.path == TTI else self.path[len(TTI) :].count("/")

    def as_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "kind": self.kind,
            "size": self.size,
            "modified": self.modified.isoformat() if self.modified else None,
            "link_target": self.link_target or None,
            "leaves_tti": self.leaves_tti,
        }


@dataclass(frozen=True)
class HostFile:
    """A file's text as the operator may see it: masked, safe, at most MAX_BYTES of its tail."""

    path: str
    size: int
    text: str
    truncated: bool  # only the tail was read
    masked: int  # how many secret values were masked
    via: str  # "sftp" or "sudo"

    def as_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "size": self.size,
            "truncated": self.truncated,
            "masked_values": self.masked,
            "read_via": self.via,
            "text": self.text,
        }


_KINDS = {"f": "file", "d": "dir", "l": "link"}


async def sudo_run(conn: SshConnection, argv: list[str], timeout: float = 30.0) -> tuple[int, str, str]:
    """``sudo -n`` the command; without sudo when sudo itself is refused (a user who owns /tti)."""
    result = await conn.run(["sudo", "-n", *argv], timeout=timeout)
    if result.exit_status != 0 and "sudo:" in result.stderr:
        plain = await conn.run(argv, timeout=timeout)
        if plain.exit_status == 0:
            return 0, plain.stdout, plain.stderr
    return result.exit_status, result.stdout, result.stderr


async def list_tree(conn: SshConnection, depth: int = TREE_DEPTH) -> list[TreeEntry]:
    """``/tti`` to ``depth`` levels with sizes, times and symlink targets."""
    status, out, err = await sudo_run(conn, ["find", TTI, "-maxdepth", str(depth), "-printf", _FIND_FORMAT])
    if status != 0 and not out:
        first = (err.strip().splitlines() or [f"exit status {status}"])[0]
        raise UnreadableFile(f"Could not list {TTI} on {conn.where}: {safe_text(first)}.")
    entries = [entry for line in out.splitlines() if (entry := _tree_entry(line)) is not None]
    return sorted(entries, key=_tree_order)


def _tree_order(entry: TreeEntry) -> list[tuple[float, str]]:
    """Depth-first by name, except the bootstrap logs: newest first, as an engineer reads them."""
    parts = entry.path.strip("/").split("/")
    key = [(0.0, part) for part in parts]
    if posixpath.dirname(entry.path) == BOOTSTRAP and entry.modified is not None:
        key[-1] = (-entry.modified.timestamp(), parts[-1])
    return key


def _tree_entry(line: str) -> TreeEntry | None:
    parts = line.split("\t")
    if len(parts) < 5:
        return None
    kind, size, mtime, path, target = parts[0], parts[1], parts[2], parts[3], "\t".join(parts[4:])
    try:
        modified: datetime | None = datetime.fromtimestamp(float(mtime), UTC)
    except ValueError:
        modified = None
    leaves = False
    if kind == "l":
        resolved = posixpath.normpath(posixpath.join(posixpath.dirname(path), target))
        leaves = not inside_tti(resolved)
    return TreeEntry(
        path=safe_text(path),
        kind=_KINDS.get(kind, "other"),
        size=int(size) if size.isdigit() else 0,
        modified=modified,
        link_target=safe_text(target),
        leaves_tti=leaves,
    )


async def resolve(conn: SshConnection, path: str) -> str:
    """The path as typed, checked, then resolved on the instance and checked again."""
    wanted = checked_path(path)
    status, out, _err = await sudo_run(conn, ["readlink", "-f", "--", wanted])
    if status != 0 or not out.strip():
        raise UnreadableFile(f"{safe_text(wanted)} does not exist on {conn.where}.")
    return checked_target(wanted, out.strip())


async def read_raw(conn: SshConnection, path: str, limit: int = MAX_BYTES) -> tuple[bytes, int, str]:
    """(the last ``limit`` bytes, the size, how it was read) of a resolved path under /tti.

    Unmasked: for this package's parsers only (certificates); never returned to a caller
    that shows text.
    """
    try:
        return await _read_sftp(conn, path, limit)
    except _SftpUnavailable:
        pass
    status, out, err = await sudo_run(conn, ["stat", "-L", "-c", "%s %F", "--", path])
    if status != 0:
        raise UnreadableFile(_neither(conn, path, err))
    size_text, _, kind = out.strip().partition(" ")
    if kind == "directory":
        raise UnreadableFile(f"{safe_text(path)} is a directory; pick a file in the tree.")
    size = int(size_text) if size_text.isdigit() else 0
    result = await conn.raw.run(f"sudo -n tail -c {limit} -- {_quote(path)}", check=False, encoding=None, timeout=60)
    if result.exit_status != 0:
        raise UnreadableFile(_neither(conn, path, safe_bytes(_bytes(result.stderr))))
    return _bytes(result.stdout), size, "sudo"


def _bytes(value: bytes | str | None) -> bytes:
    if isinstance(value, str):
        return value.encode("utf-8", "surrogateescape")
    return value or b""


class _SftpUnavailable(Exception):
    pass


async def _read_sftp(conn: SshConnection, path: str, limit: int) -> tuple[bytes, int, str]:
    import asyncssh

    try:
        async with conn.raw.start_sftp_client() as sftp:
            attrs = await sftp.stat(path)
            if attrs.type == asyncssh.FILEXFER_TYPE_DIRECTORY:
                raise UnreadableFile(f"{safe_text(path)} is a directory; pick a file in the tree.")
            size = int(attrs.size or 0)
            async with sftp.open(path, "rb") as fh:
                if size > limit:
                    await fh.seek(size - limit)
                data = await fh.read(limit)
    except (asyncssh.SFTPError, asyncssh.ChannelOpenError, OSError):
        raise _SftpUnavailable() from None
    return _bytes(data), size, "sftp"


def _neither(conn: SshConnection, path: str, err: str) -> str:
    first = (err.strip().splitlines() or ["no reason given"])[0]
    if "No such file or directory" in first:
        return f"{safe_text(path)} does not exist on {conn.where}; pick a file in the tree."
    return (
        f"Could not read {safe_text(path)} on {conn.where}: SFTP was refused and `sudo -n` failed "
        f"({safe_text(first)}); the SSH user needs read access or passwordless sudo."
    )


def _quote(path: str) -> str:
    import shlex

    return shlex.quote(path)


def looks_binary(data: bytes) -> bool:
    """NUL bytes or an executable's magic: not text an operator can read."""
    head = data[:8192]
    return b"\x00" in head or head.startswith((b"\x7fELF", b"MZ"))


async def read_file(conn: SshConnection, path: str) -> HostFile:
    """A file under /tti, masked and safe to show."""
    real = await resolve(conn, path)
    data, size, via = await read_raw(conn, real)
    if looks_binary(data):
        raise UnreadableFile(f"{safe_text(real)} is a binary file ({size} bytes); the console shows only text files.")
    truncated = size > len(data)
    text = data.decode("utf-8", "surrogateescape")
    if truncated and "\n" in text:
        text = text.split("\n", 1)[1]  # drop the partial first line of a tail
    masked = mask_file(real, text)
    lines = [safe_text(line) for line in masked.text.split("\n")]
    return HostFile(real, size, "\n".join(lines), truncated, masked.masked, via)


async def read_new(conn: SshConnection, path: str, known_size: int) -> tuple[str, int]:
    """(the text appended to a log since it had ``known_size`` bytes, its size now): following a log.

    The path must be one :func:`read_file` returned (resolved and checked). A file that shrank
    (rotated) is read again from its tail.
    """
    status, out, err = await sudo_run(conn, ["stat", "-L", "-c", "%s %F", "--", path])
    size_text = out.strip().partition(" ")[0]
    if status != 0 or not size_text.isdigit():
        raise UnreadableFile(_neither(conn, path, err))
    size = int(size_text)
    if size == known_size:
        return "", size
    grown = size - known_size if size > known_size else MAX_BYTES
    data, size, _ = await read_raw(conn, path, limit=min(grown, MAX_BYTES))
    text = data.decode("utf-8", "surrogateescape")
    masked = mask_file(path, text)
    return "\n".join(safe_text(line) for line in masked.text.split("\n")), size
