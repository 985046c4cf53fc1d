"""The stack's web front: HTTPS with a certificate for the Domain from the sandbox CA, and a plaintext port.

HTTPS serves ``/console`` (an HTML page) and ``/healthz`` (a health document like TTS's, one
``"OK"`` per component). Plaintext redirects to https. Scenarios: ``cert-expiring`` (10 days
left), ``cert-expired``, ``cert-not-reloaded`` (30 days left; a renewed one waits in /tti/acme), ``plaintext-open`` (plaintext serves the console with 200).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import ssl
from datetime import UTC, datetime, timedelta
from typing import Any

from sandbox.context import SandboxContext

CONSOLE_PAGE = (
    b"<!doctype html><html><head><title>The Things Stack Console</title></head>"
    b'<body><div id="app">The Things Stack Console (sandbox)</div></body></html>\n'
)
HEALTH = {"database": "OK", "redis": "OK", "events": "OK", "blob": "OK"}


def validity(ctx: SandboxContext, now: datetime | None = None) -> tuple[datetime, datetime]:
    """not_before/not_after of the served certificate for the scenarios."""
    now = now or datetime.now(UTC)
    if ctx.scenario("cert-expired"):
        return now - timedelta(days=92), now - timedelta(days=2)
    if ctx.scenario("cert-not-reloaded"):
        # autocert renewed at 30 days left (the renewed one is in /tti/acme); this one is still served.
        return now - timedelta(days=60), now + timedelta(days=30, hours=12)
    if ctx.scenario("cert-expiring"):
        # Half a day beyond 10 days so "10 days left" does not flip while the demo runs.
        return now - timedelta(days=80), now + timedelta(days=10, hours=12)
    return now - timedelta(days=1), now + timedelta(days=89, hours=12)


def served_leaf(ctx: SandboxContext) -> Any:
    """The certificate the HTTPS part serves (the SSH part puts the same one in /tti/acme)."""
    if ctx.served_cert is None:
        not_before, not_after = validity(ctx)
        ctx.served_cert = ctx.sandbox_ca().issue_cert(ctx.domain, not_before=not_before, not_after=not_after)
    return ctx.served_cert


def _response(status: str, headers: dict[str, str], body: bytes) -> bytes:
    head = [f"HTTP/1.1 {status}", f"Content-Length: {len(body)}", "Connection: close", "Server: ttes-sandbox"]
    head += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body


async def _read_request(reader: asyncio.StreamReader) -> tuple[str, dict[str, str]] | None:
    line = (await asyncio.wait_for(reader.readline(), 10)).decode("latin-1").split()
    if len(line) < 2:
        return None
    headers: dict[str, str] = {}
    for _ in range(100):
        raw = (await asyncio.wait_for(reader.readline(), 10)).decode("latin-1")
        if raw in ("\r\n", "\n", ""):
            break
        key, _, value = raw.partition(":")
        headers[key.strip().lower()] = value.strip()
    return line[1], headers


class WebPart:
    """HTTPS and plaintext HTTP servers on loopback ports."""

    def __init__(self) -> None:
        self.port = 0
        self.http_port = 0
        self.ca_file = ""
        self.domain = ""
        self.plaintext_open = False
        self._servers: list[asyncio.Server] = []

    async def start(self, ctx: SandboxContext) -> None:
        ctx.sandbox_ca()
        self.ca_file = str(ctx.ca_file)
        self.domain = ctx.domain
        self.plaintext_open = ctx.scenario("plaintext-open")
        leaf = served_leaf(ctx)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        leaf.configure_cert(context)
        if ctx.fleet:
            self._fleet_contexts(ctx, context)
        tls_server = await asyncio.start_server(self._serve_https, "127.0.0.1", 0, ssl=context)
        http_server = await asyncio.start_server(self._serve_http, "127.0.0.1", 0)
        self._servers = [tls_server, http_server]
        self.port = tls_server.sockets[0].getsockname()[1]
        self.http_port = http_server.sockets[0].getsockname()[1]

    @staticmethod
    def _fleet_contexts(ctx: SandboxContext, default: ssl.SSLContext) -> None:
        """Scenario ``fleet``: each stack's Domain gets its own certificate, chosen by SNI."""
        now = datetime.now(UTC)
        contexts: dict[str, ssl.SSLContext] = {}
        for stack in ctx.fleet:
            if stack.state == "cert-expiring":
                not_before, not_after = now - timedelta(days=80), now + timedelta(days=10, hours=12)
            else:
                not_before, not_after = now - timedelta(days=1), now + timedelta(days=89, hours=12)
            own = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            ctx.sandbox_ca().issue_cert(stack.domain, not_before=not_before, not_after=not_after).configure_cert(own)
            contexts[stack.domain] = own

        def choose(sock: ssl.SSLObject, server_name: str | None, _: ssl.SSLContext) -> None:
            chosen = contexts.get((server_name or "").lower())
            if chosen is not None:
                sock.context = chosen

        default.sni_callback = choose

    async def _serve_https(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await self._serve(reader, writer, self._https_answer)

    async def _serve_http(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await self._serve(reader, writer, self._http_answer)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, answer: Any) -> None:
        # Clients that hang up mid-handshake (or reject our certificate) are normal here: stay quiet.
        with contextlib.suppress(OSError, ssl.SSLError, TimeoutError, asyncio.IncompleteReadError, UnicodeError):
            request = await _read_request(reader)
            if request is not None:
                writer.write(answer(*request))
                await writer.drain()
        writer.close()
        with contextlib.suppress(OSError, ssl.SSLError, TimeoutError):
            await asyncio.wait_for(writer.wait_closed(), 1.0)

    def _https_answer(self, path: str, headers: dict[str, str]) -> bytes:
        path = path.split("?", 1)[0]
        if path in ("/console", "/console/"):
            return _response("200 OK", {"Content-Type": "text/html; charset=utf-8"}, CONSOLE_PAGE)
        if path.startswith("/healthz"):
            return _response("200 OK", {"Content-Type": "application/json"}, json.dumps(HEALTH).encode())
        if path == "/":
            return _response("302 Found", {"Location": "/console"}, b"")
        return _response("404 Not Found", {"Content-Type": "text/plain"}, b"404 page not found\n")

    def _http_answer(self, path: str, headers: dict[str, str]) -> bytes:
        if self.plaintext_open:
            return _response("200 OK", {"Content-Type": "text/html; charset=utf-8"}, CONSOLE_PAGE)
        host = headers.get("host", "").split(":")[0]
        if not host or not all(c.isalnum() or c in ".-" for c in host):
            host = self.domain
        target = f"https://{host}:{self.port}{path}"
        return _response("308 Permanent Redirect", {"Location": target, "Content-Type": "text/plain"}, b"")

    async def stop(self) -> None:
        for server in self._servers:
            server.close()
        for server in self._servers:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(server.wait_closed(), 2)
        self._servers = []

    def settings(self) -> dict[str, dict[str, Any]]:
        return {
            "tls": {
                "connect_host": "127.0.0.1",
                "port": self.port,
                "http_port": self.http_port,
                "ca_file": self.ca_file,
            }
        }
