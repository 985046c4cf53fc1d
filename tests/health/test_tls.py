"""The TLS check against the sandbox's HTTPS server (trustme certificates) over real sockets."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.core.errors import Unreachable
from services.health import tls
from services.health.run import CheckContext, Status
from tests.health_sandbox import closed_port, health_peers, make_stack, silent_tcp, with_settings

DOMAIN = "demo.ttes.test"


async def test_a_good_certificate_is_ok_with_its_chain(tmp_path: Path) -> None:
    async with health_peers(tmp_path) as peers:
        result = await tls.check(CheckContext(peers.profile, peers.stack))
    assert result.status is Status.OK
    assert result.summary == f"Valid certificate for {DOMAIN}, 89 days left, issued by ttes-console sandbox"
    assert result.figure == "89 d"
    details = result.details
    assert details["verified"] and details["hostname_matches"]
    assert details["chain"][0]["sans"] == [DOMAIN]
    assert details["chain"][0]["key_type"] == "ECDSA secp256r1"
    # The verified chain runs up to the sandbox CA, the trust anchor from tls.ca_file.
    assert [c["issuer"] for c in details["verified_chain"]][-1] == details["verified_chain"][-1]["subject"]
    assert "ttes-console sandbox" in details["verified_chain"][-1]["subject"]


@pytest.mark.parametrize(
    ("scenario", "status", "summary", "figure"),
    [
        (
            "cert-expiring",
            Status.WARN,
            f"The certificate for {DOMAIN} expires in 10 days; it should have been renewed at 30 days left",
            "10 d",
        ),
        ("cert-expired", Status.CRITICAL, f"The certificate for {DOMAIN} expired 2 days ago", "expired"),
    ],
)
async def test_expiry_scenarios(tmp_path: Path, scenario: str, status: Status, summary: str, figure: str) -> None:
    async with health_peers(tmp_path, frozenset({scenario})) as peers:
        result = await tls.check(CheckContext(peers.profile, peers.stack))
    assert result.status is status
    assert result.summary.startswith(summary)
    assert result.figure == figure


async def test_untrusted_and_wrong_name_certificates_are_critical(tmp_path: Path) -> None:
    async with health_peers(tmp_path) as peers:
        untrusted = await tls.check(CheckContext(with_settings(peers.profile, tls={"ca_file": ""}), peers.stack))
        other_name = await tls.check(CheckContext(peers.profile, make_stack(Domain="console.example.org")))
    assert untrusted.status is Status.CRITICAL
    assert untrusted.summary.startswith(f"The certificate for {DOMAIN} does not verify: ")
    assert "issuer" in untrusted.summary  # OpenSSL's words: unable to get local issuer certificate
    assert not untrusted.details["verified"]
    assert other_name.status is Status.CRITICAL
    assert other_name.summary == f"The certificate is for {DOMAIN}, not console.example.org"


async def test_endpoints_that_do_not_speak_tls_are_said_in_words(tmp_path: Path) -> None:
    async with health_peers(tmp_path) as peers:
        port = closed_port()
        with pytest.raises(
            Unreachable, match=rf"^Nothing accepts connections on 127.0.0.1:{port} \(connection refused\)"
        ):
            await tls.probe_tls("127.0.0.1", port, DOMAIN, timeout=2)
        with pytest.raises(Unreachable, match="does not speak TLS"):
            await tls.probe_tls("127.0.0.1", peers.ssh_port, DOMAIN, timeout=2)  # it speaks first, in SSH
        with silent_tcp() as hung:
            profile = with_settings(peers.profile, tls={"port": hung, "timeout": 0.3})
            result = await tls.check(CheckContext(profile, peers.stack))
    assert result.status is Status.CRITICAL
    assert result.summary == f"127.0.0.1:{hung} did not complete a TLS handshake within 0.3 s"


@pytest.mark.parametrize(
    ("pattern", "name", "matches"),
    [
        ("demo.ttes.test", "demo.ttes.test", True),
        ("DEMO.ttes.test.", "demo.ttes.test", True),
        ("*.ttes.test", "demo.ttes.test", True),
        ("*.ttes.test", "a.demo.ttes.test", False),
        ("*.ttes.test", "ttes.test", False),
        ("other.ttes.test", "demo.ttes.test", False),
    ],
)
def test_san_matching(pattern: str, name: str, matches: bool) -> None:
    assert tls.name_matches(pattern, name) is matches


async def test_a_missing_ca_file_is_a_configuration_problem_not_a_verdict_on_the_server(tmp_path: Path) -> None:
    from services.health.run import all_checks, run_one

    async with health_peers(tmp_path) as peers:
        profile = with_settings(peers.profile, tls={"ca_file": str(tmp_path / "nope.pem")})
        check = next(c for c in all_checks() if c.name == "tls")
        result = await run_one(check, CheckContext(profile, peers.stack))
    assert result.status is Status.UNKNOWN
    assert result.summary.startswith(f"The CA file {tmp_path / 'nope.pem'} (tls.ca_file) cannot be used: ")
