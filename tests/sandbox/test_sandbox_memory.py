"""The sandbox stays bounded while it serves consoles: closed persistent sessions expire with their queues."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from amqtt.client import MQTTClient

from sandbox.core import SandboxContext
from sandbox.mqtt import SESSION_EXPIRY_ENV, MqttPart


async def test_a_closed_consoles_session_and_its_queue_expire(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SESSION_EXPIRY_ENV, "2")
    part = MqttPart(rate=100.0)
    await part.start(SandboxContext(workdir=tmp_path, scenarios=frozenset(), stack_name="ttes-demo"))
    try:
        # What a console does: a persistent session (clean_session=False), QoS 1, then it goes away.
        client = MQTTClient(client_id="closed-console", config={"auto_reconnect": False, "connection": {
            "uri": f"mqtts://127.0.0.1:{part.mtls_port}/", "cafile": part.ca_file,
            "certfile": part.cert_file, "keyfile": part.key_file}})
        await client.connect(cleansession=False)
        await client.subscribe([("lorawan/#", 1)])
        await client.disconnect()
        sessions = part.broker._sessions  # the broker's own table: what it holds for closed clients
        await asyncio.sleep(0.5)
        assert sessions["closed-console"][0].retained_messages.qsize() > 0  # queued while it is away
        for _ in range(100):
            if "closed-console" not in part.broker._sessions:
                break
            await asyncio.sleep(0.1)
        assert "closed-console" not in part.broker._sessions
    finally:
        await part.stop()
