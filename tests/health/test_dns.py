"""The DNS check against the sandbox's DNS server over real UDP/TCP sockets."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from sandbox.core import SandboxContext
from sandbox.dns import STALE_IP, DnsPart
from services.core.config import DnsSettings
from services.health import dns
from services.health.dns import Outcome
from services.health.run import CheckContext, Status
from tests.health_sandbox import PUBLIC_IP, health_peers, make_stack, silent_udp, with_settings

DOMAIN = "demo.ttes.test"


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[DnsPart]:
    part = DnsPart()
    await part.start(SandboxContext(workdir=tmp_path, scenarios=frozenset(), public_ip=PUBLIC_IP))
    yield part
    await part.stop()


async def test_each_outcome_is_its_own_sentence(server: DnsPart) -> None:
    async def ask(name: str, rdtype: str = "A") -> dns.DnsAnswer:
        return await dns.query("127.0.0.1", name, rdtype, port=server.port, timeout=2)

    answer = await ask(DOMAIN)
    assert (answer.outcome, answer.addresses, answer.ttl) == (Outcome.ANSWER, (PUBLIC_IP,), 300)
    assert answer.authoritative
    nx, empty, refused = await ask("gone." + DOMAIN), await ask(DOMAIN, "AAAA"), await ask("example.com")
    assert nx.outcome is Outcome.NXDOMAIN
    assert "does not exist (NXDOMAIN)" in nx.sentence
    assert empty.outcome is Outcome.NO_ANSWER
    assert f"has no AAAA record for {DOMAIN}" in empty.sentence
    assert refused.outcome is Outcome.REFUSED
    assert "refused to answer for example.com (REFUSED)" in refused.sentence
    with silent_udp() as port:
        timeout = await dns.query("127.0.0.1", DOMAIN, port=port, timeout=0.3)
    assert timeout.outcome is Outcome.TIMEOUT
    assert timeout.sentence == f"127.0.0.1:{port} did not answer within 0.3 s"
    sentences = {a.sentence.split(" ", 1)[1] for a in (answer, nx, empty, refused, timeout)}
    assert len(sentences) == 5


async def test_the_server_answers_over_tcp_too(server: DnsPart) -> None:
    import dns.asyncquery
    import dns.message

    response = await dns.asyncquery.tcp(dns.message.make_query(DOMAIN, "A"), "127.0.0.1", timeout=2, port=server.port)
    assert [rd.address for rrset in response.answer for rd in rrset] == [PUBLIC_IP]


async def test_authoritative_servers_are_found_through_ns_and_asked_on_the_configured_port(server: DnsPart) -> None:
    settings = DnsSettings(("127.0.0.1",), server.port, 2.0)
    authority = await dns.find_authority("www." + DOMAIN, "127.0.0.1", settings)
    assert authority.zone == DOMAIN
    assert authority.servers == ((f"ns1.{DOMAIN}", "127.0.0.1"),)
    report = await dns.resolve_domain(DOMAIN, PUBLIC_IP, settings)
    assert [a.outcome for a in report.authoritative] == [Outcome.ANSWER]
    assert not report.authoritative[0].recursive
    status, summary = dns.evaluate(report)
    assert status is Status.OK
    assert summary == f"{DOMAIN} → {PUBLIC_IP} at 127.0.0.1:{server.port} and 1 authoritative (TTL 300 s)"


async def test_a_mismatch_everywhere_is_critical_and_says_where(tmp_path: Path) -> None:
    async with health_peers(tmp_path, frozenset({"dns-mismatch"})) as peers:
        result = await dns.check(CheckContext(peers.profile, peers.stack))
    assert result.status is Status.CRITICAL
    assert f"{DOMAIN} → {STALE_IP} ≠ PublicIP {PUBLIC_IP} at 127.0.0.1:{peers.dns.port}" in result.summary
    assert "the authoritative server" in result.summary
    assert result.figure == STALE_IP


async def test_a_resolver_with_an_old_answer_is_propagation_not_failure(tmp_path: Path) -> None:
    async with health_peers(tmp_path) as peers:
        # A second resolver on 127.0.0.2, same port, still serving the address from before the stack.
        stale = DnsPart(host="127.0.0.2", port=peers.dns.port)
        await stale.start(SandboxContext(workdir=tmp_path, scenarios=frozenset({"dns-mismatch"}), public_ip=PUBLIC_IP))
        try:
            profile = with_settings(peers.profile, dns={"nameservers": ("127.0.0.1", "127.0.0.2")})
            result = await dns.check(CheckContext(profile, peers.stack))
        finally:
            await stale.stop()
    assert result.status is Status.WARN
    assert result.summary.startswith("Propagating: ")
    assert f"{STALE_IP} ≠ PublicIP {PUBLIC_IP} at 127.0.0.2:{peers.dns.port} (cached up to 300 s)" in result.summary
    servers = [r["server"] for r in result.details["resolvers"]]
    assert servers == [f"127.0.0.1:{peers.dns.port}", f"127.0.0.2:{peers.dns.port}"]


async def test_the_authoritative_answer_wins_over_a_resolver_that_still_agrees(tmp_path: Path) -> None:
    # The zone (at 127.0.0.1, where NS points) already says the old address; 127.0.0.2 still caches the right one.
    async with health_peers(tmp_path, frozenset({"dns-mismatch"})) as peers:
        cached = DnsPart(host="127.0.0.2", port=peers.dns.port)
        await cached.start(SandboxContext(workdir=tmp_path, scenarios=frozenset(), public_ip=PUBLIC_IP))
        try:
            profile = with_settings(peers.profile, dns={"nameservers": ("127.0.0.2",)})
            result = await dns.check(CheckContext(profile, peers.stack))
        finally:
            await cached.stop()
    assert result.status is Status.CRITICAL
    assert result.summary == (
        f"{DOMAIN} → {STALE_IP} ≠ PublicIP {PUBLIC_IP} at the authoritative server 127.0.0.1:{peers.dns.port}"
    )


async def test_a_resolver_that_does_not_answer_beside_one_that_agrees_is_a_warning(tmp_path: Path) -> None:
    async with health_peers(tmp_path) as peers:
        # Nothing listens on 127.0.0.3 at that port: the kernel refuses, dnspython waits out its timeout.
        profile = with_settings(peers.profile, dns={"nameservers": ("127.0.0.1", "127.0.0.3"), "timeout": 0.3})
        result = await dns.check(CheckContext(profile, peers.stack))
    assert result.status is Status.WARN
    assert result.summary == f"127.0.0.3:{peers.dns.port} did not answer within 0.3 s"


async def test_nxdomain_refused_and_silence_are_told_apart_at_check_level(tmp_path: Path) -> None:
    async with health_peers(tmp_path) as peers:
        missing = await dns.check(CheckContext(peers.profile, make_stack(Domain="gone." + DOMAIN)))
        refused = await dns.check(CheckContext(peers.profile, make_stack(Domain="console.example.org")))
        with silent_udp() as port:
            profile = with_settings(peers.profile, dns={"port": port, "timeout": 0.3})
            silent = await dns.check(CheckContext(profile, peers.stack))
    assert missing.status is Status.CRITICAL
    assert f"says gone.{DOMAIN} does not exist (NXDOMAIN)" in missing.summary
    assert refused.status is Status.UNKNOWN
    assert "(REFUSED)" in refused.summary
    assert silent.status is Status.UNKNOWN
    assert silent.summary.startswith(f"No resolver answered: 127.0.0.1:{port} did not answer within 0.3 s")
    assert "authoritative servers not checked" in silent.summary


async def test_without_a_stack_the_check_says_why_it_cannot_run(tmp_path: Path) -> None:
    async with health_peers(tmp_path) as peers:
        no_stack = await dns.check(CheckContext(peers.profile, None, "Stack ttes-demo not found in eu-west-1."))
        no_ip = await dns.check(CheckContext(peers.profile, make_stack(PublicIP="")))
    assert no_stack.status is Status.UNKNOWN
    assert (
        no_stack.summary
        == "No Domain to check: the stack could not be loaded (Stack ttes-demo not found in eu-west-1)."
    )
    assert no_ip.summary == "No PublicIP to check: stack ttes-demo has no PublicIP output."
