"""Where an SSH connection goes: the profile, then ``~/.ssh/config`` (asyncssh's parser), then defaults.

Kept apart from services/core/ssh.py (which opens connections) so the resolution, which only
reads files, can be tested and reused (health check, host-key prompt) without a peer.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from services.core.config import Profile
from services.core.errors import ConfigError

if TYPE_CHECKING:
    import asyncssh

DEFAULT_USER = "ec2-user"  # the AMI's login, when neither the profile nor ~/.ssh/config names one
DEFAULT_USER_KNOWN_HOSTS = "~/.ssh/known_hosts"
DEFAULT_GLOBAL_KNOWN_HOSTS = "/etc/ssh/ssh_known_hosts"


@dataclass(frozen=True)
class SshTarget:
    """Where a connection goes once ``~/.ssh/config`` has had its say."""

    name: str  # as given: an IP, a DNS name or a ~/.ssh/config alias
    host: str  # the real address (the config's HostName)
    port: int
    user: str
    jump: str  # ProxyJump hops, "" for none
    user_known_hosts: Path  # read, and written when the operator accepts a key
    global_known_hosts: tuple[Path, ...]
    host_key_alias: str = ""

    @property
    def where(self) -> str:
        via = f" via {self.jump}" if self.jump else ""
        alias = f"{self.name} = " if self.name != self.host else ""
        return f"{alias}{self.user}@{self.host}:{self.port}{via}"

    @property
    def known_hosts_files(self) -> tuple[Path, ...]:
        return (self.user_known_hosts, *self.global_known_hosts)


def resolve_target(profile: Profile, host: str, port: int | None = None) -> SshTarget:
    """Apply the profile, then ``~/.ssh/config``, then the defaults (reads files: call off the loop)."""
    import asyncssh

    s = profile.ssh
    port = port if port is not None else s.port
    try:
        options = asyncssh.SSHClientConnectionOptions(
            config=(),  # () = ~/.ssh/config, as asyncssh.connect() reads it
            host=host,
            port=port if port is not None else (),
            known_hosts=None,
            client_keys=None,
            agent_path=None,
        )
    except (ValueError, OSError, asyncssh.Error) as exc:
        raise ConfigError(
            f"~/.ssh/config cannot be used for {host}: {exc}; fix it or set ssh.* in the profile."
        ) from None
    config = options.config
    user = s.user or str(config.get("User") or "") or DEFAULT_USER
    jump = s.jump_host or (options.tunnel if isinstance(options.tunnel, str) else "")
    if jump.strip().lower() == "none":
        jump = ""
    configured_user = _paths(config.get("UserKnownHostsFile")) or [DEFAULT_USER_KNOWN_HOSTS]
    user_files = [s.known_hosts] if s.known_hosts else configured_user
    global_files = _paths(config.get("GlobalKnownHostsFile")) or [DEFAULT_GLOBAL_KNOWN_HOSTS]
    return SshTarget(
        name=host,
        host=str(options.host or host),
        port=int(options.port),
        user=user,
        jump=jump.strip(),
        user_known_hosts=Path(user_files[0]).expanduser(),
        global_known_hosts=tuple(Path(f).expanduser() for f in [*user_files[1:], *global_files]),
        host_key_alias=str(config.get("HostKeyAlias") or ""),
    )


def _paths(value: object) -> list[str]:
    """A config value that lists files (asyncssh keeps them as a list of strings)."""
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value] if isinstance(value, (list, tuple)) else []


def known_hosts_for(target: SshTarget) -> asyncssh.SSHKnownHosts:
    """Every known_hosts file of the target, one set of keys (hashed entries included)."""
    import asyncssh

    texts = []
    for path in target.known_hosts_files:
        try:
            texts.append(path.read_text())
        except (FileNotFoundError, NotADirectoryError):
            continue
        except OSError as exc:
            raise ConfigError(f"The known_hosts file {path} cannot be read: {exc.strerror}.") from None
    try:
        return asyncssh.import_known_hosts("\n".join(texts))
    except (ValueError, asyncssh.KeyImportError) as exc:
        files = ", ".join(str(p) for p in target.known_hosts_files)
        raise ConfigError(f"A known_hosts file ({files}) is not valid: {exc}.") from None


def jump_hops(jump: str) -> list[tuple[str, str, int | None]]:
    """ProxyJump hops as asyncssh itself splits its ``tunnel`` string: ``[user@]host[:port]``, comma-separated."""
    hops = []
    for spec in (part.strip() for part in jump.split(",")):
        user, _, hostport = spec.rpartition("@")
        host, port = hostport, None
        if hostport.startswith("[") and "]" in hostport:
            host, _, rest = hostport[1:].partition("]")
            port_text = rest[1:] if rest.startswith(":") else ""
        elif hostport.count(":") == 1:
            host, _, port_text = hostport.partition(":")
        else:
            port_text = ""
        if port_text:
            if not port_text.isdigit():
                raise ConfigError(f"The jump host {spec!r} has a bad port; use [user@]host[:port][,…].")
            port = int(port_text)
        if not host:
            raise ConfigError(f"The jump host {spec!r} names no host; use [user@]host[:port][,…].")
        hops.append((user, host, port))
    return hops
