"""The certificate the stack serves for its Domain: chain, validity, trust, hostname, days left."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from services.core.errors import ConfigError, Unreachable
from services.health.check import CheckContext, CheckResult, Status

# autocert renews 30 days before expiry: fewer than 21 days left means renewal has been failing.
WARN_DAYS = 21
CRITICAL_DAYS = 7


@dataclass(frozen=True)
class CertInfo:
    """The facts of one certificate an operator looks at."""

    subject: str
    sans: tuple[str, ...]
    issuer: str
    not_before: datetime
    not_after: datetime
    key_type: str
    serial: str
    sha256: str

    def days_left(self, now: datetime) -> int:
        return int((self.not_after - now).total_seconds() // 86400)

    def as_json(self, now: datetime) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "sans": list(self.sans),
            "issuer": self.issuer,
            "not_before": self.not_before.isoformat(),
            "not_after": self.not_after.isoformat(),
            "days_left": self.days_left(now),
            "key_type": self.key_type,
            "serial": self.serial,
            "sha256": self.sha256,
        }


@dataclass(frozen=True)
class TlsReport:
    """What one TLS endpoint served for one SNI name."""

    host: str
    port: int
    server_name: str
    chain: tuple[CertInfo, ...]  # as served, leaf first
    verified_chain: tuple[CertInfo, ...]  # up to the trust anchor, when it verified
    verified: bool
    verify_error: str
    hostname_matches: bool
    protocol: str
    checked_at: datetime

    @property
    def leaf(self) -> CertInfo:
        return self.chain[0]


def parse_certificate(der: bytes) -> CertInfo:
    """Read one DER certificate."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa

    cert = x509.load_der_x509_certificate(der)
    try:
        sans = tuple(
            cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(x509.DNSName)
        )
    except x509.ExtensionNotFound:
        sans = ()
    key = cert.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        key_type = f"RSA {key.key_size}"
    elif isinstance(key, ec.EllipticCurvePublicKey):
        key_type = f"ECDSA {key.curve.name}"
    elif isinstance(key, ed25519.Ed25519PublicKey | ed448.Ed448PublicKey):
        key_type = type(key).__name__.removesuffix("PublicKey")
    else:
        key_type = type(key).__name__
    return CertInfo(
        subject=cert.subject.rfc4514_string(),
        sans=sans,
        issuer=cert.issuer.rfc4514_string(),
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        key_type=key_type,
        serial=format(cert.serial_number, "x"),
        sha256=cert.fingerprint(hashes.SHA256()).hex(":"),
    )


def name_matches(pattern: str, hostname: str) -> bool:
    """RFC 6125 matching of one SAN DNS name (a wildcard covers exactly one left-most label)."""
    pattern, hostname = pattern.lower().rstrip("."), hostname.lower().rstrip(".")
    if pattern.startswith("*."):
        head, _, rest = hostname.partition(".")
        return bool(head) and rest == pattern[2:]
    return pattern == hostname


def _chain_der(ssl_object: Any, verified: bool) -> list[bytes]:
    # Public on SSLObject since Python 3.13; on 3.11/3.12 the same method sits on the C object.
    name = "get_verified_chain" if verified else "get_unverified_chain"
    method = getattr(ssl_object, name, None) or getattr(getattr(ssl_object, "_sslobj", None), name, None)
    if method is not None:
        chain = method() or []
        return [c if isinstance(c, bytes) else c.public_bytes(ssl._ssl.ENCODING_DER) for c in chain]  # type: ignore[attr-defined]
    leaf = ssl_object.getpeercert(binary_form=True)
    return [leaf] if leaf else []


async def _handshake(
    host: str, port: int, server_name: str, context: ssl.SSLContext, timeout: float
) -> tuple[list[bytes], str]:
    """One TLS handshake; the served (or verified) chain and the protocol version."""
    _reader, writer = await asyncio.wait_for(
        asyncio.open_connection(host, port, ssl=context, server_hostname=server_name, ssl_handshake_timeout=timeout),
        timeout,
    )
    try:
        ssl_object = writer.get_extra_info("ssl_object")
        chain = _chain_der(ssl_object, verified=context.verify_mode == ssl.CERT_REQUIRED)
        return chain, str(ssl_object.version() or "")
    finally:
        writer.close()
        with contextlib.suppress(OSError, ssl.SSLError, TimeoutError):
            await asyncio.wait_for(writer.wait_closed(), 1.0)


def verify_context(ca_file: str = "") -> ssl.SSLContext:
    """The system trust store plus ``ca_file``, hostname checked (reused until the file changes)."""
    mtime = os.stat(ca_file).st_mtime_ns if ca_file else 0
    return _verify_context(ca_file, mtime)


@functools.lru_cache(maxsize=8)
def _verify_context(ca_file: str, mtime: int) -> ssl.SSLContext:
    # Loading the system store costs noticeable CPU: once per CA file version, not per check.
    context = ssl.create_default_context()
    if ca_file:
        context.load_verify_locations(cafile=ca_file)
    return context


