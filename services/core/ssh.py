"""SSH to the instance as OpenSSH users expect: verify the host key always, run commands.

The host may be an IP, a DNS name or a ``~/.ssh/config`` alias. Each value comes from the
profile only where the profile sets it, else from ``~/.ssh/config`` (asyncssh's own parser),
else the defaults (``ec2-user``, 22). Host keys are checked against the user's known_hosts
(the profile's file, else the config's ``UserKnownHostsFile``, else ``~/.ssh/known_hosts``) and
the global ones (``GlobalKnownHostsFile``, else ``/etc/ssh/ssh_known_hosts``), hashed entries
included; nothing is ever written except by :func:`trust_host_key`, to the user's file, which
the UI calls only after the operator said yes. Jump hosts use OpenSSH's ``ProxyJump`` syntax
(from the profile or the config); every hop is verified against the same known hosts.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shlex
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from services.core.config import Profile
from services.core.errors import AuthFailed, ConfigError, ConsoleError, HostKeyMismatch, HostKeyUnknown, Unreachable
from services.core.safe_text import safe_text
from services.core.ssh_target import DEFAULT_USER_KNOWN_HOSTS, SshTarget, jump_hops, known_hosts_for, resolve_target

if TYPE_CHECKING:
    import asyncssh

KEEPALIVE_INTERVAL = 15.0
KEEPALIVE_COUNT_MAX = 3
CLOSE_SECONDS = 2.0
# asyncssh's ciphers with AES-GCM first (its default puts ChaCha20-Poly1305 first): with AES-NI it
# costs both ends much less CPU a packet, which a journal flood is made of (bench/journal.py). Every one of them is an OpenSSH default, so any sshd still finds one it offers.
ENCRYPTION_ALGS = (
    "aes128-gcm@openssh.com",
    "aes256-gcm@openssh.com",
    "chacha20-poly1305@openssh.com",
    "aes256-ctr",
    "aes192-ctr",
    "aes128-ctr",
)


@dataclass(frozen=True)
class OfferedHostKey:
    """A host key a server offered, as the operator is asked to accept it."""

    host: str
    port: int
    fingerprint: str  # SHA256:…
    algorithm: str
    known_hosts_line: str
    known_hosts_file: str = ""  # the user's file, where an accepted key is written


@dataclass(frozen=True)
class CommandResult:
    """What a remote command printed and how it exited."""

    exit_status: int
    stdout: str
    stderr: str


def known_hosts_pattern(host: str, port: int) -> str:
    return host if port == 22 else f"[{host}]:{port}"


def quote_command(argv: Sequence[str]) -> str:
    """One shell command line; every argument quoted (cursors contain ``;``)."""
    return shlex.join(argv)


class SshConnection:
    """An open SSH connection (and its jump host, if any); ``async with`` closes both."""

    def __init__(
        self,
        conn: asyncssh.SSHClientConnection,
        jumps: Sequence[asyncssh.SSHClientConnection],
        where: str,
        user: str = "",
    ):
        self._conn = conn
        self._jumps = list(jumps)
        self.where = where
        self.user = user

    @property
    def server_version(self) -> str:
        """The server's identification string (``SSH-2.0-OpenSSH_9.2p1 …``), made printable."""
        return safe_text(str(self._conn.get_extra_info("server_version") or ""))

    @property
    def raw(self) -> asyncssh.SSHClientConnection:
        """The asyncssh connection, for streaming processes."""
        return self._conn

    async def run(self, argv: Sequence[str], timeout: float = 30.0) -> CommandResult:
        """Run a command (quoted) and collect its output."""
        import asyncssh

        try:
            result = await asyncio.wait_for(self._conn.run(quote_command(argv), check=False), timeout)
        except (asyncssh.Error, OSError) as exc:
            raise Unreachable(f"The SSH connection to {self.where} failed while running {argv[0]}: {exc}.") from None
        except TimeoutError:
            raise Unreachable(f"{argv[0]} on {self.where} did not finish within {timeout:.0f} s.") from None
        status = result.exit_status if result.exit_status is not None else -1
        return CommandResult(status, _text(result.stdout), _text(result.stderr))

    async def close(self) -> None:
        """Close the connection (and the jump host's), waiting at most CLOSE_SECONDS for each to
        confirm: this runs while a cancelled stream unwinds, so an unbounded wait for a peer
        that has gone could hold a finished ``logs -f`` open forever."""
        for conn in (self._conn, *reversed(self._jumps)):
            conn.close()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(conn.wait_closed(), CLOSE_SECONDS)

    async def __aenter__(self) -> SshConnection:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="backslashreplace")
    return value if isinstance(value, str) else ""


