"""Does the Domain resolve to the stack's PublicIP, at every resolver and at its authoritative servers?"""

from __future__ import annotations

import asyncio
import enum
import ipaddress
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from services.core.config import DnsSettings
from services.health.check import CheckContext, CheckResult, Status


class Outcome(enum.Enum):
    """How one server answered one question."""

    ANSWER = "answer"
    NXDOMAIN = "nxdomain"
    NO_ANSWER = "no-answer"
    REFUSED = "refused"
    SERVFAIL = "servfail"
    TIMEOUT = "timeout"
    UNREACHABLE = "unreachable"
    ERROR = "error"


@dataclass(frozen=True)
class DnsAnswer:
    """One server's answer for one record type of one name."""

    server: str
    port: int
    name: str
    rdtype: str
    outcome: Outcome
    addresses: tuple[str, ...] = ()
    ttl: int | None = None
    authoritative: bool = False
    error: str = ""
    recursive: bool = True  # asked as a resolver (RD set) rather than as the zone's authority

    @property
    def sentence(self) -> str:
        """The outcome in words, naming the server."""
        at = _server_label(self.server, self.port)
        if self.outcome is Outcome.ANSWER:
            return f"{at} answers {self.name} {self.rdtype} {', '.join(self.addresses)} (TTL {self.ttl} s)"
        if self.outcome is Outcome.NXDOMAIN:
            return f"{at} says {self.name} does not exist (NXDOMAIN)"
        if self.outcome is Outcome.NO_ANSWER:
            return f"{at} has no {self.rdtype} record for {self.name}"
        if self.outcome is Outcome.REFUSED:
            return f"{at} refused to answer for {self.name} (REFUSED)"
        if self.outcome is Outcome.SERVFAIL:
            return f"{at} failed to resolve {self.name} (SERVFAIL)"
        if self.outcome is Outcome.TIMEOUT:
            return f"{at} did not answer within {self.error}"
        if self.outcome is Outcome.UNREACHABLE:
            return f"{at} cannot be reached: {self.error}"
        return f"{at} gave an unusable answer for {self.name}: {self.error}"

    def as_json(self) -> dict[str, Any]:
        return {
            "server": _server_label(self.server, self.port),
            "type": self.rdtype,
            "outcome": self.outcome.value,
            "addresses": list(self.addresses),
            "ttl": self.ttl,
            "role": "resolver" if self.recursive else "authoritative server",
            "authoritative": self.authoritative,
            "says": self.sentence,
        }


@dataclass(frozen=True)
class AuthorityLookup:
    """The domain's zone and authoritative servers, or why they could not be found."""

    zone: str = ""
    servers: tuple[tuple[str, str], ...] = ()  # (nameserver host, address)
    problem: str = ""


def _server_label(server: str, port: int) -> str:
    return server if port == 53 else f"{server}:{port}"


async def query(
    server: str, name: str, rdtype: str = "A", *, port: int = 53, timeout: float = 3.0, recursive: bool = True
) -> DnsAnswer:
    """Ask one server one question (UDP, TCP on truncation); every outcome is an answer, never an exception."""
    import dns.asyncquery
    import dns.exception
    import dns.flags
    import dns.message
    import dns.rcode
    import dns.rdatatype

    def answer(outcome: Outcome, **kw: Any) -> DnsAnswer:
        return DnsAnswer(server, port, name, rdtype, outcome, recursive=recursive, **kw)

    message = dns.message.make_query(name, rdtype)
    if not recursive:
        message.flags &= ~dns.flags.RD
    try:
        where = await _address_of(server)
        response, _ = await dns.asyncquery.udp_with_fallback(message, where, timeout=timeout, port=port)
    except dns.exception.Timeout:
        return answer(Outcome.TIMEOUT, error=f"{timeout:g} s")
    except OSError as exc:
        return answer(Outcome.UNREACHABLE, error=exc.strerror or str(exc))
    except dns.exception.DNSException as exc:
        return answer(Outcome.ERROR, error=str(exc) or type(exc).__name__)
    authoritative = bool(response.flags & dns.flags.AA)
    rcode = response.rcode()
    if rcode == dns.rcode.NXDOMAIN:
        return answer(Outcome.NXDOMAIN, authoritative=authoritative)
    if rcode == dns.rcode.REFUSED:
        return answer(Outcome.REFUSED)
    if rcode != dns.rcode.NOERROR:
        if rcode == dns.rcode.SERVFAIL:
            return answer(Outcome.SERVFAIL)
        return answer(Outcome.ERROR, error=f"response code {dns.rcode.to_text(rcode)}")
    wanted = dns.rdatatype.from_text(rdtype)
    values: list[str] = []
    ttl: int | None = None
    for rrset in response.answer:  # a CNAME chain ends in the records asked for
        if rrset.rdtype == wanted:
            values += [_rdata_text(rd) for rd in rrset]
            ttl = rrset.ttl if ttl is None else min(ttl, rrset.ttl)
    if not values:
        return answer(Outcome.NO_ANSWER, authoritative=authoritative)
    return answer(Outcome.ANSWER, addresses=tuple(values), ttl=ttl, authoritative=authoritative)


