"""A DNS server on a loopback port (UDP and TCP): the resolver and the authoritative server of the Domain.

Zone = the Domain. ``A <domain>`` is the stack's PublicIP (scenario ``dns-mismatch``: an old
address); the zone has SOA and NS ``ns1.<domain>`` (at 127.0.0.1, where this server listens);
other names in the zone are NXDOMAIN, ``AAAA <domain>`` has no answer, names outside are REFUSED.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
from typing import Any, cast

from sandbox.context import SandboxContext

STALE_IP = "203.0.113.10"  # what dns-mismatch answers: the address before the stack existed
TTL = 300


def bind_udp_and_tcp(host: str = "127.0.0.1", port: int = 0) -> tuple[socket.socket, socket.socket]:
    """A UDP and a listening TCP socket on the same port (a free one when ``port`` is 0)."""
    for _ in range(1 if port else 50):
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        udp.bind((host, port))
        chosen = udp.getsockname()[1]
        tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            tcp.bind((host, chosen))
        except OSError:
            udp.close()
            tcp.close()
            continue
        tcp.listen(16)
        udp.setblocking(False)
        tcp.setblocking(False)
        return udp, tcp
    raise OSError(f"no port free for both UDP and TCP on {host}")


class Zone:
    """The answers: one zone, built from the sandbox context."""

    def __init__(self, domain: str, address: str, ns_address: str = "127.0.0.1") -> None:
        self.domain = domain.rstrip(".").lower()
        self.address = address
        self.ns_host = f"ns1.{self.domain}"
        self.ns_address = ns_address

    def answer(self, packet: bytes) -> bytes | None:
        from dnslib import NS, QTYPE, RCODE, RR, SOA, A, DNSRecord

        try:
            request = DNSRecord.parse(packet)
        except Exception:
            return None
        reply = request.reply(ra=1, aa=1)
        qname = str(request.q.qname).rstrip(".").lower()
        qtype = QTYPE[request.q.qtype]
        if qname != self.domain and not qname.endswith("." + self.domain):
            reply.header.aa = 0
            reply.header.rcode = RCODE.REFUSED
            return bytes(reply.pack())
        soa = RR(
            self.domain,
            QTYPE.SOA,
            ttl=TTL,
            rdata=SOA(self.ns_host, f"hostmaster.{self.domain}", (2026010101, 3600, 600, 86400, TTL)),
        )
        records: dict[tuple[str, str], Any] = {
            (self.domain, "A"): A(self.address),
            (self.domain, "NS"): NS(self.ns_host),
            (self.domain, "SOA"): soa.rdata,
            (self.ns_host, "A"): A(self.ns_address),
        }
        names = {name for name, _ in records}
        rdata = records.get((qname, qtype))
        if rdata is not None:
            reply.add_answer(RR(qname, getattr(QTYPE, qtype), ttl=TTL, rdata=rdata))
            if qtype == "NS":
                reply.add_ar(RR(self.ns_host, QTYPE.A, ttl=TTL, rdata=A(self.ns_address)))
        else:
            if qname not in names:
                reply.header.rcode = RCODE.NXDOMAIN
            reply.add_auth(soa)
        return bytes(reply.pack())


class Zones:
    """Several zones on one server (scenario ``fleet``: one per stack); the first answers the rest."""

    def __init__(self, zones: list[Zone]) -> None:
        self.zones = zones

    def answer(self, packet: bytes) -> bytes | None:
        if len(self.zones) > 1:
            from dnslib import DNSRecord

            try:
                qname = str(DNSRecord.parse(packet).q.qname).rstrip(".").lower()
            except Exception:
                return None
            for zone in self.zones:
                if qname == zone.domain or qname.endswith("." + zone.domain):
                    return zone.answer(packet)
        return self.zones[0].answer(packet)


class _Udp(asyncio.DatagramProtocol):
    def __init__(self, zone: Zone | Zones) -> None:
        self.zone = zone
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        reply = self.zone.answer(data)
        if reply is not None and self.transport is not None:
            self.transport.sendto(reply, addr)


class DnsPart:
    """The sandbox's DNS server (tests may place a second one, e.g. on 127.0.0.2 and the same port)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host = host
        self.port = port
        self.zone: Zone | None = None
        self.zones: Zones | None = None
        self._udp: asyncio.DatagramTransport | None = None
        self._tcp: asyncio.Server | None = None

    async def start(self, ctx: SandboxContext) -> None:
        address = STALE_IP if ctx.scenario("dns-mismatch") else ctx.public_ip
        self.zone = Zone(ctx.domain, address)
        zone = self.zones = Zones([self.zone] + [Zone(s.domain, s.public_ip) for s in ctx.fleet])
        udp_sock, tcp_sock = bind_udp_and_tcp(self.host, self.port)
        self.port = udp_sock.getsockname()[1]
        loop = asyncio.get_running_loop()
        self._udp, _ = await loop.create_datagram_endpoint(lambda: _Udp(zone), sock=udp_sock)
        self._tcp = await asyncio.start_server(self._serve_tcp, sock=tcp_sock)

    async def _serve_tcp(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        assert self.zones is not None
        with contextlib.suppress(OSError, asyncio.IncompleteReadError):
            while True:
                (length,) = struct.unpack("!H", await reader.readexactly(2))
                reply = self.zones.answer(await reader.readexactly(length))
                if reply is None:
                    break
                writer.write(struct.pack("!H", len(reply)) + reply)
                await writer.drain()
        writer.close()

    async def stop(self) -> None:
        if self._udp is not None:
            self._udp.close()
        if self._tcp is not None:
            self._tcp.close()
            await self._tcp.wait_closed()

    def settings(self) -> dict[str, dict[str, Any]]:
        return {"dns": {"nameservers": (self.host,), "port": self.port}}
