"""The reconcile runner: a de-duplicating work queue with per-key backoff and bounded workers.

Semantics follow client-go's workqueue: a key is queued at most once; a key enqueued while
it is being reconciled runs again afterwards (never twice at once); failures retry with
exponential backoff per key, capped; success forgets the key's failures. A store conflict
(a cache a moment behind a write) is the normal optimistic-concurrency retry, not an error.
"""

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar

from prometheus_client import Counter, Gauge, Histogram

from shared.runtime.tasks import OwnedTasks
from shared.store.errors import ConflictError

log = logging.getLogger(__name__)

Key = TypeVar("Key", bound=Hashable)

RECONCILES = Counter(
    "navarch_reconciles_total", "Reconcile calls by runner and outcome", ["runner", "outcome"]
)
RECONCILE_SECONDS = Histogram(
    "navarch_reconcile_seconds", "Time spent in one reconcile call", ["runner"]
)
QUEUE_DEPTH = Gauge("navarch_workqueue_depth", "Keys waiting in the work queue", ["runner"])


@dataclass(frozen=True)
class Requeue:
    """Returned by a reconcile that wants to look again later without counting a failure."""

    after: float


ReconcileFunction = Callable[[Key], Awaitable[Requeue | None]]


class ReconcileRunner(Generic[Key]):
    def __init__(
        self,
        name: str,
        reconcile: ReconcileFunction[Key],
        *,
        workers: int = 4,
        base_backoff: float = 0.05,
        max_backoff: float = 30.0,
    ) -> None:
        self.name = name
        self._reconcile = reconcile
        self._workers = workers
        self._base_backoff = base_backoff
        self._max_backoff = max_backoff
        self._queue: asyncio.Queue[Key] = asyncio.Queue()
        self._queued: set[Key] = set()
        self._processing: set[Key] = set()
        self._dirty: set[Key] = set()
        self._failures: dict[Key, int] = {}
        self._delayed: dict[Key, asyncio.TimerHandle] = {}
        self._tasks = OwnedTasks(f"runner/{name}")
        self._accepting = True
        self._idle = asyncio.Event()
        self._idle.set()

    def enqueue(self, key: Key, *, after: float = 0.0) -> None:
        if not self._accepting:
            return
        if after > 0:
            self._enqueue_later(key, after)
            return
        self._cancel_delayed(key)
        if key in self._processing:
            self._dirty.add(key)
            return
        if key in self._queued:
            return
        self._queued.add(key)
        self._idle.clear()
        self._queue.put_nowait(key)
        QUEUE_DEPTH.labels(self.name).set(len(self._queued))

    def _enqueue_later(self, key: Key, delay: float) -> None:
        if not self._accepting:
            return
        existing = self._delayed.get(key)
        due = asyncio.get_running_loop().time() + delay
        if existing is not None and existing.when() <= due:
            return
        self._cancel_delayed(key)
        self._idle.clear()
        self._delayed[key] = asyncio.get_running_loop().call_later(delay, self._fire_delayed, key)

    def _fire_delayed(self, key: Key) -> None:
        self._delayed.pop(key, None)
        self.enqueue(key)
        self._update_idle()

    def _cancel_delayed(self, key: Key) -> None:
        handle = self._delayed.pop(key, None)
        if handle is not None:
            handle.cancel()

    def backoff_for(self, key: Key) -> float:
        failures = self._failures.get(key, 0)
        if failures == 0:
            return 0.0
        return min(self._base_backoff * (2 ** (failures - 1)), self._max_backoff)

    def start(self) -> None:
        for index in range(self._workers):
            self._tasks.start(self._work(), name=f"worker-{index}")

    async def _work(self) -> None:
        while True:
            key = await self._queue.get()
            self._queued.discard(key)
            QUEUE_DEPTH.labels(self.name).set(len(self._queued))
            self._processing.add(key)
            try:
                await self._run_one(key)
            finally:
                self._processing.discard(key)
                if key in self._dirty:
                    self._dirty.discard(key)
                    self.enqueue(key)
                self._update_idle()
            task = asyncio.current_task()
            if task is not None and task.cancelling():
                raise asyncio.CancelledError  # a reconcile swallowed it (3.11's wait_for)

    async def _run_one(self, key: Key) -> None:
        started = time.perf_counter()
        try:
            result = await self._reconcile(key)
        except asyncio.CancelledError:
            raise
        except Exception as error:
            self._failures[key] = self._failures.get(key, 0) + 1
            delay = self.backoff_for(key)
            if isinstance(error, ConflictError):
                RECONCILES.labels(self.name, "conflict").inc()
                log.debug(
                    "reconcile %s %s raced another write; retry in %.2fs", self.name, key, delay
                )
            else:
                RECONCILES.labels(self.name, "error").inc()
                log.exception(
                    "reconcile %s %s failed (attempt %d); retry in %.2fs",
                    self.name,
                    key,
                    self._failures[key],
                    delay,
                )
            self._dirty.discard(key)
            self._enqueue_later(key, delay)
            return
        finally:
            RECONCILE_SECONDS.labels(self.name).observe(time.perf_counter() - started)
        self._failures.pop(key, None)
        RECONCILES.labels(self.name, "success").inc()
        if result is not None:
            self._enqueue_later(key, result.after)

    def _update_idle(self) -> None:
        if not self._queued and not self._processing and not self._delayed:
            self._idle.set()

    async def wait_idle(self) -> None:
        """Resolves when nothing is queued, running or scheduled: handy for tests and drains."""
        await self._idle.wait()

    async def drain(self, *, timeout: float = 10.0) -> None:
        """Stop taking work, let in-flight reconciles finish, then stop the workers."""
        self._accepting = False
        for key in list(self._delayed):
            self._cancel_delayed(key)
        while not self._queue.empty():
            self._queued.discard(self._queue.get_nowait())
        QUEUE_DEPTH.labels(self.name).set(0)
        self._update_idle()
        try:
            await asyncio.wait_for(self._idle.wait(), timeout)
        except TimeoutError:
            log.error("runner %s: reconciles still running after %.1fs", self.name, timeout)
        await self._tasks.stop(timeout=1.0)