def _rdata_text(rdata: Any) -> str:
    # A/AAAA rdata has .address; NS has .target.
    return str(getattr(rdata, "address", None) or getattr(rdata, "target", rdata)).rstrip(".") or "."


async def _address_of(server: str) -> str:
    try:
        ipaddress.ip_address(server)
        return server
    except ValueError:
        infos = await asyncio.get_running_loop().getaddrinfo(server, 53, type=socket.SOCK_DGRAM)
        return str(infos[0][4][0])


def system_nameservers() -> tuple[str, ...]:
    """The resolvers in /etc/resolv.conf (the system resolver), asked one by one."""
    import dns.resolver

    try:
        return tuple(str(ns) for ns in dns.resolver.Resolver().nameservers)
    except dns.resolver.NoResolverConfiguration:
        return ()


async def find_authority(domain: str, resolver: str, settings: DnsSettings) -> AuthorityLookup:
    """Find the zone holding ``domain`` and its nameservers' addresses, asking ``resolver``."""
    name = domain.rstrip(".")
    asked: list[str] = []
    while name.count(".") >= 1:  # never walk up to a TLD or the root
        ns = await query(resolver, name, "NS", port=settings.port, timeout=settings.timeout)
        asked.append(ns.sentence)
        if ns.outcome is Outcome.ANSWER:
            servers = await asyncio.gather(*(_ns_address(host, resolver, settings) for host in ns.addresses))
            found = tuple((host, addr) for host, addr in zip(ns.addresses, servers, strict=True) if addr)
            if not found:
                return AuthorityLookup(
                    name, (), f"the nameservers of {name} ({', '.join(ns.addresses)}) have no address"
                )
            return AuthorityLookup(name, found)
        if ns.outcome not in (Outcome.NO_ANSWER, Outcome.NXDOMAIN):
            return AuthorityLookup(problem=f"the NS lookup failed: {ns.sentence}")
        name = name.split(".", 1)[1]
    return AuthorityLookup(problem="no NS records found (" + "; ".join(asked) + ")")


async def _ns_address(host: str, resolver: str, settings: DnsSettings) -> str:
    try:
        ipaddress.ip_address(host)
        return host
    except ValueError:
        pass
    a = await query(resolver, host, "A", port=settings.port, timeout=settings.timeout)
    return a.addresses[0] if a.outcome is Outcome.ANSWER else ""


@dataclass(frozen=True)
class DnsReport:
    """Every resolver's and authoritative server's answer for the Domain."""

    domain: str
    expected: str
    resolvers: tuple[DnsAnswer, ...]
    authoritative: tuple[DnsAnswer, ...]
    aaaa: tuple[DnsAnswer, ...]
    authority: AuthorityLookup


async def resolve_domain(domain: str, expected_ip: str, settings: DnsSettings) -> DnsReport:
    """Ask every configured resolver (or the system's) and the authoritative servers about ``domain``."""
    resolvers = settings.nameservers or system_nameservers()
    port = settings.port if settings.nameservers else 53

    async def ask(server: str, rdtype: str) -> DnsAnswer:
        return await query(server, domain, rdtype, port=port, timeout=settings.timeout)

    if not resolvers:
        authority = AuthorityLookup(problem="no resolver is configured and /etc/resolv.conf names none")
        return DnsReport(domain, expected_ip, (), (), (), authority)
    a_answers, aaaa_answers, authority = await asyncio.gather(
        asyncio.gather(*(ask(s, "A") for s in resolvers)),
        asyncio.gather(*(ask(s, "AAAA") for s in resolvers)),
        find_authority(domain, resolvers[0], DnsSettings(resolvers, port, settings.timeout)),
    )
    auth_answers = await asyncio.gather(
        *(
            query(addr, domain, "A", port=settings.port, timeout=settings.timeout, recursive=False)
            for _, addr in authority.servers
        )
    )
    return DnsReport(domain, expected_ip, tuple(a_answers), tuple(auth_answers), tuple(aaaa_answers), authority)


def _agrees(answer: DnsAnswer, expected: str) -> bool:
    return answer.outcome is Outcome.ANSWER and set(answer.addresses) == {expected}


