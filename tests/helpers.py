"""Small waiting helpers for tests of eventually-consistent, level-triggered behaviour."""

import asyncio
from collections.abc import Callable


async def eventually(condition: Callable[[], bool], *, timeout: float = 5.0) -> None:
    """Wait until `condition()` holds; fail with TimeoutError when it never does."""
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.01)
