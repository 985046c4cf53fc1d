"""The live uplink feed from AWS IoT Core (awsiotsdk, MQTT 3.1.1 client).

Why the 3.1.1 client: measured here, awscrt's 3.1.1 client takes 8.7–10.4k msg/s at QoS 1
where its MQTT 5 client with AWS flow-control defaults takes 2.4k, and AWS IoT Core (like the
sandbox broker) needs nothing from MQTT 5 for a subscriber.

awscrt calls back on its own threads. The callback parses the message there (in a flood,
parsing on the event loop left keys waiting behind it) and puts the :class:`Uplink` into
a bounded deque; when it is full the callback waits up to a second (TCP backpressure: the broker
queues), then drops and counts the message in ``dropped``. The event loop is woken with
``call_soon_threadsafe`` only when it is not already awake, so a flood costs one wake-up per
batch rather than per message.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

from services.core.config import Profile
from services.core.errors import AuthFailed, Unreachable
from services.uplinks.connect import await_crt, connect_error, credentials_provider, preflight_tls
from services.uplinks.model import Uplink
from services.uplinks.parse import MAX_RAW_CHARS, parse_message
from services.uplinks.reconnect import Backoff
from services.uplinks.topics import client_id, connection_filters, resolve_endpoint, topic_filter

__all__ = [
    "FeedStatus",
    "UplinkBatch",
    "UplinkFeed",
    "connection_filters",
    "resolve_endpoint",
    "silence_hint",
    "topic_filter",
]

AWS_CONNECTION_CAP = 100  # messages a second AWS IoT Core delivers to one connection (not adjustable)
QUEUE_LIMIT = 20_000
BACKPRESSURE_SECONDS = 1.0
BATCH_ITEMS = 500
BATCH_SECONDS = 0.05
CONNECT_TIMEOUT = 20.0
# The broker's PINGRESP queues behind every message it has for us: in a flood (or while this client
# holds awscrt's thread for backpressure) awscrt's 3 s default expired, and it dropped a working
# connection, which then redelivered its unacknowledged messages. Under keep_alive_secs, as awscrt requires.
PING_TIMEOUT_MS = 30_000
RECONNECT_SECONDS = 1  # awscrt's own attempts, until the feed's (services.uplinks.reconnect) take over
SHARED_SILENCE_SECONDS = 15.0  # see silence_hint


@dataclass(frozen=True)
class ConnectionStatus:
    """One MQTT connection of the feed."""

    index: int
    client_id: str
    topic_filter: str
    state: str = "connecting"  # connecting | connected | reconnecting | failed | closed
    detail: str = ""
    received: int = 0
    reconnects: int = 0


@dataclass(frozen=True)
class FeedStatus:
    """Where the feed stands: endpoint, every connection, and what was lost locally."""

    endpoint: str
    port: int
    auth: str
    connections: tuple[ConnectionStatus, ...]
    received: int
    dropped: int

    @property
    def state(self) -> str:
        states = {c.state for c in self.connections}
        for s in ("failed", "reconnecting", "connecting"):
            if s in states:
                return s
        return "connected" if states == {"connected"} else (states.pop() if len(states) == 1 else "partial")


@dataclass(frozen=True)
class UplinkBatch:
    """Uplinks that arrived together (≤ 50 ms or ≤ 500), with the feed's status at that moment."""

    uplinks: tuple[Uplink, ...]
    status: FeedStatus
    at: float = field(default_factory=time.time)


def silence_hint(status: FeedStatus, quiet_for: float, after: float = SHARED_SILENCE_SECONDS) -> str:
    """One sentence when N shared-subscription connections have received nothing for a while, else ''.

    A broker without shared subscriptions (amqtt, the sandbox's; mosquitto before 1.6) accepts
    ``$share/<group>/<filter>`` as a literal filter that matches nothing, so the feed would stay
    silently empty.
    """
    n = len(status.connections)
    if n < 2 or status.received or quiet_for < after:
        return ""
    return (
        f"Nothing has arrived on any of the {n} connections in {quiet_for:.0f} s: if devices are sending, this "
        "broker may not support shared subscriptions ($share/…), so set iot.connections = 1."
    )


