"""End-to-end tier: the mTLS uplink feed against Debian's mosquitto with ``require_certificate true``.

The fixture starts ``mosquitto`` on a loopback port with trustme certificates; the test skips when
the binary is absent (``apt-get install mosquitto``). Debian's build has no websocket listener, so
the websocket mode is covered against the sandbox broker (tests/uplinks/test_iot.py).
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme

from sandbox.ports import free_port
from sandbox.uplink_sim import UplinkSimulator
from services.core.config import IotSettings, Profile
from services.core.errors import AuthFailed
from services.uplinks.devices import DeviceTracker, Seen
from services.uplinks.feed import UplinkFeed
from services.uplinks.model import Uplink
from services.uplinks.parse import parse_message
from tests.e2e.peers import binary, running_peer, tcp_open

pytestmark = pytest.mark.e2e


@dataclasses.dataclass(frozen=True)
class Mosquitto:
    port: int
    ca_file: str
    cert_file: str
    key_file: str
    workdir: Path
    ca: trustme.CA


@pytest.fixture
def mosquitto(tmp_path: Path) -> Iterator[Mosquitto]:
    exe = binary("mosquitto", "/usr/sbin/mosquitto")
    ca = trustme.CA()
    ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    server = ca.issue_cert("127.0.0.1", "localhost")
    server.cert_chain_pems[0].write_to_path(str(tmp_path / "server.pem"))
    server.private_key_pem.write_to_path(str(tmp_path / "server.key"))
    client = ca.issue_cert("ttes-console-e2e", common_name="ttes-console-e2e")  # mosquitto: username = CN
    client.cert_chain_pems[0].write_to_path(str(tmp_path / "client.pem"))
    client.private_key_pem.write_to_path(str(tmp_path / "client.key"))
    port = free_port()
    conf = tmp_path / "mosquitto.conf"
    conf.write_text(
        f"listener {port} 127.0.0.1\n"
        f"cafile {tmp_path / 'ca.pem'}\ncertfile {tmp_path / 'server.pem'}\nkeyfile {tmp_path / 'server.key'}\n"
        "require_certificate true\nuse_identity_as_username true\nallow_anonymous false\n"
        "persistence false\nlog_dest stderr\nlog_type error\nuser root\n"
    )
    with running_peer("mosquitto", [exe, "-c", str(conf)], lambda: tcp_open(port), tmp_path / "mosquitto.log"):
        yield Mosquitto(
            port, str(tmp_path / "ca.pem"), str(tmp_path / "client.pem"), str(tmp_path / "client.key"), tmp_path, ca
        )


def profile_for(m: Mosquitto, **changes: object) -> Profile:
    iot = IotSettings(
        auth="mtls", endpoint="127.0.0.1", port=m.port, ca_file=m.ca_file, cert_file=m.cert_file, key_file=m.key_file
    )
    return Profile(name="e2e", stack="ttes-demo", iot=dataclasses.replace(iot, **changes))  # type: ignore[arg-type]


def _publisher(m: Mosquitto) -> object:
    from awsiot import mqtt_connection_builder

    connection = mqtt_connection_builder.mtls_from_path(
        cert_filepath=m.cert_file,
        pri_key_filepath=m.key_file,
        endpoint="127.0.0.1",
        port=m.port,
        client_id="e2e-publisher",
        ca_filepath=m.ca_file,
        enable_metrics_collection=False,
        clean_session=True,
    )
    connection.connect().result(10)
    return connection


async def test_mtls_feed_against_mosquitto_requiring_certificates(mosquitto: Mosquitto) -> None:
    from awscrt import mqtt

    sim = UplinkSimulator("ttes-demo", seed=7)
    async with UplinkFeed(profile_for(mosquitto)) as feed:
        publisher = await asyncio.to_thread(_publisher, mosquitto)
        for _ in range(200):
            topic, payload = sim.next_message(time.time())
            publisher.publish(topic, payload, mqtt.QoS.AT_LEAST_ONCE)  # type: ignore[attr-defined]
        got: list[Uplink] = []
        async with asyncio.timeout(20):
            async for batch in feed.batches():
                got += batch.uplinks
                if len(got) >= 200:
                    break
        await asyncio.to_thread(lambda: publisher.disconnect().result(5))  # type: ignore[attr-defined]
    assert len(got) == 200 and all(u.ok for u in got)
    tracker = DeviceTracker()
    assert Seen.DUPLICATE not in {tracker.observe(u).seen for u in got}


async def test_wrong_server_ca_is_one_sentence(mosquitto: Mosquitto) -> None:
    other = mosquitto.workdir / "other-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(other))
    with pytest.raises(AuthFailed, match="does not trust"):
        async with UplinkFeed(profile_for(mosquitto, ca_file=str(other))):
            pass


async def test_client_certificate_from_another_ca_is_refused_in_one_sentence(mosquitto: Mosquitto) -> None:
    stranger = trustme.CA().issue_cert("stranger")
    cert, key = mosquitto.workdir / "stranger.pem", mosquitto.workdir / "stranger.key"
    stranger.cert_chain_pems[0].write_to_path(str(cert))
    stranger.private_key_pem.write_to_path(str(key))
    with pytest.raises(AuthFailed, match="refused"):
        async with UplinkFeed(profile_for(mosquitto, cert_file=str(cert), key_file=str(key))):
            pass


async def test_two_connections_share_the_subscription_and_every_uplink_arrives_once(mosquitto: Mosquitto) -> None:
    from awscrt import mqtt

    sim = UplinkSimulator("ttes-demo", seed=11)
    sent = [sim.next_message(time.time()) for _ in range(400)]
    async with UplinkFeed(profile_for(mosquitto, connections=2)) as feed:
        filters = {c.topic_filter for c in feed.status().connections}
        assert len(feed.status().connections) == 2 and len(filters) == 1 and filters.pop().startswith("$share/")
        publisher = await asyncio.to_thread(_publisher, mosquitto)
        for topic, payload in sent:
            publisher.publish(topic, payload, mqtt.QoS.AT_LEAST_ONCE)  # type: ignore[attr-defined]
        got: list[Uplink] = []
        async with asyncio.timeout(20):
            async for batch in feed.batches():
                got += batch.uplinks
                if len(got) >= len(sent):
                    break
        await asyncio.sleep(0.5)  # a copy delivered to both connections would arrive now
        got += (await anext(feed.batches(max_wait=0, idle=0.1))).uplinks
        status = feed.status()
        await asyncio.to_thread(lambda: publisher.disconnect().result(5))  # type: ignore[attr-defined]
    keys = sorted((u.device_id, u.f_cnt) for u in got)
    expected = sorted((u.device_id, u.f_cnt) for u in (parse_message(t, p) for t, p in sent))
    assert keys == expected  # every uplink, each exactly once
    per_connection = [c.received for c in status.connections]
    assert sum(per_connection) == len(sent) and all(n > 0 for n in per_connection), per_connection


async def test_the_uplinks_tab_reports_each_connections_rate(mosquitto: Mosquitto) -> None:
    import re
    import threading

    from awscrt import mqtt
    from textual.app import App, ComposeResult

    from tui.panes.uplinks import UplinksPane

    pane = UplinksPane(profile_for(mosquitto, connections=2))

    class PaneApp(App[None]):
        def compose(self) -> ComposeResult:
            yield pane

    stop = threading.Event()

    def publish() -> None:
        sim = UplinkSimulator("ttes-demo", seed=5)
        publisher = _publisher(mosquitto)
        while not stop.is_set():
            topic, payload = sim.next_message(time.time())
            publisher.publish(topic, payload, mqtt.QoS.AT_LEAST_ONCE)  # type: ignore[attr-defined]
            time.sleep(0.005)
        publisher.disconnect().result(5)  # type: ignore[attr-defined]

    async with PaneApp().run_test(size=(200, 30)) as pilot:
        async with asyncio.timeout(20):
            while pane.state != "connected":
                await pilot.pause(0.05)
        thread = threading.Thread(target=publish)
        thread.start()
        try:
            async with asyncio.timeout(20):
                while not re.search(r"per connection [1-9]\d*/[1-9]\d*", pane.header_text()[0]):
                    await pilot.pause(0.1)
        finally:
            stop.set()
            await asyncio.to_thread(thread.join, 10)
    assert pane.total > 0 and pane.duplicates == 0
