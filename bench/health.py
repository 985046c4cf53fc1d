"""Wall time of one round of health checks (concurrent, as the pane and `check` run them) vs the same checks one by one.

Peers: the sandbox's DNS and web parts and an asyncssh server in this process, on loopback (they share
the event loop with the checks, so with instant peers concurrency cannot win; across a real network
it overlaps the round trips).
Also times one round where every peer hangs (0.5 s timeouts): with concurrency the round costs
about the slowest check, not the sum. Prints medians; asserts nothing about time.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from services.core.config import Profile
from services.health import run as health
from services.stack.model import Stack
from tests.health_sandbox import health_peers, silent_tcp, silent_udp, with_settings

RUNS = int(os.environ.get("BENCH_RUNS", "15"))


async def sequential(profile: Profile, stack: Stack) -> list[health.CheckResult]:
    ctx = health.CheckContext(profile, stack)
    return [await health.run_one(check, ctx) for check in health.all_checks()]


async def timed(make: object, runs: int) -> float:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        await make()  # type: ignore[operator]
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


async def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bench-health-") as tmp:
        await _measure(Path(tmp))


async def _measure(work: Path) -> None:
    async with health_peers(work) as peers:
        profile, stack = peers.profile, peers.stack
        await health.run_checks(profile, stack=stack)  # warm imports and caches
        one_by_one = await timed(lambda: sequential(profile, stack), RUNS)
        concurrent = await timed(lambda: health.run_checks(profile, stack=stack), RUNS)
        with silent_tcp() as hung, silent_udp() as deaf:
            slow = with_settings(
                profile,
                dns={"port": deaf, "timeout": 0.5},
                tls={"port": hung, "http_port": hung, "timeout": 0.5},
                ssh={"port": hung, "connect_timeout": 0.5},
            )
            hung_concurrent = await timed(lambda: health.run_checks(slow, stack=stack), 3)
            hung_sequential = await timed(lambda: sequential(slow, stack), 3)
    print(
        f"health round, all peers answer  : concurrent {concurrent:7.1f} ms   baseline one-by-one {one_by_one:7.1f} ms"
    )
    print(
        f"health round, every peer hangs  : concurrent {hung_concurrent:7.1f} ms   "
        f"baseline one-by-one {hung_sequential:7.1f} ms"
    )


if __name__ == "__main__":
    asyncio.run(main())
