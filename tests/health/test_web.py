"""HTTPS and plaintext checks against the sandbox's web part over real sockets."""

from __future__ import annotations

from pathlib import Path

from services.health import web
from services.health.run import CheckContext, Status
from tests.health_sandbox import closed_port, health_peers, silent_tcp, with_settings

DOMAIN = "demo.ttes.test"


async def test_console_and_healthz_answer_over_https(tmp_path: Path) -> None:
    async with health_peers(tmp_path) as peers:
        result = await web.check_https(CheckContext(peers.profile, peers.stack))
    assert result.status is Status.OK, result.summary
    assert result.summary.startswith(f"https://{DOMAIN}/console 200 in ")
    assert result.summary.endswith(", /healthz 200")
    assert result.details["console"]["status"] == 200
    assert result.details["healthz"]["document"] == {"database": "OK", "redis": "OK", "events": "OK", "blob": "OK"}
    assert result.figure.endswith(" ms")


async def test_https_server_sees_the_domain_as_host_and_sni(tmp_path: Path) -> None:
    async with health_peers(tmp_path) as peers:
        response = await web.http_get(
            "127.0.0.1", peers.web.port, "/nowhere", host_header=DOMAIN, tls=web.unverified_tls_context(), timeout=3
        )
        plain = await web.http_get("127.0.0.1", peers.web.http_port, "/console", host_header=DOMAIN, timeout=3)
    assert response.status == 404
    assert plain.status == 308
    assert plain.headers["location"] == f"https://{DOMAIN}:{peers.web.port}/console"


async def test_plaintext_redirect_is_ok_and_a_200_is_critical(tmp_path: Path) -> None:
    async with health_peers(tmp_path) as peers:
        redirect = await web.check_plaintext(CheckContext(peers.profile, peers.stack))
    async with health_peers(tmp_path, frozenset({"plaintext-open"})) as peers:
        open_ = await web.check_plaintext(CheckContext(peers.profile, peers.stack))
    assert redirect.status is Status.OK
    assert redirect.summary.startswith(f"http://{DOMAIN}:")
    assert f"redirects to https://{DOMAIN}:" in redirect.summary
    assert open_.status is Status.CRITICAL
    assert open_.summary.endswith("serves pages in plaintext (200); it must redirect to https or refuse")
    assert open_.figure == "200"


async def test_a_refused_plaintext_port_is_ok(tmp_path: Path) -> None:
    async with health_peers(tmp_path) as peers:
        port = closed_port()
        result = await web.check_plaintext(
            CheckContext(with_settings(peers.profile, tls={"http_port": port}), peers.stack)
        )
    assert result.status is Status.OK
    assert result.summary == (
        f"http://{DOMAIN}:{port} does not serve plaintext: Nothing accepts connections on 127.0.0.1:{port} "
        "(connection refused)"
    )


async def test_https_that_does_not_answer_is_critical_in_words(tmp_path: Path) -> None:
    async with health_peers(tmp_path) as peers:
        port = closed_port()
        refused = await web.check_https(CheckContext(with_settings(peers.profile, tls={"port": port}), peers.stack))
        with silent_tcp() as hung:
            profile = with_settings(peers.profile, tls={"port": hung, "timeout": 0.3})
            silent = await web.check_https(CheckContext(profile, peers.stack))
    assert refused.status is Status.CRITICAL
    assert refused.summary == f"Nothing accepts connections on 127.0.0.1:{port} (connection refused)"
    assert silent.status is Status.CRITICAL
    assert silent.summary == f"https://127.0.0.1:{hung}/console did not answer within 0.3 s"


def test_health_documents_name_their_failing_parts() -> None:
    failing, document = web.health_failures(b'{"database": "OK", "redis": "dial tcp 10.0.0.5:6379: i/o timeout"}')
    assert failing == ["redis: dial tcp 10.0.0.5:6379: i/o timeout"]
    assert document is not None
    assert web.health_failures(b"OK") == ([], None)
    assert web.health_failures(b"[1, 2]") == ([], None)


# --- the certificate, verified like a browser ---------------------------------------------


async def test_https_is_critical_when_the_certificate_has_expired(tmp_path: Path) -> None:
    async with health_peers(tmp_path, frozenset({"cert-expired"})) as peers:
        result = await web.check_https(CheckContext(peers.profile, peers.stack))
    assert result.status is Status.CRITICAL and result.figure == "cert"
    assert result.summary.startswith(f"https://{DOMAIN} on 127.0.0.1:{peers.web.port} serves a certificate a browser")
    assert "certificate has expired" in result.summary


async def test_https_is_critical_when_nobody_trusts_the_issuer_or_the_name_differs(tmp_path: Path) -> None:
    from tests.health_sandbox import make_stack

    async with health_peers(tmp_path) as peers:
        untrusted = await web.check_https(CheckContext(with_settings(peers.profile, tls={"ca_file": ""}), peers.stack))
        other_name = make_stack(Domain="other.ttes.test")
        wrong_name = await web.check_https(CheckContext(peers.profile, other_name))
    assert untrusted.status is Status.CRITICAL and "unable to get local issuer certificate" in untrusted.summary
    assert wrong_name.status is Status.CRITICAL and "Hostname mismatch" in wrong_name.summary


async def test_https_is_critical_against_a_self_signed_certificate(tmp_path: Path) -> None:
    import asyncio
    import datetime
    import ssl

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, DOMAIN)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(DOMAIN)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    (tmp_path / "self.pem").write_bytes(
        cert.public_bytes(serialization.Encoding.PEM)
        + key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    )
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(tmp_path / "self.pem")

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0, ssl=server_context)
    port = server.sockets[0].getsockname()[1]
    try:
        async with health_peers(tmp_path) as peers:
            profile = with_settings(peers.profile, tls={"port": port, "ca_file": ""})
            result = await web.check_https(CheckContext(profile, peers.stack))
    finally:
        server.close()
    assert result.status is Status.CRITICAL and "self-signed certificate" in result.summary, result.summary
