"""The certificates in ``/tti/acme`` against the one the stack serves.

autocert keeps, per domain, one file holding the private key followed by the certificate chain.
Only the CERTIFICATE blocks are parsed here; the key is never returned, shown or logged. A
renewed certificate lands on disk before the service serves it: a newer certificate on disk
than the served one is a finding (a restart loads it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from services.core.config import Profile
from services.core.errors import ConsoleError
from services.core.safe_text import safe_text
from services.core.ssh import SshConnection
from services.health.run import Status
from services.health.tls import CertInfo, parse_certificate, probe_tls
from services.host.files import TreeEntry, read_raw

ACME_DIR = "/tti/acme"
_CERT_BLOCK = re.compile(rb"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", re.S)


@dataclass(frozen=True)
class AcmeCertificate:
    """The leaf certificate of one file in the ACME cache."""

    path: str
    cert: CertInfo

    def as_json(self, now: datetime) -> dict[str, Any]:
        return {"path": self.path, **_safe_cert(self.cert, now)}


@dataclass(frozen=True)
class CertificateComparison:
    """The newest certificate on disk, the served one, and what that means."""

    on_disk: tuple[AcmeCertificate, ...]
    served: CertInfo | None
    status: Status
    summary: str

    @property
    def newest(self) -> AcmeCertificate | None:
        return max(self.on_disk, key=lambda a: a.cert.not_before, default=None)

    def as_json(self, now: datetime) -> dict[str, Any]:
        return {
            "status": self.status.value,
            "summary": self.summary,
            "on_disk": [a.as_json(now) for a in self.on_disk],
            "served": _safe_cert(self.served, now) if self.served else None,
        }


def _safe_cert(cert: CertInfo, now: datetime) -> dict[str, Any]:
    data = cert.as_json(now)
    data["subject"] = safe_text(cert.subject)
    data["issuer"] = safe_text(cert.issuer)
    data["sans"] = [safe_text(s) for s in cert.sans]
    return data


def leaf_certificates(pem: bytes) -> list[CertInfo]:
    """The certificates in a PEM file (key blocks skipped), leaf first."""
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding

    certs = []
    for block in _CERT_BLOCK.findall(pem):
        try:
            der = x509.load_pem_x509_certificate(block).public_bytes(Encoding.DER)
        except ValueError:
            continue
        certs.append(parse_certificate(der))
    return certs


async def read_acme(conn: SshConnection, tree: list[TreeEntry]) -> list[AcmeCertificate]:
    """The leaf certificate of every file in /tti/acme that holds one."""
    found = []
    for entry in tree:
        if entry.kind != "file" or not entry.path.startswith(ACME_DIR + "/"):
            continue
        try:
            data, _, _ = await read_raw(conn, entry.path, limit=256 * 1024)
        except ConsoleError:
            continue
        certs = leaf_certificates(data)
        if certs:
            found.append(AcmeCertificate(entry.path, certs[0]))
    return found


async def served_certificate(profile: Profile, host: str, domain: str) -> CertInfo:
    """The leaf certificate the stack serves now for its Domain."""
    report = await probe_tls(
        profile.tls.connect_host or host,
        profile.tls.port,
        domain,
        ca_file=profile.tls.ca_file,
        timeout=profile.tls.timeout,
    )
    return report.leaf


def compare(on_disk: list[AcmeCertificate], served: CertInfo | None, served_error: str = "") -> CertificateComparison:
    """A renewed certificate not yet served is a warning; a served one missing from disk is unknown."""
    disk = tuple(on_disk)
    newest = max(disk, key=lambda a: a.cert.not_before, default=None)
    if newest is None:
        return CertificateComparison(disk, served, Status.UNKNOWN, f"No certificate found in {ACME_DIR}")
    if served is None:
        why = f" ({served_error.rstrip('.')})" if served_error else ""
        return CertificateComparison(disk, None, Status.UNKNOWN, f"The served certificate could not be read{why}")
    if newest.cert.sha256 == served.sha256:
        until = f"{newest.cert.not_after:%Y-%m-%d}"
        return CertificateComparison(
            disk, served, Status.OK, f"The newest certificate on disk is served (until {until})"
        )
    if newest.cert.not_before > served.not_before:
        return CertificateComparison(
            disk,
            served,
            Status.WARN,
            f"A renewed certificate (issued {newest.cert.not_before:%Y-%m-%d}, valid until "
            f"{newest.cert.not_after:%Y-%m-%d}) is in {newest.path} but the service still serves the one valid "
            f"until {served.not_after:%Y-%m-%d}; restart the service to load it",
        )
    return CertificateComparison(
        disk,
        served,
        Status.WARN,
        f"The served certificate (until {served.not_after:%Y-%m-%d}) is not in {ACME_DIR}; the service may "
        "use another certificate source",
    )


def now_utc() -> datetime:
    return datetime.now(UTC)
