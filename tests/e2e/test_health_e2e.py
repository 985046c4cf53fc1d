"""End-to-end tier: the health checks against servers that are not ours.

Debian's dnsmasq (as resolver, and as authoritative server with ``--auth-zone``), OpenSSL's
``s_server -WWW`` serving a trustme certificate, and OpenSSH's sshd, all started on loopback
ports by these fixtures. Each test skips when its binary is absent
(``apt-get install dnsmasq openssl openssh-server``).
"""

from __future__ import annotations

import contextlib
import getpass
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from sandbox.ports import free_port
from services.core.config import DnsSettings, Profile, SshSettings, TlsSettings
from services.health import dns, reach, tls, web
from services.health import run as health
from services.health.run import CheckContext, Status
from tests.e2e.peers import binary, running_peer, tcp_open
from tests.health_sandbox import PUBLIC_IP, closed_port, make_stack, peer_checks

pytestmark = pytest.mark.e2e

DOMAIN = "demo.ttes.test"


def dns_answers(port: int) -> bool:
    from dnslib import DNSRecord

    try:
        DNSRecord.question(DOMAIN).send("127.0.0.1", port, timeout=0.3)
    except OSError:
        return False
    return True


@contextlib.contextmanager
def dnsmasq(tmp: Path, address: str, *, authoritative: bool) -> Iterator[int]:
    exe = binary("dnsmasq", "/usr/sbin/dnsmasq")
    port = free_port(udp=True)
    cmd = [
        exe, "--keep-in-foreground", "--no-daemon", "--conf-file=/dev/null", f"--port={port}",
        "--listen-address=127.0.0.1", "--bind-interfaces", "--no-resolv", "--no-hosts", "--pid-file=",
        "--log-facility=/dev/null", "--local-ttl=300", f"--host-record={DOMAIN},{address}",
    ]  # fmt: skip
    if authoritative:
        cmd += [
            f"--host-record=ns1.{DOMAIN},127.0.0.1",
            f"--auth-server=ns1.{DOMAIN},127.0.0.1",
            f"--auth-zone={DOMAIN}",
            "--auth-ttl=300",
        ]
    with running_peer("dnsmasq", cmd, lambda: dns_answers(port), tmp / f"dnsmasq-{port}.log"):
        yield port


@dataclass
class TlsServer:
    port: int
    ca_file: str


@contextlib.contextmanager
def openssl_server(tmp: Path, not_after: datetime) -> Iterator[TlsServer]:
    import trustme

    exe = binary("openssl", "/usr/bin/openssl")
    ca = trustme.CA(organization_name="e2e CA")
    leaf = ca.issue_cert(DOMAIN, not_before=datetime.now(UTC) - timedelta(days=1), not_after=not_after)
    www = tmp / "www"
    www.mkdir(exist_ok=True)
    (www / "console").write_text("<html>The Things Stack Console</html>\n")
    (www / "healthz").write_text('{"database": "OK", "redis": "OK"}\n')
    leaf.cert_chain_pems[0].write_to_path(str(tmp / "cert.pem"))
    leaf.private_key_pem.write_to_path(str(tmp / "key.pem"))
    ca.cert_pem.write_to_path(str(tmp / "ca.pem"))
    port = free_port()
    cmd = [
        exe,
        "s_server",
        "-accept",
        f"127.0.0.1:{port}",
        "-cert",
        str(tmp / "cert.pem"),
        "-key",
        str(tmp / "key.pem"),
    ]
    cmd += ["-WWW", "-quiet"]
    with running_peer("openssl s_server", cmd, lambda: tcp_open(port), tmp / "openssl.log", cwd=www):
        yield TlsServer(port, str(tmp / "ca.pem"))


