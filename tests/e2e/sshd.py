"""Debian's OpenSSH sshd for the end-to-end tier: one loopback instance with its own config and keys.

Each instance gets a working directory holding an ed25519 host key, ``authorized_keys`` (a client
key made here unless the caller brings its public half), a ``bin`` directory of scripts put first
on the login's PATH (``PermitUserEnvironment``), and an ``sshd_config`` on a free loopback port.
With ``journal=True`` the scripts include a ``journalctl`` (``python -m sandbox.journalctl``,
its entries counted from the instance's ``t0``) and a ``sudo`` that just runs its command.
"""

from __future__ import annotations

import contextlib
import getpass
import os
import shutil
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import asyncssh

from sandbox.ports import LOOPBACK, free_port
from services.core.config import Profile, SshSettings
from tests.e2e.peers import binary, running_peer, tcp_open

ROOT = Path(__file__).resolve().parents[2]
SUDO = '#!/bin/sh\nwhile [ "${1#-}" != "$1" ]; do shift; done\nexec "$@"\n'  # drops sudo's options, runs the rest


@dataclass(frozen=True)
class Sshd:
    """A running sshd: where it listens, its host key's public line, and the client key it accepts."""

    port: int
    workdir: Path
    host_public: str
    client_key: Path | None  # None when the caller brought its own key
    t0: float  # where the fake journalctl's entries start (seconds since the epoch)

    def known_hosts(self, port: int | None = None) -> Path:
        """A known_hosts file that trusts this sshd's key on ``port`` (default: its own, or a proxy's)."""
        port = port or self.port
        known = self.workdir / f"known_hosts_{port}"
        known.write_text(f"[{LOOPBACK}]:{port} {self.host_public}\n")
        return known

    def profile(self, port: int | None = None, *, user: str | None = None) -> Profile:
        """A profile that logs in here (or through a proxy on ``port``) with the client key."""
        assert self.client_key is not None, "this sshd was started with the caller's own key"
        port = port or self.port
        return Profile(
            name="e2e",
            stack="ttes-demo",
            ssh=SshSettings(
                host=LOOPBACK,
                port=port,
                user=user or getpass.getuser(),
                identity_file=str(self.client_key),
                known_hosts=str(self.known_hosts(port)),
            ),
        )


def _write_private(key: asyncssh.SSHKey, path: Path) -> None:
    key.write_private_key(str(path))
    os.chmod(path, 0o600)


@contextlib.contextmanager
def running_sshd(
    work: Path,
    *,
    journal: bool = False,
    python: str = sys.executable,
    scripts: Mapping[str, str] | None = None,
    client_public: str | None = None,
    use_pam: bool = False,
    config: str = "",
) -> Iterator[Sshd]:
    """Start sshd in ``work`` (made if missing) and yield it once it accepts connections; stopped on exit.

    ``scripts`` (name to text) go into the login's PATH, beside (or instead of) the journal's.
    ``use_pam`` lets a non-root account whose password is locked log in with its key (Debian's
    sshd without PAM refuses it); ``config`` is appended to ``sshd_config``.
    """
    exe = binary("sshd", "/usr/sbin/sshd", package="openssh-server")
    work.mkdir(parents=True, exist_ok=True)
    os.chmod(work, 0o755)  # the login user reads its scripts here
    t0 = time.time()
    programs: dict[str, str] = {}
    if journal:
        # The fake journalctl runs as the login, maybe not root: it gets its own copy of the sandbox's
        # code, since the checkout may sit in a directory only its owner can read.
        code = work / "code"
        shutil.copytree(ROOT / "sandbox", code / "sandbox", ignore=shutil.ignore_patterns("__pycache__"))
        programs["journalctl"] = (
            f'#!/bin/sh\nPYTHONPATH={code} exec {python} -m sandbox.journalctl --t0 {t0} --rate 200 -- "$@"\n'
        )
        programs["sudo"] = SUDO
    programs.update(scripts or {})
    options = ""
    if programs:
        bin_dir = work / "bin"
        bin_dir.mkdir()
        for name, text in programs.items():
            (bin_dir / name).write_text(text)
            os.chmod(bin_dir / name, 0o755)
        options = f'environment="PATH={bin_dir}:/usr/local/bin:/usr/bin:/bin" '
    host_key = asyncssh.generate_private_key("ssh-ed25519")
    _write_private(host_key, work / "host_key")
    client_key = None
    if client_public is None:
        client = asyncssh.generate_private_key("ssh-ed25519")
        client_key = work / "client_key"
        _write_private(client, client_key)
        client_public = client.export_public_key().decode()
    (work / "authorized_keys").write_text(options + client_public.strip() + "\n")
    os.chmod(work / "authorized_keys", 0o644)
    port = free_port()
    login = "UsePAM yes\n" if use_pam else "UsePAM no\nPermitRootLogin prohibit-password\n"
    (work / "sshd_config").write_text(
        f"Port {port}\nListenAddress {LOOPBACK}\nHostKey {work / 'host_key'}\n"
        f"AuthorizedKeysFile {work / 'authorized_keys'}\nPidFile {work / 'sshd.pid'}\n"
        "PasswordAuthentication no\nKbdInteractiveAuthentication no\n"
        f"{login}PermitUserEnvironment yes\nStrictModes no\nLogLevel ERROR\n{config}"
    )
    Path("/run/sshd").mkdir(exist_ok=True)
    cmd = [exe, "-D", "-e", "-f", str(work / "sshd_config")]
    with running_peer(f"sshd in {work}", cmd, lambda: tcp_open(port), work / "sshd.log"):
        public = host_key.export_public_key().decode().strip()
        yield Sshd(port, work, public, client_key, t0)