def _client_keys(profile: Profile) -> Any:
    """The profile's identity file, or () for ~/.ssh/config's IdentityFile, the defaults and the agent."""
    import asyncssh

    if not profile.ssh.identity_file:
        return ()
    path = Path(profile.ssh.identity_file).expanduser()
    try:
        return [asyncssh.read_private_key(str(path))]
    except FileNotFoundError:
        raise ConfigError(f"The SSH identity file {path} does not exist; check ssh.identity_file.") from None
    except asyncssh.KeyEncryptionError:
        raise ConfigError(
            f"The SSH identity file {path} is passphrase-protected; load it into ssh-agent and leave "
            "ssh.identity_file empty."
        ) from None
    except (OSError, asyncssh.KeyImportError) as exc:
        raise ConfigError(f"The SSH identity file {path} cannot be used: {exc}.") from None


async def _open_jumps(
    profile: Profile, target: SshTarget, known: asyncssh.SSHKnownHosts, keys: Any
) -> list[asyncssh.SSHClientConnection]:
    """Open every ProxyJump hop in turn, each through the previous one, each host key verified."""
    opened: list[asyncssh.SSHClientConnection] = []
    try:
        for user, host, port in jump_hops(target.jump) if target.jump else []:
            # A hop's user and port come from the spec, else ~/.ssh/config, else OpenSSH's defaults.
            opened.append(
                await _open(profile, target, known, keys, host, port, user or None, opened[-1] if opened else ())
            )
    except BaseException:
        for conn in reversed(opened):
            conn.close()
        raise
    return opened


async def connect(profile: Profile, host: str, *, port: int | None = None) -> SshConnection:
    """Open an SSH connection to ``host`` (the stack's PublicIP unless ``ssh.host`` says otherwise)."""

    if not host:
        raise ConfigError("No SSH host: the stack has no PublicIP output and ssh.host is empty.")
    target = await asyncio.to_thread(resolve_target, profile, host, port)
    known = known_hosts_for(target)
    keys = _client_keys(profile)
    jumps = await _open_jumps(profile, target, known, keys)
    try:
        conn = await _open(profile, target, known, keys, host, target.port, target.user, jumps[-1] if jumps else None)
    except BaseException:
        for jump in reversed(jumps):
            jump.close()
        raise
    return SshConnection(conn, jumps, target.where, target.user)


async def _open(
    profile: Profile,
    target: SshTarget,
    known: asyncssh.SSHKnownHosts,
    keys: Any,
    host: str,
    port: int | None,
    user: str | None,
    tunnel: Any,
) -> asyncssh.SSHClientConnection:
    """One asyncssh connection; ``host`` as given, so its ~/.ssh/config block applies."""
    import asyncssh

    offered: list[tuple[str, str, int | None, asyncssh.SSHKey]] = []

    class _Client(asyncssh.SSHClient):
        def validate_host_public_key(self, host: str, addr: str, port: int, key: asyncssh.SSHKey) -> bool:
            offered.append((host, addr, port, key))  # remembered for the error sentence; never trusted here
            return False

    where = target.where if host == target.name and user == target.user else f"{user + '@' if user else ''}{host}"
    kwargs: dict[str, Any] = {
        "known_hosts": known,
        "client_factory": _Client,
        "connect_timeout": profile.ssh.connect_timeout,
        "keepalive_interval": KEEPALIVE_INTERVAL,
        "keepalive_count_max": KEEPALIVE_COUNT_MAX,
        "encryption_algs": list(ENCRYPTION_ALGS),
        "tunnel": tunnel,
    }
    if user:
        kwargs["username"] = user
    if keys != ():
        kwargs["client_keys"] = keys
    try:
        return await asyncssh.connect(host, port if port is not None else (), **kwargs)
    except asyncssh.HostKeyNotVerifiable:
        raise _host_key_error(target, known, offered[-1] if offered else None, host) from None
    except asyncssh.PermissionDenied:
        raise AuthFailed(
            f"{where} refused our SSH key; check ssh.user and ssh.identity_file (or ~/.ssh/config and the agent) "
            "match the instance's key pair."
        ) from None
    except (TimeoutError, asyncssh.ConnectionLost, ConnectionError, socket.gaierror) as exc:
        raise Unreachable(f"Cannot reach SSH on {where}: {_reason(exc)}.") from None
    except OSError as exc:
        raise Unreachable(f"Cannot reach SSH on {where}: {_reason(exc)}.") from None
    except asyncssh.DisconnectError as exc:
        raise Unreachable(f"SSH on {where} closed the connection during login: {safe_text(exc.reason)}.") from None
    except ValueError as exc:  # asyncssh's config parser and option checks
        raise ConfigError(
            f"SSH to {where} cannot start: {exc}; check ~/.ssh/config and ssh.* in the profile."
        ) from None


