"""SSH to the instance: connect as the profile says, verify the host key always, run commands.

Host keys are checked against the profile's known_hosts file (and nothing is ever written to it
here except by :func:`trust_host_key`, which the UI calls only after the operator said yes).
The profile's ``jump_host`` is used as a ProxyJump; ``~/.ssh/config`` and the agent are used too.
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

    def __init__(self, conn: asyncssh.SSHClientConnection, jump: asyncssh.SSHClientConnection | None, where: str):
        self._conn = conn
        self._jump = jump
        self.where = where

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
        for conn in (self._conn, self._jump):
            if conn is not None:
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


def _known_hosts(profile: Profile) -> asyncssh.SSHKnownHosts:
    import asyncssh

    path = Path(profile.ssh.known_hosts).expanduser()
    try:
        text = path.read_text()
    except FileNotFoundError:
        text = ""
    except OSError as exc:
        raise ConfigError(f"The known_hosts file {path} cannot be read: {exc.strerror}.") from None
    try:
        return asyncssh.import_known_hosts(text)
    except (ValueError, asyncssh.KeyImportError) as exc:
        raise ConfigError(f"The known_hosts file {path} is not valid: {exc}.") from None


def _client_keys(profile: Profile) -> Any:
    """The profile's identity file, or asyncssh's default keys and the agent."""
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


def _parse_jump(spec: str, default_user: str) -> tuple[str, str, int]:
    user, _, hostport = spec.rpartition("@")
    host, port = hostport, 22
    if hostport.startswith("["):
        host, _, rest = hostport[1:].partition("]")
        if rest.startswith(":"):
            port = int(rest[1:])
    elif hostport.count(":") == 1:
        host, _, port_text = hostport.partition(":")
        try:
            port = int(port_text)
        except ValueError:
            raise ConfigError(f"ssh.jump_host {spec!r} has a bad port; use user@host:port.") from None
    if not host:
        raise ConfigError(f"ssh.jump_host {spec!r} names no host; use user@host:port.")
    return user or default_user, host, port


async def connect(profile: Profile, host: str, *, port: int | None = None) -> SshConnection:
    """Open an SSH connection to ``host`` (the stack's PublicIP unless ``ssh.host`` says otherwise)."""

    if not host:
        raise ConfigError("No SSH host: the stack has no PublicIP output and ssh.host is empty.")
    port = port or profile.ssh.port
    known = _known_hosts(profile)
    keys = _client_keys(profile)
    jump: asyncssh.SSHClientConnection | None = None
    if profile.ssh.jump_host:
        juser, jhost, jport = _parse_jump(profile.ssh.jump_host, profile.ssh.user)
        jump = await _open(profile, known, keys, jhost, jport, juser, None)
    try:
        conn = await _open(profile, known, keys, host, port, profile.ssh.user, jump)
    except BaseException:
        if jump is not None:
            jump.close()
        raise
    return SshConnection(conn, jump, f"{profile.ssh.user}@{host}:{port}")


async def _open(
    profile: Profile,
    known: asyncssh.SSHKnownHosts,
    keys: Any,
    host: str,
    port: int,
    user: str,
    tunnel: asyncssh.SSHClientConnection | None,
) -> asyncssh.SSHClientConnection:
    import asyncssh

    offered: list[asyncssh.SSHKey] = []

    class _Client(asyncssh.SSHClient):
        def validate_host_public_key(self, host: str, addr: str, port: int, key: asyncssh.SSHKey) -> bool:
            offered.append(key)  # remembered for the error sentence; never trusted here
            return False

    where = f"{user}@{host}:{port}"
    kwargs: dict[str, Any] = {
        "username": user,
        "known_hosts": known,
        "client_factory": _Client,
        "connect_timeout": profile.ssh.connect_timeout,
        "keepalive_interval": KEEPALIVE_INTERVAL,
        "keepalive_count_max": KEEPALIVE_COUNT_MAX,
        "encryption_algs": list(ENCRYPTION_ALGS),
    }
    if keys != ():
        kwargs["client_keys"] = keys
    if tunnel is not None:
        kwargs["tunnel"] = tunnel
    try:
        return await asyncssh.connect(host, port, **kwargs)
    except asyncssh.HostKeyNotVerifiable:
        raise _host_key_error(profile, known, host, port, offered[-1] if offered else None) from None
    except asyncssh.PermissionDenied:
        raise AuthFailed(
            f"{where} refused our SSH key; check ssh.user and ssh.identity_file (or the agent) match the "
            "instance's key pair."
        ) from None
    except (TimeoutError, asyncssh.ConnectionLost, ConnectionError, socket.gaierror) as exc:
        raise Unreachable(f"Cannot reach SSH on {where}: {_reason(exc)}.") from None
    except OSError as exc:
        raise Unreachable(f"Cannot reach SSH on {where}: {_reason(exc)}.") from None
    except asyncssh.DisconnectError as exc:
        raise Unreachable(f"SSH on {where} closed the connection during login: {exc.reason}.") from None


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
    profile: Profile, known: asyncssh.SSHKnownHosts, host: str, port: int, key: asyncssh.SSHKey | None
) -> HostKeyUnknown:
    fingerprint = key.get_fingerprint("sha256") if key is not None else "(not offered)"
    algorithm = key.get_algorithm() if key is not None else ""
    path = Path(profile.ssh.known_hosts).expanduser()
    trusted = known.match(host, host, port)[0]
    if trusted:
        return HostKeyMismatch(
            f"The host key of {host}:{port} has CHANGED: it offered {algorithm} {fingerprint}, which is not the "
            f"key recorded in {path}; if the instance was not replaced this may be an attack, so the console "
            "refuses to connect (remove the old entry only once you have verified the new key).",
            host=host,
            fingerprint=fingerprint,
        )
    return HostKeyUnknown(
        f"The host key of {host}:{port} is not in {path}: it offered {algorithm} {fingerprint}; verify it "
        "(e.g. in the EC2 console's system log) and accept it in the console, or add it with ssh-keyscan.",
        host=host,
        fingerprint=fingerprint,
    )


async def fetch_host_key(profile: Profile, host: str, *, port: int | None = None) -> OfferedHostKey:
    """The host key the server offers now (for the operator to compare and accept)."""
    import asyncssh

    port = port or profile.ssh.port
    try:
        key = await asyncio.wait_for(asyncssh.get_server_host_key(host, port), profile.ssh.connect_timeout)
    except (TimeoutError, OSError, asyncssh.Error) as exc:
        raise Unreachable(f"Cannot reach SSH on {host}:{port} to read its host key: {_reason(exc)}.") from None
    if key is None:
        raise ConsoleError(f"{host}:{port} offered no host key.")
    public = key.export_public_key("openssh").decode().strip()
    return OfferedHostKey(
        host=host,
        port=port,
        fingerprint=key.get_fingerprint("sha256"),
        algorithm=key.get_algorithm(),
        known_hosts_line=f"{known_hosts_pattern(host, port)} {public}",
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
    path = Path(profile.ssh.known_hosts).expanduser()
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
