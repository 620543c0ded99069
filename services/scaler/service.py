"""The scaler service: FederatedHPAs and hub-only HPAs on the controller kit.

Wiring only: the informers, the `scaler` runner (one key per HPA, requeued every sync
period by its own reconcile) and what wakes it: the HPA's own changes, a policy change
(it may start or stop propagating a hub HPA), a binding change (new placement).
"""

from collections.abc import Callable, Iterable

from services.scaler.fleet_reading import ScalerMember
from services.scaler.hpa_reconciling import SOURCES, HpaKey, HpaReconciler, ScalerCaches, Source
from services.scaler.settings import ScalerSettings
from shared.members.sessions import MemberSessions
from shared.runtime.clock import WallClock, utc_now
from shared.runtime.controllers import Controllers, ControllerService
from shared.runtime.informing import InformerEvent


class ScalerService(ControllerService):
    name = "scaler"

    def __init__(
        self, settings: ScalerSettings | None = None, *, clock: WallClock = utc_now
    ) -> None:
        super().__init__(clock=clock)
        self.settings = settings or ScalerSettings()
        self._sessions: MemberSessions[ScalerMember] = MemberSessions(
            request_timeout_s=self.settings.request_timeout_s
        )
        self.reconciler: HpaReconciler | None = None

    async def declare(self, controllers: Controllers) -> None:
        caches = ScalerCaches.declare(controllers)
        self.reconciler = HpaReconciler(
            controllers=controllers,
            caches=caches,
            sessions=self._sessions,
            settings=self.settings,
            now=lambda: self.clock().timestamp(),
        )
        runner = controllers.reconciler(
            "scaler", self.reconciler.reconcile, workers=self.settings.workers
        )

        def own(source: Source) -> Callable[[InformerEvent], Iterable[HpaKey]]:
            return lambda event: [(source, *event.key)]

        def every_hpa(namespace: str | None) -> list[HpaKey]:
            keys: list[HpaKey] = []
            for source, informer in caches.hpas.items():
                for item in informer.list(namespace=namespace):
                    metadata = item["metadata"]
                    keys.append((source, metadata.get("namespace", ""), metadata["name"]))
            return keys

        def in_namespace(event: InformerEvent) -> Iterable[HpaKey]:
            return every_hpa(event.key[0] or None)

        for source in SOURCES:
            controllers.wake(caches.hpas[source], runner, own(source), skip_own_writes=True)
        controllers.wake(caches.propagation_policies, runner, in_namespace)
        controllers.wake(caches.cluster_propagation_policies, runner, lambda _e: every_hpa(None))
        controllers.wake(caches.bindings, runner, in_namespace)

    async def stop(self) -> None:
        await super().stop()
        await self._sessions.end_all()