def _reason(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "timed out"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, socket.gaierror):
        return "the name does not resolve"
    text = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return str(text).rstrip(".")


def _host_key_error(
    target: SshTarget,
    known: asyncssh.SSHKnownHosts,
    seen: tuple[str, str, int | None, asyncssh.SSHKey] | None,
    name: str,
) -> HostKeyUnknown:
    host, addr, port, key = seen if seen is not None else (name, "", target.port, None)
    fingerprint = key.get_fingerprint("sha256") if key is not None else "(not offered)"
    algorithm = key.get_algorithm() if key is not None else ""
    shown = f"{host}:{port or 22}" + (f" ({name})" if name != host else "")
    try:
        trusted = known.match(host, addr, port if port != 22 else None)[0]
    except ValueError:  # addr is not an IP (a tunnelled hop): match the name alone
        trusted = known.match(host, "", port if port != 22 else None)[0]
    files = " or ".join(str(p) for p in target.known_hosts_files)
    if trusted:
        return HostKeyMismatch(
            f"The host key of {shown} has CHANGED: it offered {algorithm} {fingerprint}, which is not the "
            f"key recorded in {files}; if the instance was not replaced this may be an attack, so the console "
            "refuses to connect (remove the old entry only once you have verified the new key).",
            host=host,
            fingerprint=fingerprint,
        )
    return HostKeyUnknown(
        f"The host key of {shown} is not in {files}: it offered {algorithm} {fingerprint}; verify it "
        "(e.g. in the EC2 console's system log) and accept it in the console, or add it with ssh-keyscan.",
        host=host,
        fingerprint=fingerprint,
    )


async def fetch_host_key(profile: Profile, host: str, *, port: int | None = None) -> OfferedHostKey:
    """The host key the server offers now (for the operator to compare and accept), through the
    same jump hosts and to the same real address as :func:`connect`."""
    import asyncssh

    target = await asyncio.to_thread(resolve_target, profile, host, port)
    jumps = await _open_jumps(profile, target, known_hosts_for(target), _client_keys(profile))
    try:
        key = await asyncio.wait_for(
            asyncssh.get_server_host_key(host, target.port, tunnel=jumps[-1] if jumps else None),
            profile.ssh.connect_timeout,
        )
    except (TimeoutError, OSError, asyncssh.Error) as exc:
        raise Unreachable(f"Cannot reach SSH on {target.where} to read its host key: {_reason(exc)}.") from None
    finally:
        for jump in reversed(jumps):
            jump.close()
    if key is None:
        raise ConsoleError(f"{target.where} offered no host key.")
    public = key.export_public_key("openssh").decode().strip()
    return OfferedHostKey(
        host=target.host,
        port=target.port,
        fingerprint=key.get_fingerprint("sha256"),
        algorithm=key.get_algorithm(),
        known_hosts_line=f"{known_hosts_pattern(target.host_key_alias or target.host, target.port)} {public}",
        known_hosts_file=str(target.user_known_hosts),
    )


def trust_host_key(profile: Profile, offered: OfferedHostKey, expected_fingerprint: str) -> Path:
    """Append the key to known_hosts — only if it is the one the operator was shown."""
    if offered.fingerprint != expected_fingerprint:
        raise HostKeyMismatch(
            f"The host key of {offered.host}:{offered.port} changed while you were deciding "
            f"(now {offered.fingerprint}); nothing was written.",
            host=offered.host,
            fingerprint=offered.fingerprint,
        )
    path = Path(offered.known_hosts_file or profile.ssh.known_hosts or DEFAULT_USER_KNOWN_HOSTS).expanduser()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    existing = path.read_text() if path.exists() else ""
    prefix = "" if not existing or existing.endswith("\n") else "\n"
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    with os.fdopen(fd, "a") as fh:
        fh.write(f"{prefix}{offered.known_hosts_line}\n")
    return path


async def resolve_host(profile: Profile) -> str:
    """``ssh.host``, or else the stack's PublicIP output."""
    if profile.ssh.host:
        return profile.ssh.host
    from services.core.aws import AwsClients
    from services.stack.model import load_stack

    stack = await load_stack(AwsClients(profile))
    if not stack.public_ip:
        raise ConfigError(f"Stack {stack.name} has no PublicIP output; set ssh.host in the profile.")
    return stack.public_ip
