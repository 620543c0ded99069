"""Owned background tasks: started by name, unexpected exits logged at once, stopped together."""

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

log = logging.getLogger(__name__)


class OwnedTasks:
    """The only way Navarch code starts a background task: nothing runs unowned."""

    def __init__(self, owner: str) -> None:
        self._owner = owner
        self._tasks: set[asyncio.Task[Any]] = set()
        self._stopping = False

    def start(self, coroutine: Coroutine[Any, Any, Any], *, name: str) -> asyncio.Task[Any]:
        task = asyncio.create_task(coroutine, name=f"{self._owner}/{name}")
        self._tasks.add(task)
        task.add_done_callback(self._finished)
        return task

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if task.cancelled():
            return
        error = task.exception()
        if error is not None:
            log.error("task %s failed: %r", task.get_name(), error, exc_info=error)
        elif not self._stopping:
            log.debug("task %s finished", task.get_name())

    def __len__(self) -> int:
        return len(self._tasks)

    async def stop(self, *, timeout: float = 10.0) -> None:
        """Cancel every task and wait; tasks that ignore cancellation are reported by name."""
        self._stopping = True
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if not tasks:
            return
        done, pending = await asyncio.wait(tasks, timeout=timeout)
        for task in pending:
            log.error("task %s did not stop within %.1fs", task.get_name(), timeout)
        del done
