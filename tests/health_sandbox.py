"""The health checks' peers for tests: the sandbox's DNS and web parts and an asyncssh server, on loopback.

The AWS half is not needed here: the checks take the loaded :class:`Stack` (the dashboard hands it
to the Health pane the same way), built with the outputs the sandbox's template declares.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from sandbox.core import DOMAIN, PUBLIC_IP, STACK_NAME, SandboxContext
from sandbox.dns import DnsPart
from sandbox.ports import free_port
from sandbox.ssh import SshPart
from sandbox.web import WebPart
from services.core.config import DnsSettings, Profile, SshSettings, TlsSettings
from services.health.check import Check
from services.health.checks import CHECKS
from services.stack.model import Stack

# The checks whose peers health_peers runs: DNS, HTTPS and SSH (no IoT broker, no journal).
PEER_CHECKS = ("stack", "dns", "tls", "https", "plaintext", "ssh")


def peer_checks() -> list[Check]:
    """The entries of the one list of checks that :func:`health_peers` can answer."""
    return [c for c in CHECKS if c.name in PEER_CHECKS]


def make_stack(status: str = "CREATE_COMPLETE", reason: str = "", **outputs: str) -> Stack:
    values = {"Domain": DOMAIN, "PublicIP": PUBLIC_IP, **outputs}
    return Stack(
        name=STACK_NAME,
        stack_id=f"arn:aws:cloudformation:eu-west-1:123456789012:stack/{STACK_NAME}/1",
        region="eu-west-1",
        status=status,
        status_reason=reason,
        outputs={k: v for k, v in values.items() if v},
        parameters=(),
        resources=(),
        created=None,
        last_updated=None,
    )


@dataclass
class HealthPeers:
    profile: Profile
    stack: Stack
    ctx: SandboxContext
    dns: DnsPart
    web: WebPart
    ssh_port: int


@contextlib.asynccontextmanager
async def health_peers(workdir: Path, scenarios: frozenset[str] = frozenset()) -> AsyncIterator[HealthPeers]:
    ctx = SandboxContext(workdir=workdir, scenarios=scenarios, public_ip=PUBLIC_IP)
    dns, web = DnsPart(), WebPart()
    await dns.start(ctx)
    await web.start(ctx)
    # The sandbox's SSH part: the ssh check logs in (host key in its known_hosts, its client key).
    ssh = SshPart(backlog=20)
    await ssh.start(ctx)
    try:
        profile = Profile(
            name="test",
            stack=STACK_NAME,
            dns=DnsSettings(**dns.settings()["dns"], timeout=2.0),
            tls=TlsSettings(**web.settings()["tls"], timeout=3.0),
            ssh=SshSettings(**{**ssh.settings()["ssh"], "connect_timeout": 3.0}),
        )
        yield HealthPeers(profile, make_stack(), ctx, dns, web, ssh.port)
    finally:
        await ssh.stop()
        await web.stop()
        await dns.stop()


@contextlib.contextmanager
def silent_udp() -> Iterator[int]:
    """A UDP port that receives and never answers (a resolver that does not respond)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    try:
        yield sock.getsockname()[1]
    finally:
        sock.close()


@contextlib.contextmanager
def silent_tcp() -> Iterator[int]:
    """A TCP port whose kernel completes connections but nobody ever speaks (a hung server)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    try:
        yield sock.getsockname()[1]
    finally:
        sock.close()


def closed_port() -> int:
    """A loopback TCP port with nothing listening."""
    return free_port()


def with_settings(profile: Profile, **sections: Any) -> Profile:
    """The profile with some fields of some sections replaced: ``with_settings(p, tls={"port": 1})``."""
    changed = {key: replace(getattr(profile, key), **values) for key, values in sections.items()}
    return replace(profile, **changed)


async def eventually(predicate: Any, timeout: float = 10.0) -> None:
    """Wait until ``predicate()`` is true (polling; the timeout only bounds a failing test)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError("condition not reached")
        await asyncio.sleep(0.02)
