"""HTTPS (``/console``, ``/healthz``) and plaintext HTTP, spoken by hand so SNI and Host are the Domain's."""

from __future__ import annotations

import asyncio
import contextlib
import json
import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from services.core.errors import ConfigError, Unreachable
from services.health.check import CheckContext, CheckResult, Status

MAX_BODY = 256 * 1024


@dataclass(frozen=True)
class HttpResponse:
    """A response as received: status, lower-cased headers, body (up to MAX_BODY), latency."""

    status: int
    reason: str
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""
    elapsed_ms: float = 0.0


async def http_get(
    host: str,
    port: int,
    path: str,
    *,
    host_header: str,
    tls: ssl.SSLContext | None = None,
    timeout: float = 5.0,
) -> HttpResponse:
    """``GET path`` over one connection (TLS with SNI = host_header when ``tls`` is given)."""
    scheme = "https" if tls else "http"
    where = f"{scheme}://{host}:{port}{path}"
    started = time.perf_counter()
    try:
        return await asyncio.wait_for(_get(host, port, path, host_header, tls, timeout, started), timeout)
    except TimeoutError:
        raise Unreachable(f"{where} did not answer within {timeout:g} s.") from None
    except ConnectionRefusedError:
        raise Unreachable(f"Nothing accepts connections on {host}:{port} (connection refused).") from None
    except ssl.SSLCertVerificationError as exc:
        raise CertificateRefused(
            f"https://{host_header} on {host}:{port} serves a certificate a browser would refuse: "
            f"{exc.verify_message or exc.reason or exc}."
        ) from None
    except ssl.SSLError as exc:
        raise Unreachable(f"The TLS handshake with {host}:{port} failed: {exc.reason or exc}.") from None
    except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
        raise Unreachable(f"{where} did not give a usable HTTP answer: {exc}.") from None


