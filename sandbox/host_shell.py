"""The instance's commands the console runs over SSH, answered from the sandbox's host root.

Paths map onto the host root like a chroot. Files under ``/tti/acme``, ``config.yml``,
``environment`` and ``/etc/shadow`` are root's (mode 0600 on the AMI): read without ``sudo`` or
over SFTP they give "Permission denied", as on the instance. Scenario ``disk-full`` has ``/`` at
97 %; the unit's restart state lives in :class:`UnitState` (``systemctl restart`` goes through
``activating`` for :data:`ACTIVATING_SECONDS`).
"""

from __future__ import annotations

import os
import stat
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from sandbox.host_files import VERSION_TEXT

ACTIVATING_SECONDS = 2.0
GIB = 1024**3
ROOT_ONLY = ("/tti/acme/", "/tti/lorawan-stack/config.yml", "/tti/lorawan-stack/environment", "/etc/shadow")
LISTENING = (
    ("tcp", "0.0.0.0:22"),
    ("tcp", "*:80"),
    ("tcp", "*:443"),
    *(("tcp", f"*:{p}") for p in range(1881, 1888)),
    *(("tcp", f"*:{p}") for p in range(8881, 8888)),
    ("udp", "*:1700"),
    ("udp", "127.0.0.1:323"),
)


@dataclass
class UnitState:
    """lorawan-stack.service as systemd sees it, restarts included."""

    invocation_id: str = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
    active_since: float = field(default_factory=time.time)
    activating_until: float = 0.0
    restarts: int = 0

    def active_state(self, now: float | None = None) -> tuple[str, str]:
        now = time.time() if now is None else now
        if now < self.activating_until:
            return "activating", "start"
        return "active", "running"

    def restart(self, now: float | None = None) -> str:
        """Begin a restart: a new invocation, activating for a while, then active."""
        now = time.time() if now is None else now
        self.invocation_id = uuid.uuid4().hex
        self.activating_until = now + ACTIVATING_SECONDS
        self.active_since = self.activating_until
        self.restarts += 1
        return self.invocation_id


