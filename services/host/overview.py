"""Everything the Host screen and ``ttes-console host`` show, from one SSH connection.

Facts, the ``/tti`` tree, the certificate comparison and the findings that follow from them.
The screen and the command are two front ends over :func:`load_overview`.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from services.core.aws import AwsClients
from services.core.config import Profile
from services.core.errors import ConsoleError
from services.core.ssh import SshConnection, connect, resolve_host
from services.health.run import Status, worst
from services.host.certificates import CertificateComparison, compare, read_acme, served_certificate
from services.host.facts import Finding, HostFacts, gather_facts
from services.host.files import TreeEntry, list_tree


@dataclass(frozen=True)
class HostOverview:
    """The host as one document."""

    host: str
    facts: HostFacts
    tree: tuple[TreeEntry, ...]
    certificates: CertificateComparison
    findings: tuple[Finding, ...]

    @property
    def status(self) -> Status:
        return worst([f.status for f in self.findings])

    def as_json(self) -> dict[str, Any]:
        now = datetime.now(UTC)
        return {
            "host": self.host,
            "status": self.status.value,
            "findings": [f.as_json() for f in self.findings],
            "facts": self.facts.as_json(),
            "certificates": self.certificates.as_json(now),
            "tree": [e.as_json() for e in self.tree],
        }


async def open_host(profile: Profile) -> SshConnection:
    """The verified SSH connection to the instance (``ssh.host`` or the stack's PublicIP)."""
    return await connect(profile, await resolve_host(profile))


async def _domain(profile: Profile) -> tuple[str, str]:
    """(Domain, PublicIP) from the stack; empty when the stack cannot be read."""
    from services.stack.model import load_stack

    try:
        stack = await load_stack(AwsClients(profile))
    except ConsoleError:
        return "", ""
    return stack.domain, stack.public_ip


async def load_overview(profile: Profile) -> HostOverview:
    """Facts, tree and certificates over one connection; the served certificate over TLS."""
    domain_task = asyncio.ensure_future(_domain(profile))
    try:
        async with await open_host(profile) as conn:
            facts, tree = await asyncio.gather(gather_facts(conn, profile.ssh.unit), list_tree(conn))
            on_disk = await read_acme(conn, tree)
            where = conn.where
        domain, public_ip = await domain_task
    finally:
        domain_task.cancel()
    served, served_error = None, ""
    if domain:
        try:
            served = await served_certificate(profile, public_ip, domain)
        except ConsoleError as exc:
            served_error = str(exc)
    else:
        served_error = "the stack's Domain output could not be read"
    comparison = compare(on_disk, served, served_error)
    findings = facts.findings()
    if comparison.status is not Status.OK:
        findings.append(Finding(comparison.status, comparison.summary))
    if facts.errors:
        findings.append(Finding(Status.UNKNOWN, f"Some facts could not be read: {'; '.join(facts.errors)}"))
    if not findings:
        findings.append(Finding(Status.OK, "Disk, clock, listeners, the unit and the certificate look right"))
    return HostOverview(where, facts, tuple(tree), comparison, tuple(findings))
