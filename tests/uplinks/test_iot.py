"""The IoT feed against the sandbox broker over real sockets: both auth modes, failures, restarts."""

from __future__ import annotations

import asyncio
import dataclasses
import socket
import ssl
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import trustme

from sandbox.core import SandboxContext
from sandbox.mqtt import MqttPart
from sandbox.ports import free_port
from services.core.config import IotSettings, Profile
from services.core.errors import AuthFailed, ConfigError, Unreachable
from services.uplinks.devices import DeviceTracker, Seen
from services.uplinks.feed import UplinkFeed, connection_filters, topic_filter
from services.uplinks.model import Uplink

pytestmark = pytest.mark.usefixtures("fake_aws_credentials")


def profile_for(part: MqttPart, auth: str = "websocket", **changes: object) -> Profile:
    values = {**part.settings()["iot"], "auth": auth, "port": part.wss_port if auth == "websocket" else part.mtls_port}
    iot = dataclasses.replace(IotSettings(), **{**values, **changes})
    return Profile(name="test", stack="ttes-demo", region="eu-west-1", iot=iot)


async def collect(feed: UplinkFeed, count: int) -> list[Uplink]:
    got: list[Uplink] = []
    async with asyncio.timeout(30):
        async for batch in feed.batches():
            got += batch.uplinks
            if len(got) >= count:
                return got
    return got


@pytest.mark.parametrize("auth", ["websocket", "mtls"])
async def test_both_auth_modes_receive_parsed_uplinks(broker: MqttPart, auth: str) -> None:
    states: list[str] = []
    feed = UplinkFeed(profile_for(broker, auth))
    await feed.connect(lambda status: states.append(status.state))
    try:
        uplinks = await collect(feed, 60)
    finally:
        await feed.close()
    assert states[0] == "connecting" and states[-1] == "connected"
    assert all(u.ok for u in uplinks)
    tracker = DeviceTracker()
    assert {tracker.observe(u).seen for u in uplinks} <= {Seen.FIRST, Seen.NEXT, Seen.RESET}
    assert len({u.application_id for u in uplinks}) == 3


async def test_app_filter_narrows_the_subscription(broker: MqttPart) -> None:
    async with UplinkFeed(profile_for(broker), app="climate-sensors") as feed:
        uplinks = await collect(feed, 20)
    assert {u.application_id for u in uplinks} == {"climate-sensors"}
    assert {u.topic.split("/")[2] for u in uplinks} == {"climate-sensors"}


async def test_wrong_ca_is_one_sentence(broker: MqttPart, tmp_path: Path) -> None:
    other = tmp_path / "other-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(other))
    with pytest.raises(AuthFailed, match="does not trust"):
        async with UplinkFeed(profile_for(broker, "mtls", ca_file=str(other))):
            pass


async def test_mtls_without_client_certificate_is_one_sentence(broker: MqttPart) -> None:
    with pytest.raises(ConfigError, match="client certificate"):
        async with UplinkFeed(profile_for(broker, "mtls", cert_file="", key_file="")):
            pass


def _mqtt_connect_without_certificate(port: int, ca_file: str) -> int:
    context = ssl.create_default_context(cafile=ca_file)
    with (
        socket.create_connection(("127.0.0.1", port), 5) as raw,
        context.wrap_socket(raw, server_hostname="127.0.0.1") as s,
    ):
        client_id = b"no-cert"
        body = b"\x00\x04MQTT\x04\x02\x00\x3c" + len(client_id).to_bytes(2, "big") + client_id
        s.sendall(b"\x10" + bytes([len(body)]) + body)
        connack = s.recv(4)
    return connack[3]


async def test_sandbox_broker_refuses_tls_clients_without_a_certificate(broker: MqttPart) -> None:
    code = await asyncio.to_thread(_mqtt_connect_without_certificate, broker.mtls_port, broker.ca_file)
    assert code == 5  # CONNACK: not authorized


async def test_nothing_listening_is_unreachable(broker: MqttPart) -> None:
    port = free_port()
    with pytest.raises(Unreachable, match="Cannot reach"):
        async with UplinkFeed(profile_for(broker, port=port)):
            pass


@pytest.fixture
async def flaky_broker(tmp_path: Path) -> AsyncIterator[MqttPart]:
    part = MqttPart(rate=100.0, flaky_up=3600.0, flaky_down=0.5)
    await part.start(SandboxContext(workdir=tmp_path, scenarios=frozenset({"broker-flaky"}), stack_name="ttes-demo"))
    yield part
    await part.stop()


@pytest.mark.parametrize("auth", ["websocket", "mtls"])
async def test_feed_resumes_after_a_broker_crash_without_duplicates(flaky_broker: MqttPart, auth: str) -> None:
    broker = flaky_broker
    async with UplinkFeed(profile_for(broker, auth)) as feed:
        before = await collect(feed, 30)
        await broker.restart_broker()
        states: list[str] = []
        after: list[Uplink] = []
        async with asyncio.timeout(30):
            async for batch in feed.batches():
                states.append(batch.status.state)
                after += batch.uplinks
                if batch.status.connections[0].reconnects and len(after) >= 30:
                    break
    assert "reconnecting" in states
    assert max(u.arrived for u in after) > max(u.arrived for u in before)
    pairs = [(u.device_id, u.f_cnt) for u in before + after]
    assert len(set(pairs)) == len(pairs)


async def test_a_full_queue_counts_drops(broker: MqttPart) -> None:
    async with UplinkFeed(profile_for(broker), queue_limit=5) as feed:
        await asyncio.sleep(2.5)  # full after 50 ms; each late message waits 1 s for room, then is dropped
        batch = await anext(feed.batches(max_wait=0))
    assert len(batch.uplinks) == 5 and batch.status.dropped > 0
    assert batch.status.received >= batch.status.dropped + 5


def test_topic_filters() -> None:
    profile = Profile(name="t", stack="prod")
    assert topic_filter(profile) == "lorawan/prod/+/things/+/up"
    assert topic_filter(profile, app="a", device="d") == "lorawan/prod/a/things/d/up"
    filters = connection_filters("lorawan/prod/+/things/+/up", 3)
    assert len(set(filters)) == 1 and filters[0].startswith("$share/") and len(filters) == 3
