"""as_they_finish: results in the order they are done, and nothing left running after an early stop."""

from __future__ import annotations

import asyncio
import contextlib

from services.core.concurrent import as_they_finish


async def test_results_come_as_they_finish() -> None:
    async def after(seconds: float, value: str) -> str:
        await asyncio.sleep(seconds)
        return value

    results = [r async for r in as_they_finish([after(0.05, "slow"), after(0.0, "fast")])]
    assert results == ["fast", "slow"]


async def test_stopping_early_cancels_the_rest() -> None:
    cancelled: list[str] = []

    async def forever(name: str) -> str:
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            cancelled.append(name)
            raise
        return name

    async def now() -> str:
        return "first"

    async with contextlib.aclosing(as_they_finish([now(), forever("a"), forever("b")])) as results:
        async for result in results:
            assert result == "first"
            break
    assert sorted(cancelled) == ["a", "b"]
