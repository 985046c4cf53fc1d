"""The uplink feed's reconnect back-off: small first, growing while attempts fail, reset once a connection held."""

from __future__ import annotations

from services.uplinks.reconnect import Backoff


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_delays_grow_while_attempts_fail_up_to_the_maximum() -> None:
    backoff = Backoff(first=0.1, maximum=1.0, stable=3.0, clock=Clock())
    delays = [backoff.next_delay() for _ in range(8)]
    nominal = [0.1, 0.2, 0.4, 0.8, 1.0, 1.0, 1.0, 1.0]
    assert all(0.8 * n <= d <= 1.2 * n for d, n in zip(delays, nominal, strict=True)), delays


def test_a_connection_that_held_resets_the_delay() -> None:
    clock = Clock()
    backoff = Backoff(first=0.1, maximum=10.0, stable=3.0, clock=clock)
    for _ in range(5):
        backoff.next_delay()
    backoff.connected()
    clock.now += 5.0  # up longer than the stable period (the broker-flaky scenario: 5 s up)
    backoff.lost()
    assert backoff.next_delay() <= 0.12


def test_a_connection_that_fell_at_once_keeps_the_longer_delay() -> None:
    clock = Clock()
    backoff = Backoff(first=0.1, maximum=10.0, stable=3.0, clock=clock)
    for _ in range(5):
        backoff.next_delay()
    backoff.connected()
    clock.now += 0.5  # a broker that accepts and drops at once must not be hammered
    backoff.lost()
    assert backoff.next_delay() >= 0.8 * 3.2
