"""Running awaitables side by side and taking each result as soon as it is known."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Awaitable, Iterable
from typing import TypeVar

T = TypeVar("T")


async def as_they_finish(awaitables: Iterable[Awaitable[T]]) -> AsyncGenerator[T, None]:
    """Run every awaitable concurrently and yield each result when it is done (not in order).

    Whoever stops early (``aclose``, cancellation, an exception) leaves nothing running: the
    rest are cancelled and awaited before the generator finishes.
    """
    tasks = [asyncio.ensure_future(a) for a in awaitables]
    try:
        for done in asyncio.as_completed(tasks):
            yield await done
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