async def probe_tls(host: str, port: int, server_name: str, *, ca_file: str = "", timeout: float = 5.0) -> TlsReport:
    """Fetch the served chain, then try a verifying handshake; raises Unreachable if no TLS answers."""
    where = f"{host}:{port}"
    plain = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    plain.check_hostname = False
    plain.verify_mode = ssl.CERT_NONE
    try:
        served, protocol = await _handshake(host, port, server_name, plain, timeout)
    except TimeoutError:
        raise Unreachable(f"{where} did not complete a TLS handshake within {timeout:g} s.") from None
    except ConnectionRefusedError:
        raise Unreachable(f"Nothing accepts connections on {where} (connection refused).") from None
    except ssl.SSLError as exc:
        why = str(exc.reason or exc).lower().replace("_", " ")
        raise Unreachable(f"{where} does not speak TLS for {server_name} (OpenSSL: {why}).") from None
    except OSError as exc:
        raise Unreachable(f"Cannot reach {where}: {exc.strerror or exc}.") from None
    if not served:
        raise Unreachable(f"{where} completed a TLS handshake without sending a certificate.")
    try:
        context = verify_context(ca_file)
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(f"The CA file {ca_file} (tls.ca_file) cannot be used: {exc}.") from None
    verified_der: list[bytes] = []
    error = ""
    try:
        verified_der, _ = await _handshake(host, port, server_name, context, timeout)
    except ssl.SSLCertVerificationError as exc:
        error = str(exc.verify_message or exc.reason or exc)
    except (ssl.SSLError, OSError, TimeoutError) as exc:
        error = f"the verifying handshake failed: {exc}"
    chain = tuple(parse_certificate(d) for d in served)
    return TlsReport(
        host=host,
        port=port,
        server_name=server_name,
        chain=chain,
        verified_chain=tuple(parse_certificate(d) for d in verified_der),
        verified=not error,
        verify_error=error,
        hostname_matches=any(name_matches(n, server_name) for n in chain[0].sans),
        protocol=protocol,
        checked_at=datetime.now(UTC),
    )


def evaluate(report: TlsReport) -> tuple[Status, str]:
    """Expired, invalid, not for the Domain or < 7 days: CRITICAL; < 21 days: WARNING."""
    leaf, now, name = report.leaf, report.checked_at, report.server_name
    days = leaf.days_left(now)
    if not report.hostname_matches:
        names = ", ".join(leaf.sans) or leaf.subject
        return Status.CRITICAL, f"The certificate is for {names}, not {name}"
    if now >= leaf.not_after:
        ago = int((now - leaf.not_after).total_seconds() // 86400)
        when = "today" if ago == 0 else f"{ago} day{'s' * (ago != 1)} ago"
        return Status.CRITICAL, f"The certificate for {name} expired {when} ({leaf.not_after:%Y-%m-%d})"
    if now < leaf.not_before:
        return Status.CRITICAL, f"The certificate for {name} is not valid before {leaf.not_before:%Y-%m-%d %H:%M} UTC"
    if not report.verified:
        return Status.CRITICAL, f"The certificate for {name} does not verify: {report.verify_error}"
    if days < CRITICAL_DAYS:
        return Status.CRITICAL, f"The certificate for {name} expires in {days} days; automatic renewal is failing"
    if days < WARN_DAYS:
        return (
            Status.WARN,
            f"The certificate for {name} expires in {days} days; it should have been renewed at 30 days left",
        )
    return Status.OK, f"Valid certificate for {name}, {days} days left, issued by {_short(leaf.issuer)}"


def _short(dn: str) -> str:
    for part in dn.split(","):
        key, _, value = part.partition("=")
        if key in ("CN", "O"):
            return value
    return dn


def report_details(report: TlsReport) -> dict[str, Any]:
    now = report.checked_at
    return {
        "endpoint": f"{report.host}:{report.port}",
        "server_name": report.server_name,
        "protocol": report.protocol,
        "verified": report.verified,
        "verify_error": report.verify_error,
        "hostname_matches": report.hostname_matches,
        "days_left": report.leaf.days_left(now),
        "chain": [c.as_json(now) for c in report.chain],
        "verified_chain": [c.as_json(now) for c in report.verified_chain],
    }


async def check(ctx: CheckContext) -> CheckResult:
    """Health check ``tls``: the certificate served for the Domain at PublicIP (or tls.connect_host)."""
    settings = ctx.profile.tls
    if not ctx.domain:
        return CheckResult("tls", Status.UNKNOWN, ctx.missing("Domain"))
    host = ctx.web_host
    if not host:
        return CheckResult("tls", Status.UNKNOWN, ctx.missing("PublicIP"))
    try:
        report = await probe_tls(host, settings.port, ctx.domain, ca_file=settings.ca_file, timeout=settings.timeout)
    except Unreachable as exc:
        details = {"endpoint": f"{host}:{settings.port}", "server_name": ctx.domain}
        return CheckResult("tls", Status.CRITICAL, str(exc).rstrip("."), details, figure="no TLS")
    status, summary = evaluate(report)
    days = report.leaf.days_left(report.checked_at)
    figure = "expired" if report.checked_at >= report.leaf.not_after else f"{days} d"
    return CheckResult("tls", status, summary, report_details(report), figure=figure)