class HostShell:
    """Answers one command line (argv) with (exit status, stdout, stderr)."""

    def __init__(self, root: Path, *, boot_time: float, disk_full: bool = False) -> None:
        self.root = root
        self.boot_time = boot_time
        self.disk_full = disk_full

    # --- paths ------------------------------------------------------------------------

    def local(self, remote: str) -> Path:
        """The host-root path of a remote absolute path (``..`` cannot climb above the root)."""
        parts: list[str] = []
        for part in remote.split("/"):
            if part in ("", "."):
                continue
            if part == "..":
                if parts:
                    parts.pop()
                continue
            parts.append(part)
        return self.root.joinpath(*parts)

    def remote(self, local: Path) -> str:
        try:
            rel = local.relative_to(self.root)
        except ValueError:
            return str(local)
        return "/" + str(rel) if str(rel) != "." else "/"

    def realpath(self, remote: str) -> str:
        return self.remote(Path(os.path.realpath(self.local(remote))))

    def readable(self, remote: str, *, as_root: bool) -> bool:
        real = self.realpath(remote)
        return as_root or not any(real == p or real.startswith(p) for p in ROOT_ONLY)

    # --- commands ---------------------------------------------------------------------

    def run(self, argv: list[str], *, as_root: bool) -> tuple[int, bytes, bytes]:
        name = argv[0] if argv else ""
        args = [a for a in argv[1:] if a != "--"]
        handler = {
            "cat": self._cat,
            "tail": self._tail,
            "readlink": self._readlink,
            "stat": self._stat,
            "find": self._find,
        }.get(name)
        if handler is not None:
            return handler(args, as_root)
        if name == "/tti/lorawan-stack/tti-lw-stack" and args[:1] == ["version"]:
            return 0, VERSION_TEXT.encode(), b""
        if name == "df":
            return 0, self._df([a for a in args if a.startswith("/")] or ["/"]).encode(), b""
        simple = {
            "uname": "6.1.112-122.189.amzn2023.x86_64\n",
            "free": self._free(),
            "timedatectl": self._timedatectl(),
            "ss": self._ss(),
        }
        if name in simple:
            return 0, simple[name].encode(), b""
        return 127, b"", f"bash: {name}: command not found\n".encode()

    def _open_error(self, cmd: str, remote: str, as_root: bool) -> tuple[int, bytes, bytes] | None:
        path = self.local(remote)
        if not path.exists():
            return 1, b"", f"{cmd}: {remote}: No such file or directory\n".encode()
        if not self.readable(remote, as_root=as_root):
            return 1, b"", f"{cmd}: {remote}: Permission denied\n".encode()
        if path.is_dir():
            return 1, b"", f"{cmd}: {remote}: Is a directory\n".encode()
        return None

    def _cat(self, args: list[str], as_root: bool) -> tuple[int, bytes, bytes]:
        out = b""
        for remote in args:
            if remote == "/proc/uptime":
                up = time.time() - self.boot_time
                out += f"{up:.2f} {up * 1.8:.2f}\n".encode()
                continue
            if remote == "/proc/loadavg":
                out += b"0.42 0.35 0.30 2/214 24170\n"
                continue
            error = self._open_error("cat", remote, as_root)
            if error:
                return error
            out += self.local(remote).read_bytes()
        return 0, out, b""

    def _tail(self, args: list[str], as_root: bool) -> tuple[int, bytes, bytes]:
        if len(args) != 3 or args[0] != "-c" or not args[1].isdigit():
            return 1, b"", b"tail: this simulated tail knows only -c N FILE\n"
        error = self._open_error("tail", args[2], as_root)
        if error:
            return error
        data = self.local(args[2]).read_bytes()
        return 0, data[-int(args[1]) :] if int(args[1]) else b"", b""

    def _readlink(self, args: list[str], as_root: bool) -> tuple[int, bytes, bytes]:
        if len(args) != 2 or args[0] != "-f":
            return 1, b"", b"readlink: this simulated readlink knows only -f PATH\n"
        return 0, (self.realpath(args[1]) + "\n").encode(), b""

    def _stat(self, args: list[str], as_root: bool) -> tuple[int, bytes, bytes]:
        # stat -L -c FORMAT PATH
        if len(args) != 4 or args[0] != "-L" or args[1] != "-c":
            return 1, b"", b"stat: this simulated stat knows only -L -c FORMAT PATH\n"
        path = self.local(args[3])
        if not path.exists():
            return 1, b"", f"stat: cannot statx '{args[3]}': No such file or directory\n".encode()
        st = path.stat()
        kind = "directory" if path.is_dir() else "regular file"
        text = args[2].replace("%s", str(st.st_size)).replace("%F", kind).replace("%Y", str(int(st.st_mtime)))
        return 0, (text + "\n").encode(), b""

    def _find(self, args: list[str], as_root: bool) -> tuple[int, bytes, bytes]:
        # find ROOT -maxdepth N -printf FORMAT
        if len(args) != 5 or args[1] != "-maxdepth" or args[3] != "-printf":
            return 1, b"", b"find: this simulated find knows only ROOT -maxdepth N -printf FORMAT\n"
        top, depth, fmt = args[0], int(args[2]), args[4]
        base = self.local(top)
        if not base.exists():
            return 1, b"", f"find: '{top}': No such file or directory\n".encode()
        out: list[str] = []
        for path, level in _walk(base, depth):
            out.append(self._printf(fmt, path, level))
        return 0, "".join(out).encode(), b""

    def _printf(self, fmt: str, path: Path, level: int) -> str:
        st = path.lstat()
        kind = "l" if stat.S_ISLNK(st.st_mode) else "d" if stat.S_ISDIR(st.st_mode) else "f"
        link = os.readlink(path) if kind == "l" else ""
        values = {
            "%y": kind,
            "%s": str(st.st_size),
            "%T@": f"{st.st_mtime:.10f}",
            "%p": self.remote(path),
            "%l": link,
            "%m": format(stat.S_IMODE(st.st_mode), "o"),
            "%d": str(level),
            "\\t": "\t",
            "\\n": "\n",
        }
        text = fmt
        for key, value in values.items():
            text = text.replace(key, value)
        return text

    def _free(self) -> str:
        return (
            "               total        used        free      shared  buff/cache   available\n"
            f"Mem:      {2 * GIB:>10} {1_288_490_188:>11} {214_748_364:>11} {1_048_576:>11} "
            f"{644_245_094:>11} {687_194_767:>11}\n"
            f"Swap:     {0:>10} {0:>11} {0:>11}\n"
        )

    def _df(self, paths: list[str]) -> str:
        # /tti lives on the root volume on the AMI: one file system, one row per path asked.
        total = 30 * GIB
        used = int(total * (0.97 if self.disk_full else 0.41))
        row = f"/dev/nvme0n1p1 {total:>11} {used:>11} {total - used:>11} {round(100 * used / total)}% /\n"
        return "Filesystem        1-blocks        Used   Available Capacity Mounted on\n" + row * len(paths)

    def _timedatectl(self) -> str:
        return (
            "Timezone=UTC\nLocalRTC=no\nCanNTP=yes\nNTP=yes\nNTPSynchronized=yes\n"
            f"TimeUSec={time.strftime('%a %Y-%m-%d %H:%M:%S UTC', time.gmtime())}\n"
        )

    def _ss(self) -> str:
        lines = []
        for proto, local in LISTENING:
            state = "LISTEN" if proto == "tcp" else "UNCONN"
            lines.append(f"{proto}   {state} 0      4096   {local:<24} *:*")
        return "\n".join(lines) + "\n"


def _walk(base: Path, depth: int, level: int = 0) -> list[tuple[Path, int]]:
    found = [(base, level)]
    if level < depth and base.is_dir() and not base.is_symlink():
        for child in sorted(base.iterdir()):
            found += _walk(child, depth, level + 1)
    return found


def main(argv: list[str]) -> int:
    """``python -m sandbox.host_shell ROOT COMMAND…``: the end-to-end tier's fake ``sudo`` runs this."""
    import sys

    if len(argv) < 2:
        print("usage: python -m sandbox.host_shell ROOT COMMAND [ARG…]", file=sys.stderr)
        return 2
    shell = HostShell(Path(argv[0]), boot_time=time.time() - 9 * 86400)
    status, out, err = shell.run(argv[1:], as_root=True)
    sys.stdout.buffer.write(out)
    sys.stderr.buffer.write(err)
    return status


if __name__ == "__main__":
    import sys

    sys.exit(main(sys.argv[1:]))
