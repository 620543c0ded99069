"""The controller kit: a service declares its informers, reconcilers and what wakes them;
the kit runs them in the one safe order.

The order (controller-runtime's manager, kopf's single worker per object):
1. informers start listing at once (`informer`), handlers only map events to keys;
2. `start` waits until every declared informer has synced, then starts the reconcilers,
   so no reconcile ever acts on a cache that is still listing (keys enqueued meanwhile wait);
3. writes go through `writer`: remembered for read-your-writes (`fresh`), with one
   conflict policy (re-read, re-apply, retry; then the runner's per-key backoff);
4. `stop` drains the reconcilers, newest first: in-flight reconciles finish, nothing new starts.

The documented example is `tests/integration/runtime/sample_service.py`.
"""

import logging
from abc import abstractmethod
from collections.abc import Callable, Hashable, Iterable
from typing import Any, TypeVar

from shared.api.resources import ResourceType
from shared.runtime.clock import WallClock, utc_now
from shared.runtime.informing import Informer, InformerEvent, ObjectKey
from shared.runtime.own_writes import OwnWrites
from shared.runtime.reconciling import ReconcileFunction, ReconcileRunner
from shared.runtime.service import Service, ServiceContext
from shared.runtime.writing import Writer
from shared.store.objects import Object

log = logging.getLogger(__name__)

Key = TypeVar("Key", bound=Hashable)
KeysOf = Callable[[InformerEvent], Iterable[Key]]


def object_key(event: InformerEvent) -> Iterable[ObjectKey]:
    """The default mapping: an object's event wakes that object's key."""
    return (event.key,)


class Controllers:
    """What a controller service is made of, started and stopped in order."""

    def __init__(self, context: ServiceContext, *, clock: WallClock = utc_now) -> None:
        self.context = context
        self.clock = clock
        self.own_writes = OwnWrites()
        self.writer = Writer(context.store, self.own_writes)
        self._informers: list[Informer] = []
        self._runners: list[ReconcileRunner[Any]] = []
        self.started = False

    def informer(self, resource: ResourceType, *, namespace: str | None = None) -> Informer:
        """A cache of one kind; declared before `start`, it is synced before any reconcile.

        Declared later (a kind discovered at run time), reconciles must check `synced`.
        """
        informer = self.context.informer(resource, namespace=namespace)
        self._informers.append(informer)
        return informer

    def reconciler(
        self,
        name: str,
        reconcile: ReconcileFunction[Key],
        *,
        workers: int = 4,
        base_backoff: float = 0.05,
        max_backoff: float = 30.0,
    ) -> ReconcileRunner[Key]:
        runner: ReconcileRunner[Key] = ReconcileRunner(
            name, reconcile, workers=workers, base_backoff=base_backoff, max_backoff=max_backoff
        )
        self._runners.append(runner)
        if self.started:
            runner.start()
        return runner

    def wake(
        self,
        informer: Informer,
        runner: ReconcileRunner[Key],
        keys: KeysOf[Key] = object_key,  # type: ignore[assignment]
        *,
        skip_own_writes: bool = False,
    ) -> None:
        """Every event of `informer` enqueues `keys(event)` on `runner`.

        With `skip_own_writes`, the echo of this service's own write wakes nothing: the
        reconcile that wrote it already knows.
        """
        resource = informer.resource

        def handle(event: InformerEvent) -> None:
            if skip_own_writes and self.own_writes.is_echo(resource, event):
                return
            for key in keys(event):
                runner.enqueue(key)

        informer.add_handler(handle)

    def fresh(self, informer: Informer, namespace: str | None, name: str) -> Object | None:
        """The cached object, or this service's newer write of it (read-your-writes)."""
        return self.own_writes.fresher(informer.resource, informer.get(namespace, name))

    @property
    def synced(self) -> bool:
        return all(informer.synced for informer in self._informers)

    async def start(self) -> None:
        for informer in list(self._informers):
            await informer.wait_synced()
        self.started = True
        for runner in self._runners:
            runner.start()
        log.debug(
            "controllers started",
            extra={"informers": len(self._informers), "runners": len(self._runners)},
        )

    async def stop(self, *, timeout: float = 10.0) -> None:
        for runner in reversed(self._runners):
            await runner.drain(timeout=timeout)


class ControllerService(Service):
    """A service that is its controllers: it declares them, the kit runs them."""

    def __init__(self, *, clock: WallClock = utc_now) -> None:
        self.clock = clock
        self.controllers: Controllers | None = None

    @abstractmethod
    async def declare(self, controllers: Controllers) -> None:
        """Declare informers, reconcilers and wake-ups (and bus subscriptions)."""

    async def start(self, context: ServiceContext) -> None:
        self.controllers = Controllers(context, clock=self.clock)
        await self.declare(self.controllers)
        await self.controllers.start()

    async def stop(self) -> None:
        if self.controllers is not None:
            await self.controllers.stop()

    def ready(self, context: ServiceContext) -> bool:
        return self.controllers is not None and self.controllers.started and context.synced()