def _wrong(answers: Sequence[DnsAnswer], expected: str, suffix: str = "") -> list[str]:
    """One phrase per wrong address set, naming every server that serves it."""
    groups: dict[tuple[str, ...], list[str]] = {}
    for a in answers:
        where = _server_label(a.server, a.port)
        label = f"the authoritative server {where}" if not a.recursive else where
        groups.setdefault(a.addresses, []).append(label + (suffix.format(ttl=a.ttl) if suffix else ""))
    name = answers[0].name if answers else ""
    return [
        f"{name} → {', '.join(addrs)} ≠ PublicIP {expected} at {' and '.join(labels)}"
        for addrs, labels in groups.items()
    ]


def evaluate(report: DnsReport) -> tuple[Status, str]:
    """The verdict: all agree (OK), propagating (WARNING), wrong or missing at the source or everywhere (CRITICAL)."""
    expected, domain = report.expected, report.domain
    if not report.resolvers:
        return Status.UNKNOWN, f"Cannot check {domain}: {report.authority.problem}."
    answered = [a for a in (*report.resolvers, *report.authoritative) if a.outcome is Outcome.ANSWER]
    good = [a for a in answered if _agrees(a, expected)]
    wrong = [a for a in answered if not _agrees(a, expected)]
    failed = [a for a in report.resolvers if a.outcome is not Outcome.ANSWER]
    auth_good = [a for a in report.authoritative if _agrees(a, expected)]
    # The authoritative servers are where the record will be everywhere once caches expire.
    auth_wrong = [a for a in report.authoritative if a.outcome is Outcome.ANSWER and not _agrees(a, expected)]
    auth_missing = [a for a in report.authoritative if a.outcome in (Outcome.NXDOMAIN, Outcome.NO_ANSWER)]
    if good and not wrong and not failed and not auth_missing:
        ttl = min(a.ttl or 0 for a in good)
        servers = ", ".join(_server_label(a.server, a.port) for a in report.resolvers)
        auth = f" and {len(auth_good)} authoritative" if auth_good else ""
        return Status.OK, f"{domain} → {expected} at {servers}{auth} (TTL {ttl} s)"
    if (wrong and not good) or auth_wrong:
        return Status.CRITICAL, "; ".join(_wrong(wrong, expected))
    if auth_missing:
        return Status.CRITICAL, "; ".join(f"the authoritative server {a.sentence}" for a in auth_missing)
    if good:
        # Some servers already serve the PublicIP: the rest are stale caches or broken resolvers.
        parts = []
        if wrong:
            parts.append("Propagating: " + "; ".join(_wrong(wrong, expected, " (cached up to {ttl} s)")))
        parts += [a.sentence for a in failed]
        return Status.WARN, "; ".join(parts)
    missing = [a for a in failed if a.outcome in (Outcome.NXDOMAIN, Outcome.NO_ANSWER)]
    if missing:
        return Status.CRITICAL, "; ".join(a.sentence for a in missing)
    return Status.UNKNOWN, "No resolver answered: " + "; ".join(a.sentence for a in failed)


def report_details(report: DnsReport) -> dict[str, Any]:
    return {
        "domain": report.domain,
        "expected": report.expected,
        "resolvers": [a.as_json() for a in report.resolvers],
        "aaaa": [a.as_json() for a in report.aaaa],
        "zone": report.authority.zone,
        "authoritative": [a.as_json() for a in report.authoritative],
        "nameservers": [f"{host} ({addr})" for host, addr in report.authority.servers],
        "authority_problem": report.authority.problem,
    }


async def check(ctx: CheckContext) -> CheckResult:
    """Health check ``dns``: the Domain's A records against the stack's PublicIP."""
    if not ctx.domain:
        return CheckResult("dns", Status.UNKNOWN, ctx.missing("Domain"))
    if not ctx.public_ip:
        return CheckResult("dns", Status.UNKNOWN, ctx.missing("PublicIP"))
    report = await resolve_domain(ctx.domain, ctx.public_ip, ctx.profile.dns)
    status, summary = evaluate(report)
    if report.authority.problem and report.resolvers:
        summary += f"; authoritative servers not checked: {report.authority.problem}"
    figure = ctx.public_ip if status is Status.OK else _first_wrong_figure(report)
    return CheckResult("dns", status, summary, report_details(report), figure=figure)


def _first_wrong_figure(report: DnsReport) -> str:
    for a in (*report.resolvers, *report.authoritative):
        if a.outcome is Outcome.ANSWER and not _agrees(a, report.expected):
            return ", ".join(a.addresses)
    return next((a.outcome.value for a in report.resolvers), "")


__all__: Sequence[str] = ("DnsAnswer", "DnsReport", "Outcome", "check", "evaluate", "query", "resolve_domain")