@contextlib.contextmanager
def sshd(tmp: Path) -> Iterator[int]:
    exe = binary("sshd", "/usr/sbin/sshd")
    keygen = binary("ssh-keygen", "/usr/bin/ssh-keygen")
    key = tmp / "host_ed25519"
    subprocess.run([keygen, "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    # The ssh check logs in as the journal does: a client key it accepts, its host key known.
    client = tmp / "client_ed25519"
    subprocess.run([keygen, "-q", "-t", "ed25519", "-N", "", "-f", str(client)], check=True)
    (tmp / "authorized_keys").write_text(Path(f"{client}.pub").read_text())
    try:
        Path("/run/sshd").mkdir(exist_ok=True)  # privilege separation directory sshd insists on
    except OSError as exc:
        pytest.skip(f"sshd cannot run here: /run/sshd cannot be created ({exc.strerror})")
    port = free_port()
    cmd = [exe, "-D", "-e", "-f", "/dev/null", "-h", str(key), "-p", str(port), "-o", "ListenAddress=127.0.0.1"]
    cmd += ["-o", "PidFile=none", "-o", f"AuthorizedKeysFile={tmp / 'authorized_keys'}", "-o", "StrictModes=no"]
    cmd += ["-o", "UsePAM=no", "-o", "PermitRootLogin=prohibit-password"]
    host_public = " ".join(Path(f"{key}.pub").read_text().split()[:2])
    (tmp / "known_hosts").write_text(f"[127.0.0.1]:{port} {host_public}\n")
    with running_peer("sshd", cmd, lambda: tcp_open(port), tmp / "sshd.log"):
        yield port


def profile_for(dns_port: int, server: TlsServer, ssh_port: int, tmp: Path) -> Profile:
    return Profile(
        name="e2e",
        stack="ttes-demo",
        dns=DnsSettings(("127.0.0.1",), dns_port, 2.0),
        tls=TlsSettings(connect_host="127.0.0.1", port=server.port, http_port=closed_port(), ca_file=server.ca_file),
        ssh=SshSettings(
            host="127.0.0.1",
            port=ssh_port,
            user=getpass.getuser(),
            identity_file=str(tmp / "client_ed25519"),
            known_hosts=str(tmp / "known_hosts"),
            connect_timeout=3.0,
        ),
    )


async def test_every_check_is_ok_against_dnsmasq_openssl_and_sshd(tmp_path: Path) -> None:
    not_after = datetime.now(UTC) + timedelta(days=60, hours=12)
    with (
        dnsmasq(tmp_path, PUBLIC_IP, authoritative=True) as dns_port,
        openssl_server(tmp_path, not_after) as server,
        sshd(tmp_path) as ssh_port,
    ):
        profile = profile_for(dns_port, server, ssh_port, tmp_path)
        results = await health.run_checks(profile, stack=make_stack(), checks=peer_checks())
    by_name = {r.name: r for r in results}
    assert {n: r.status for n, r in by_name.items()} == dict.fromkeys(by_name, Status.OK), [r.summary for r in results]
    assert by_name["dns"].summary == f"{DOMAIN} → {PUBLIC_IP} at 127.0.0.1:{dns_port} and 1 authoritative (TTL 300 s)"
    assert by_name["tls"].summary.startswith(f"Valid certificate for {DOMAIN}, 60 days left, issued by e2e CA")
    assert by_name["https"].summary.startswith(f"https://{DOMAIN}/console 200 in ")
    assert by_name["ssh"].summary.startswith("SSH-2.0-OpenSSH_")


async def test_dnsmasq_mismatch_and_missing_authority(tmp_path: Path) -> None:
    with dnsmasq(tmp_path, "203.0.113.10", authoritative=False) as port:
        settings = DnsSettings(("127.0.0.1",), port, 2.0)
        profile = Profile(name="e2e", stack="ttes-demo", dns=settings)
        result = await dns.check(CheckContext(profile, make_stack()))
        refused = await dns.query("127.0.0.1", "example.org", port=port, timeout=2)
    assert result.status is Status.CRITICAL
    assert result.summary.startswith(f"{DOMAIN} → 203.0.113.10 ≠ PublicIP {PUBLIC_IP} at 127.0.0.1:{port}; ")
    # dnsmasq without --auth-zone refuses the NS question: said, and the check still decides.
    assert "authoritative servers not checked: the NS lookup failed" in result.summary
    assert refused.outcome is dns.Outcome.REFUSED


async def test_openssl_with_an_expiring_and_an_untrusted_certificate(tmp_path: Path) -> None:
    with openssl_server(tmp_path, datetime.now(UTC) + timedelta(days=5, hours=12)) as server:
        expiring = await tls.probe_tls("127.0.0.1", server.port, DOMAIN, ca_file=server.ca_file, timeout=3)
        untrusted = await tls.probe_tls("127.0.0.1", server.port, DOMAIN, timeout=3)
        healthz = await web.http_get(
            "127.0.0.1", server.port, "/healthz", host_header=DOMAIN, tls=web.unverified_tls_context(), timeout=3
        )
    status, summary = tls.evaluate(expiring)
    assert (status, summary) == (
        Status.CRITICAL,
        f"The certificate for {DOMAIN} expires in 5 days; automatic renewal is failing",
    )
    assert tls.evaluate(untrusted)[0] is Status.CRITICAL
    assert not untrusted.verified
    assert healthz.status == 200 and web.health_failures(healthz.body) == ([], {"database": "OK", "redis": "OK"})


async def test_sshd_banner(tmp_path: Path) -> None:
    with sshd(tmp_path) as port:
        banner = await reach.ssh_banner("127.0.0.1", port, timeout=3)
    assert banner.banner.startswith("SSH-2.0-OpenSSH_")