class UplinkFeed:
    """``async with UplinkFeed(profile) as feed: async for batch in feed.batches(): …``"""

    def __init__(
        self,
        profile: Profile,
        *,
        app: str | None = None,
        device: str | None = None,
        queue_limit: int = QUEUE_LIMIT,
        connections: int | None = None,
    ) -> None:
        self.profile = profile
        self.base_filter = topic_filter(profile, app, device)
        self.connections = max(1, connections if connections is not None else profile.iot.connections)
        self.queue_limit = queue_limit
        self.endpoint = profile.iot.endpoint
        self.dropped = 0
        self._pending: deque[Uplink] = deque()
        self._space = threading.Condition(threading.Lock())
        self._closing = False
        self._woken = False
        self._wake = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._mqtt: list[Any] = []
        self._status: list[ConnectionStatus] = []
        self._received: list[int] = []
        self._backoff: list[Backoff] = []
        self._reconnecting: dict[int, asyncio.Task[None]] = {}

    def status(self) -> FeedStatus:
        statuses = tuple(
            ConnectionStatus(
                s.index, s.client_id, s.topic_filter, s.state, s.detail, self._received[s.index], s.reconnects
            )
            for s in self._status
        )
        return FeedStatus(
            self.endpoint, self.profile.iot.port, self.profile.iot.auth, statuses, sum(self._received), self.dropped
        )

    async def __aenter__(self) -> UplinkFeed:
        await self.connect()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def connect(self, on_status: Callable[[FeedStatus], None] | None = None) -> None:
        """Resolve the endpoint, check TLS, connect every connection and subscribe."""
        self._loop = asyncio.get_running_loop()
        filters = connection_filters(self.base_filter, self.connections)
        self._status = [ConnectionStatus(i, client_id(i), f) for i, f in enumerate(filters)]
        self._received = [0] * len(filters)
        self._backoff = [Backoff() for _ in filters]
        if on_status:
            on_status(self.status())
        self.endpoint = await resolve_endpoint(self.profile)
        await preflight_tls(self.profile, self.endpoint)
        credentials = (
            await asyncio.to_thread(credentials_provider, self.profile)
            if self.profile.iot.auth == "websocket"
            else None
        )
        try:
            for status in self._status:
                # In a thread: the first build imports awsiot and makes a TLS context, which would hold the
                # event loop while the console draws its first frames.
                self._mqtt.append(await asyncio.to_thread(self._build, status, credentials))
                await self._connect_one(status.index)
                if on_status:
                    on_status(self.status())
        except BaseException:
            await self.close()
            raise

    def _build(self, status: ConnectionStatus, credentials: Any) -> Any:
        from awsiot import mqtt_connection_builder

        iot = self.profile.iot
        index = status.index
        common: dict[str, Any] = dict(
            endpoint=self.endpoint,
            port=iot.port,
            client_id=status.client_id,
            ca_filepath=iot.ca_file or None,
            clean_session=False,
            keep_alive_secs=60,
            ping_timeout_ms=PING_TIMEOUT_MS,
            reconnect_min_timeout_secs=RECONNECT_SECONDS,
            reconnect_max_timeout_secs=RECONNECT_SECONDS,
            enable_metrics_collection=False,
            on_connection_interrupted=lambda connection, error, **kw: self._interrupted(index, error),
            on_connection_resumed=lambda connection, return_code, session_present, **kw: self._resumed(
                index, connection, session_present
            ),
        )
        if iot.auth == "mtls":
            return mqtt_connection_builder.mtls_from_path(
                cert_filepath=iot.cert_file, pri_key_filepath=iot.key_file, **common
            )
        return mqtt_connection_builder.websockets_with_default_aws_signing(
            region=self.profile.region, credentials_provider=credentials, **common
        )

    async def _connect_one(self, index: int) -> None:

        connection = self._mqtt[index]
        where = f"{self.endpoint}:{self.profile.iot.port}"
        try:
            await await_crt(connection.connect(), CONNECT_TIMEOUT)
        except TimeoutError:
            raise Unreachable(
                f"The IoT endpoint {where} did not complete the MQTT connection within {CONNECT_TIMEOUT:.0f} s."
            ) from None
        except Exception as exc:
            raise connect_error(exc, where, self.profile.iot.auth) from None
        self._set(index, "connected", "")
        self._backoff[index].connected()
        await self._subscribe(index)

    async def _subscribe(self, index: int) -> None:
        from awscrt import mqtt

        connection = self._mqtt[index]
        where = f"{self.endpoint}:{self.profile.iot.port}"
        # A (topic, payload) callback: awscrt then skips building a QoS enum and keywords for every message.
        future, _ = connection.subscribe(
            self._status[index].topic_filter, mqtt.QoS.AT_LEAST_ONCE, functools.partial(self._on_message, index)
        )
        try:
            await await_crt(future, CONNECT_TIMEOUT)
        except Exception as exc:
            raise AuthFailed(
                f"The IoT endpoint {where} refused the subscription to "
                f"{self._status[index].topic_filter}: {exc or type(exc).__name__}; "
                "check the iot:Subscribe and iot:Receive permissions."
            ) from None

    def _set(self, index: int, state: str, detail: str, *, reconnected: bool = False) -> None:
        old = self._status[index]
        self._status[index] = ConnectionStatus(
            old.index, old.client_id, old.topic_filter, state, detail, 0, old.reconnects + (1 if reconnected else 0)
        )
        self._notify()

    def _interrupted(self, index: int, error: Any) -> None:
        # On awscrt's thread. Its own attempts wait whole seconds and never wait less again: ours take over.
        self._set(index, "reconnecting", str(error))
        loop = self._loop
        if loop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(self._start_reconnect, index)

    def _start_reconnect(self, index: int) -> None:
        task = self._reconnecting.get(index)
        if self._closing or (task is not None and not task.done()) or index >= len(self._mqtt):
            return
        self._backoff[index].lost()
        self._reconnecting[index] = asyncio.create_task(self._reconnect(index), name=f"uplinks-reconnect-{index}")

    async def _reconnect(self, index: int) -> None:
        """Stop awscrt's attempts, then connect on the feed's back-off until it holds (or the feed closes)."""
        connection = self._mqtt[index]
        with contextlib.suppress(Exception):
            await await_crt(connection.disconnect(), 5)
        while not self._closing:
            await asyncio.sleep(self._backoff[index].next_delay())
            if self._closing:
                return
            try:
                answer = await await_crt(connection.connect(), CONNECT_TIMEOUT)
                if not answer.get("session_present"):  # a new session: the broker forgot the subscription
                    await self._subscribe(index)
            except Exception as exc:  # refused, timed out, or the broker fell again meanwhile: wait longer
                self._set(index, "reconnecting", str(exc) or type(exc).__name__)
                with contextlib.suppress(Exception):
                    await await_crt(connection.disconnect(), 5)
                continue
            self._backoff[index].connected()
            self._set(index, "connected", "", reconnected=True)
            return

    def _resumed(self, index: int, connection: Any, session_present: bool) -> None:
        # The broker forgot our subscription (new session): awscrt does not restore it by itself.
        if not session_present:
            connection.resubscribe_existing_topics()
        self._set(index, "connected", "", reconnected=True)

    def _on_message(self, index: int, topic: str, payload: bytes) -> None:
        arrived = time.time()
        try:  # on awscrt's thread, outside the lock; an exception here would lose the message unseen
            uplink = parse_message(topic, payload, arrived)
        except Exception as exc:  # parse_message is not meant to raise: keep the message as broken
            uplink = Uplink(
                topic=topic,
                arrived=arrived,
                problems=(f"could not be parsed ({exc!r:.80})",),
                raw=bytes(payload[:MAX_RAW_CHARS]).decode("utf-8", "replace"),
            )
        with self._space:
            self._received[index] += 1
            if self._closing:
                return
            if len(self._pending) >= self.queue_limit:
                # Hold awscrt's thread a moment: TCP backpressure makes the broker queue for us. Not longer,
                # or its keep-alive pings starve and the connection drops.
                self._space.wait_for(
                    lambda: len(self._pending) < self.queue_limit or self._closing, BACKPRESSURE_SECONDS
                )
                if self._closing:
                    return
                if len(self._pending) >= self.queue_limit:
                    self.dropped += 1
                    return
            self._pending.append(uplink)
            if self._woken:
                return
            self._woken = True
        self._notify()

    def _notify(self) -> None:
        loop = self._loop
        if loop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(self._wake.set)

    def _take(self, limit: int) -> list[Uplink]:
        with self._space:
            n = min(limit, len(self._pending))
            items = [self._pending.popleft() for _ in range(n)]
            if not self._pending:
                self._woken = False
            if n:
                self._space.notify_all()
            return items

    async def batches(
        self, max_items: int = BATCH_ITEMS, max_wait: float = BATCH_SECONDS, idle: float = 1.0
    ) -> AsyncIterator[UplinkBatch]:
        """Batches of parsed uplinks; an empty batch every ``idle`` seconds carries the status alone."""
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), idle)
            self._wake.clear()
            items = self._take(max_items)
            if items and len(items) < max_items and max_wait > 0:
                await asyncio.sleep(max_wait)  # let the batch fill: fewer, larger repaints
                items += self._take(max_items - len(items))
            if self._pending:
                self._wake.set()
            yield UplinkBatch(tuple(items), self.status())

    async def close(self) -> None:
        for task in self._reconnecting.values():
            task.cancel()
        self._reconnecting.clear()
        with self._space:
            self._closing = True  # callbacks stop waiting for room: awscrt's thread must reach the DISCONNECT
            self._pending.clear()
            self._space.notify_all()
        connections, self._mqtt = self._mqtt, []
        # Start every DISCONNECT before awaiting any: a caller cancelled again while waiting (a worker at app exit)
        # must not leave the other connections open for the broker to time out.
        pending = []
        for connection in connections:
            with contextlib.suppress(Exception):
                pending.append(connection.disconnect())
        for future in pending:
            with contextlib.suppress(Exception):
                await await_crt(future, 5)
        for i in range(len(self._status)):
            self._set(i, "closed", "")
