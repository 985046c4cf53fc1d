"""The sandbox's AWS IoT Core stand-in: an in-process amqtt broker (MQTT 3.1.1) and the uplink simulator.

Two listeners on loopback, both TLS with a certificate from the sandbox CA:

- ``mtls``: MQTT over TLS that requires a client certificate signed by the sandbox CA. amqtt only
  asks for one (CERT_OPTIONAL); :class:`ClientCertificateAuth` refuses the CONNECT without one.
- ``wss``: MQTT over secure websockets, where awscrt's SigV4-signed handshake is accepted as is.

The simulator publishes into the broker at ``iot_rate`` messages a second and reports what it
published to CloudWatch (``AWS/IoT`` metrics) when the AWS part is running.

amqtt has no shared subscriptions: it takes ``$share/<group>/<filter>`` as a literal filter that
matches nothing, so the sandbox supports ``iot.connections = 1`` only, the default (with more, the
console says after 15 s of silence that the broker may lack shared subscriptions).
Shared subscriptions are tested against Debian's mosquitto (tests/e2e/test_iot_e2e.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from amqtt.plugins.base import BaseAuthPlugin

from sandbox.context import SandboxContext
from sandbox.mqtt_relay import Relay
from sandbox.ports import free_port
from sandbox.uplink_metrics import backfill, report_metrics
from sandbox.uplink_sim import UplinkSimulator
from services.core.files import write_private_text

DEFAULT_RATE = 20.0
SESSION_EXPIRY_ENV = "TTES_SANDBOX_SESSION_EXPIRY"  # seconds a closed persistent session is kept
SESSION_EXPIRY_SECONDS = 120
RATE_ENV = "TTES_SANDBOX_UPLINK_RATE"  # messages a second; the benchmark raises it
GATEWAY_DOWN_AFTER = 20.0  # scenario gateway-down: seconds after the start
GATEWAY_DOWN_ENV = "TTES_SANDBOX_GATEWAY_DOWN_AFTER"  # tests shorten it
FLAKY_UP_SECONDS = 5.0
FLAKY_DOWN_SECONDS = 0.5
log = logging.getLogger("sandbox.mqtt")


def session_expiry() -> int:
    """Seconds the broker keeps a disconnected persistent session (and its queued messages)."""
    try:
        return max(1, int(os.environ.get(SESSION_EXPIRY_ENV, SESSION_EXPIRY_SECONDS)))
    except ValueError:
        return SESSION_EXPIRY_SECONDS


class ClientCertificateAuth(BaseAuthPlugin):  # type: ignore[misc]  # amqtt ships no type information
    """Refuse TLS sessions without a client certificate on listeners that trust a client CA."""

    @dataclass
    class Config:
        pass

    async def authenticate(self, *, session: Any) -> bool | None:
        tls = session.ssl_object
        if tls is None:
            return True
        # Only the mTLS listener is configured with a CA for client certificates (cafile).
        wants_client_cert = bool(tls.context.get_ca_certs())
        return bool(tls.getpeercert()) or not wants_client_cert


class MqttPart:
    """Sandbox part: broker + simulator (+ CloudWatch metrics of what was published)."""

    def __init__(
        self, rate: float | None = None, flaky_up: float = FLAKY_UP_SECONDS, flaky_down: float = FLAKY_DOWN_SECONDS
    ) -> None:
        self.flaky_up = flaky_up
        self.flaky_down = flaky_down
        self._relays: list[Relay] = []
        self._closing: list[asyncio.Task[None]] = []
        self.rate = rate if rate is not None else float(os.environ.get(RATE_ENV, DEFAULT_RATE))
        self.broker: Any = None
        self.ctx: SandboxContext | None = None
        self.mtls_port = 0
        self.wss_port = 0
        self.ca_file = ""
        self.cert_file = ""
        self.key_file = ""
        self.server_file = ""
        self.published = 0
        self.dropped_while_down = 0
        self._tasks: list[asyncio.Task[None]] = []
        self.simulator: UplinkSimulator | None = None

    async def start(self, ctx: SandboxContext) -> None:
        self.ctx = ctx
        for name in ("amqtt", "websockets", "transitions"):  # connection chatter must not reach the terminal
            logging.getLogger(name).setLevel(logging.CRITICAL)
            logging.getLogger(name).propagate = False
        ca = ctx.sandbox_ca()
        work = Path(ctx.workdir)
        server = ca.issue_cert("127.0.0.1", "localhost", "mqtt.sandbox.ttes.test")
        self.server_file = str(work / "mqtt-server.pem")
        write_private_text(Path(self.server_file), server.private_key_and_cert_chain_pem.bytes().decode())
        client = ca.issue_cert("ttes-console-operator")
        self.cert_file, self.key_file = str(work / "mqtt-client.pem"), str(work / "mqtt-client.key")
        client.cert_chain_pems[0].write_to_path(self.cert_file)
        write_private_text(Path(self.key_file), client.private_key_pem.bytes().decode())
        self.ca_file = str(ctx.ca_file)
        self.mtls_port, self.wss_port = free_port(), free_port()
        if ctx.scenario("broker-flaky"):
            # Clients connect through relays so a restart can drop them all at once, like a crash.
            self._relays = [Relay(self.mtls_port, 0), Relay(self.wss_port, 0)]
        await self._start_broker()
        for relay in self._relays:
            await relay.start()
        (work / "mqtt.json").write_text(json.dumps(self.describe(), indent=2))
        self.simulator = UplinkSimulator(
            ctx.stack_name,
            garbage=ctx.scenario("uplink-garbage"),
            gateway_down_after=float(os.environ.get(GATEWAY_DOWN_ENV, GATEWAY_DOWN_AFTER))
            if ctx.scenario("gateway-down")
            else None,
        )
        self._tasks.append(asyncio.create_task(self._simulate(), name="sandbox-uplinks"))
        if ctx.scenario("broker-flaky"):
            self._tasks.append(asyncio.create_task(self._flaky(), name="sandbox-broker-flaky"))
        if ctx.endpoint_url and await backfill(ctx, self.rate):
            self._tasks.append(asyncio.create_task(report_metrics(ctx, self), name="sandbox-iot-metrics"))

    def describe(self) -> dict[str, Any]:
        """Both listeners, for tests and for operators who want the other auth mode."""
        return {
            "endpoint": "127.0.0.1",
            "mtls_port": self.mtls_port,
            "wss_port": self.wss_port,
            "ca_file": self.ca_file,
            "cert_file": self.cert_file,
            "key_file": self.key_file,
        }

    def _broker_config(self, mtls_port: int, wss_port: int) -> dict[str, Any]:
        return {
            "listeners": {
                "default": {"type": "tcp", "bind": None},  # unbound: only holds defaults the others inherit
                "mtls": {
                    "type": "tcp",
                    "bind": f"127.0.0.1:{mtls_port}",
                    "ssl": True,
                    "cafile": self.ca_file,
                    "certfile": self.server_file,
                    "keyfile": self.server_file,
                },
                "wss": {
                    "type": "ws",
                    "bind": f"127.0.0.1:{wss_port}",
                    "ssl": True,
                    "certfile": self.server_file,
                    "keyfile": self.server_file,
                },
            },
            "plugins": {f"{__name__}.ClientCertificateAuth": {}},
            # A console subscribes with a persistent session under a fresh client id each run; the
            # broker queues every uplink for each closed one until the session expires. AWS IoT
            # expires them after an hour; the sandbox sooner, or a long-running sandbox serving
            # consoles grows by every queue (hundreds of MB in half an hour).
            "session_expiry_interval": session_expiry(),
        }

    async def _start_broker(self) -> None:
        from amqtt.broker import Broker

        if self._relays:
            ports = [free_port(), free_port()]
            for relay, port in zip(self._relays, ports, strict=True):
                relay.target = port
        else:
            ports = [self.mtls_port, self.wss_port]
        # A fresh broker each time: like a restarted AWS IoT endpoint, it forgets every session.
        broker = Broker(self._broker_config(*ports))
        await broker.start()
        self.broker = broker

    async def _stop_broker(self) -> None:
        broker, self.broker = self.broker, None
        if broker is not None:
            with contextlib.suppress(Exception):
                await broker.shutdown()

    async def restart_broker(self) -> None:
        """Crash: drop every connection and session, stay down a moment, then listen again."""
        if not self._relays:
            await self._stop_broker()
            await asyncio.sleep(self.flaky_down)
            await self._start_broker()
            return
        old, self.broker = self.broker, None
        for relay in self._relays:
            relay.accepting = False
            relay.drop_all()
        if old is not None:  # its sessions wait for close handshakes that will never come: not our problem now
            closing = asyncio.create_task(self._shutdown_quietly(old))
            self._closing.append(closing)
            closing.add_done_callback(self._forget_closing)
        await asyncio.sleep(self.flaky_down)
        await self._start_broker()
        for relay in self._relays:
            relay.accepting = True

    def _forget_closing(self, task: asyncio.Task[None]) -> None:
        if task in self._closing:
            self._closing.remove(task)

    @staticmethod
    async def _shutdown_quietly(broker: Any) -> None:
        with contextlib.suppress(Exception):
            await broker.shutdown()

    async def _flaky(self) -> None:
        while True:
            await asyncio.sleep(self.flaky_up)
            await self.restart_broker()

    async def publish(self, topic: str, payload: bytes) -> None:
        broker = self.broker
        if broker is None:
            self.dropped_while_down += 1  # the stack published; nobody was listening
            return
        try:
            await broker.internal_message_broadcast(topic, payload, 1)
            self.published += 1
        except Exception:
            self.dropped_while_down += 1

    async def _simulate(self) -> None:
        assert self.simulator is not None
        try:
            await self.simulator.run(self.publish, self.rate, clock=time.time, sleep=asyncio.sleep)
        except Exception:
            log.exception("uplink simulator stopped")

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        for relay in self._relays:
            await relay.stop()
        for task in self._closing:
            task.cancel()
        await asyncio.gather(*self._closing, return_exceptions=True)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stop_broker(), 5)

    def settings(self) -> dict[str, dict[str, Any]]:
        return {
            "iot": {
                "auth": "websocket",
                "endpoint": "127.0.0.1",
                "port": self.wss_port,
                "ca_file": self.ca_file,
                "cert_file": self.cert_file,
                "key_file": self.key_file,
            }
        }