async def _get(
    host: str, port: int, path: str, host_header: str, tls: ssl.SSLContext | None, timeout: float, started: float
) -> HttpResponse:
    reader, writer = await asyncio.open_connection(
        host,
        port,
        ssl=tls,
        server_hostname=host_header if tls else None,
        ssl_handshake_timeout=timeout if tls else None,
    )
    try:
        request = (
            f"GET {path} HTTP/1.1\r\nHost: {host_header}\r\nUser-Agent: ttes-console\r\n"
            "Accept: */*\r\nConnection: close\r\n\r\n"
        )
        writer.write(request.encode("ascii"))
        await writer.drain()
        status_line = (await reader.readline()).decode("latin-1").strip()
        parts = status_line.split(" ", 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/") or not parts[1].isdigit():
            raise ValueError(f"not an HTTP status line: {status_line[:60]!r}")
        headers: dict[str, str] = {}
        while True:
            line = (await reader.readline()).decode("latin-1")
            if line in ("\r\n", "\n", ""):
                break
            key, _, value = line.partition(":")
            headers[key.strip().lower()] = value.strip()
        body = await _read_body(reader, headers)
        elapsed = (time.perf_counter() - started) * 1000
        return HttpResponse(int(parts[1]), parts[2] if len(parts) > 2 else "", headers, body, elapsed)
    finally:
        writer.close()
        with contextlib.suppress(OSError, ssl.SSLError, TimeoutError):
            await asyncio.wait_for(writer.wait_closed(), 1.0)


async def _read_body(reader: asyncio.StreamReader, headers: Mapping[str, str]) -> bytes:
    if "chunked" in headers.get("transfer-encoding", "").lower():
        body = b""
        while len(body) < MAX_BODY:
            size = int((await reader.readline()).split(b";")[0].strip() or b"0", 16)
            if size == 0:
                break
            body += await reader.readexactly(size)
            await reader.readexactly(2)
        return body[:MAX_BODY]
    if "content-length" in headers:
        return await reader.readexactly(min(int(headers["content-length"]), MAX_BODY))
    return await reader.read(MAX_BODY)


class CertificateRefused(Unreachable):
    """The server's certificate fails the verification a browser makes (trust, dates, name)."""


def unverified_tls_context() -> ssl.SSLContext:
    # For probes that must read what a server says whatever its certificate; not for verdicts.
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def health_failures(body: bytes) -> tuple[list[str], dict[str, Any] | None]:
    """Failing components named in a health JSON document like ``{"database": "OK", "redis": "dial tcp…"}``."""
    try:
        document = json.loads(body)
    except ValueError:
        return [], None
    if not isinstance(document, dict):
        return [], None
    failing = [
        f"{key}: {value}"
        for key, value in document.items()
        if isinstance(value, str) and value.lower() not in ("ok", "pass", "up", "healthy", "serving")
    ]
    return failing, document


async def check_https(ctx: CheckContext) -> CheckResult:
    """Health check ``https``: GET /console and /healthz on the Domain."""
    settings = ctx.profile.tls
    if not ctx.domain:
        return CheckResult("https", Status.UNKNOWN, ctx.missing("Domain"))
    host = ctx.web_host
    if not host:
        return CheckResult("https", Status.UNKNOWN, ctx.missing("PublicIP"))
    # Verified as a browser would (system trust store plus tls.ca_file, name = the Domain): an
    # https that is green only because nobody looked at the certificate would contradict tls.
    from services.health.tls import verify_context

    try:
        context = verify_context(settings.ca_file)
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(f"The CA file {settings.ca_file} (tls.ca_file) cannot be used: {exc}.") from None

    async def get(path: str) -> HttpResponse | Unreachable:
        try:
            return await http_get(
                host, settings.port, path, host_header=ctx.domain, tls=context, timeout=settings.timeout
            )
        except Unreachable as exc:
            return exc

    console, healthz = await asyncio.gather(get("/console"), get("/healthz"))
    details: dict[str, Any] = {"endpoint": f"{host}:{settings.port}", "host": ctx.domain}
    if isinstance(console, Unreachable):
        details["error"] = str(console)
        figure = "cert" if isinstance(console, CertificateRefused) else "down"
        return CheckResult("https", Status.CRITICAL, str(console).rstrip("."), details, figure=figure)
    details["console"] = {
        "status": console.status,
        "reason": console.reason,
        "latency_ms": round(console.elapsed_ms, 1),
    }
    if console.status >= 300 and console.status < 400:
        details["console"]["location"] = console.headers.get("location", "")
    figure = f"{console.elapsed_ms:.0f} ms"
    url = f"https://{ctx.domain}/console"
    if console.status >= 400:
        summary = f"{url} answers {console.status} {console.reason}".rstrip()
        return CheckResult("https", Status.CRITICAL, summary, details, figure=str(console.status))
    status = Status.OK
    said = f"{url} {console.status} in {console.elapsed_ms:.0f} ms"
    if isinstance(healthz, Unreachable):
        details["healthz"] = {"error": str(healthz)}
        return CheckResult("https", Status.WARN, f"{said}; /healthz: {str(healthz).rstrip('.')}", details, figure)
    failing, document = health_failures(healthz.body)
    details["healthz"] = {"status": healthz.status, "latency_ms": round(healthz.elapsed_ms, 1), "document": document}
    if healthz.status == 200 and not failing:
        healthy = f"/healthz {healthz.status}"
    elif healthz.status == 404:
        status, healthy = Status.WARN, "/healthz not found (404)"
    elif healthz.status >= 500 or failing:
        status = Status.CRITICAL
        healthy = f"/healthz {healthz.status}" + (f" ({'; '.join(failing)})" if failing else "")
    else:
        status, healthy = Status.WARN, f"/healthz answers {healthz.status}"
    return CheckResult("https", status, f"{said}, {healthy}", details, figure)


async def check_plaintext(ctx: CheckContext) -> CheckResult:
    """Health check ``plaintext``: http_port must redirect to https or refuse; a 200 is CRITICAL."""
    settings = ctx.profile.tls
    host = ctx.web_host
    if not host:
        return CheckResult("plaintext", Status.UNKNOWN, ctx.missing("PublicIP"))
    domain = ctx.domain or host
    where = f"http://{domain}" + ("" if settings.http_port == 80 else f":{settings.http_port}")
    details: dict[str, Any] = {"endpoint": f"{host}:{settings.http_port}", "host": domain}
    try:
        response = await http_get(host, settings.http_port, "/", host_header=domain, timeout=settings.timeout)
    except Unreachable as exc:
        details["refused"] = str(exc)
        return CheckResult(
            "plaintext", Status.OK, f"{where} does not serve plaintext: {exc}".rstrip("."), details, "off"
        )
    location = response.headers.get("location", "")
    details.update(status=response.status, reason=response.reason, location=location)
    if 300 <= response.status < 400:
        if location.lower().startswith("https://"):
            return CheckResult(
                "plaintext", Status.OK, f"{where} redirects to {location}", details, f"{response.status}"
            )
        return CheckResult(
            "plaintext",
            Status.CRITICAL,
            f"{where} redirects to {location or 'nowhere'} instead of an https:// address",
            details,
            f"{response.status}",
        )
    if response.status < 300:
        return CheckResult(
            "plaintext",
            Status.CRITICAL,
            f"{where} serves pages in plaintext ({response.status}); it must redirect to https or refuse",
            details,
            f"{response.status}",
        )
    return CheckResult(
        "plaintext",
        Status.WARN,
        f"{where} answers {response.status} in plaintext instead of redirecting to https",
        details,
        f"{response.status}",
    )
