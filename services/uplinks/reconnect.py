"""When the uplink feed reconnects: a back-off that starts small again once a connection held.

awscrt's own reconnect delay doubles from its minimum (whole seconds) to its maximum and, with a
broker that never stays up long, never comes back down: every short outage then cost the full
maximum, and the uplinks published meanwhile were lost although the broker was back. The feed
therefore stops awscrt's attempts (``disconnect()``, as awscrt documents) and reconnects itself
on this schedule: a tenth of a second first, doubling to ten seconds while attempts fail, and
back to the first delay once a connection has stayed up for a few seconds.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable

FIRST_SECONDS = 0.1
MAX_SECONDS = 10.0
STABLE_SECONDS = 3.0  # connected this long: the next loss starts again from FIRST_SECONDS


class Backoff:
    """Delays before reconnect attempts of one connection."""

    def __init__(
        self,
        first: float = FIRST_SECONDS,
        maximum: float = MAX_SECONDS,
        stable: float = STABLE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.first = first
        self.maximum = maximum
        self.stable = stable
        self.clock = clock
        self.delay = first
        self.connected_at: float | None = None

    def connected(self) -> None:
        """A connection (or reconnection) succeeded now."""
        self.connected_at = self.clock()

    def lost(self) -> None:
        """The connection dropped: a connection that had held a while resets the delay."""
        if self.connected_at is not None and self.clock() - self.connected_at >= self.stable:
            self.delay = self.first
        self.connected_at = None

    def next_delay(self) -> float:
        """Seconds to wait before the next attempt (with ±20 % jitter); later attempts wait longer."""
        delay = self.delay
        self.delay = min(self.delay * 2, self.maximum)
        return delay * random.uniform(0.8, 1.2)
