"""The one free-port helper: a loopback port nothing listens on, for peers that need a number up front.

Servers that can bind port 0 themselves should (the sandbox's DNS, HTTPS and SSH parts do);
this is for the ones configured by a file or a command line (amqtt, mosquitto, sshd, dnsmasq),
and for tests that need a port where nothing answers. Another process may take the port before
it is used: callers bind it soon after.
"""

from __future__ import annotations

import socket

LOOPBACK = "127.0.0.1"


def free_port(*, udp: bool = False) -> int:
    """A free TCP port on loopback; with ``udp=True``, free for UDP too (DNS servers take both)."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
            tcp.bind((LOOPBACK, 0))
            port: int = tcp.getsockname()[1]
            if not udp:
                return port
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as datagram:
                try:
                    datagram.bind((LOOPBACK, port))
                except OSError:
                    continue
                return port
    raise OSError("no free loopback port for both TCP and UDP after 50 tries")
