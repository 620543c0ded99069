"""The fleet-manager service: AttachedClusters in, Karmada Cluster objects and Fleet status out.

Wiring only, on the controller kit: the informers, the two reconcilers (`attaching` for
AttachedClusters, `fleet_reconcile` for Fleets) and what wakes them. Member sessions
(`connections`) never write to the hub themselves: they enqueue their AttachedCluster.
"""

from collections.abc import Awaitable, Callable, Iterable

from services.fleet_manager.attaching import FINALIZER, AttachedClusters
from services.fleet_manager.caches import FleetCaches
from services.fleet_manager.connections import MemberConnections
from services.fleet_manager.fleet_reconcile import Fleets
from services.fleet_manager.guarding import DisruptionGuard
from services.fleet_manager.lifecycle_wiring import declare_lifecycle
from services.fleet_manager.settings import FleetManagerSettings
from shared.api.kinds import ATTACHED_CLUSTERS, FLEETS, KARMADA_CLUSTERS, NAMESPACES, SECRETS
from shared.events.recording import EventRecorder
from shared.runtime.clock import WallClock, utc_now
from shared.runtime.controllers import Controllers, ControllerService, object_key
from shared.runtime.informing import InformerEvent, ObjectKey
from shared.runtime.reconciling import ReconcileRunner

__all__ = ["FINALIZER", "FleetManager"]


def fleet_members(event: InformerEvent) -> Iterable[ObjectKey]:
    """The AttachedClusters a Fleet names, before and after the change (labels move)."""
    namespace, _ = event.key
    for item in (event.object, event.old):
        for member in (item or {}).get("spec", {}).get("clusters", []) or []:
            yield namespace, member.get("name", "")


class FleetManager(ControllerService):
    name = "fleet-manager"

    def __init__(
        self, settings: FleetManagerSettings | None = None, *, clock: WallClock = utc_now
    ) -> None:
        super().__init__(clock=clock)
        self.settings = settings or FleetManagerSettings()
        self._recorder: EventRecorder | None = None
        self._connections: MemberConnections | None = None
        self._lifecycle_stop: Callable[[], Awaitable[None]] | None = None

    async def declare(self, controllers: Controllers) -> None:
        context = controllers.context
        self._recorder = EventRecorder(context.store, component=self.name, clock=self.clock)
        self._recorder.start()
        caches = FleetCaches(
            attached=controllers.informer(ATTACHED_CLUSTERS),
            secrets=controllers.informer(SECRETS),
            fleets=controllers.informer(FLEETS),
            clusters=controllers.informer(KARMADA_CLUSTERS),
            namespaces=controllers.informer(NAMESPACES),
        )
        guard = DisruptionGuard(
            recorder=self._recorder,
            unhealthy_threshold=self.settings.unhealthy_threshold,
            minimum_unhealthy=self.settings.disruption_min_clusters,
        )
        attached_runner: ReconcileRunner[ObjectKey]
        connections = MemberConnections(
            settings=self.settings,
            clock=self.clock,
            caches=caches,
            guard=guard,
            enqueue=lambda key: attached_runner.enqueue(key),
        )
        self._connections = connections
        attached = AttachedClusters(
            controllers=controllers,
            caches=caches,
            connections=connections,
            recorder=self._recorder,
            bus=context.bus,
        )
        fleets = Fleets(controllers=controllers, caches=caches, connections=connections)
        attached_runner = controllers.reconciler(
            "attached-clusters", attached.reconcile, workers=self.settings.workers
        )
        fleet_runner = controllers.reconciler("fleets", fleets.reconcile, workers=2)

        def every_fleet(_event: InformerEvent) -> Iterable[ObjectKey]:
            return caches.fleets.keys()

        def same_named(event: InformerEvent) -> Iterable[ObjectKey]:
            """Every AttachedCluster of the same name, in any namespace: ownership may move."""
            return [event.key, *caches.named(event.key[1])]

        def deleted_cluster_name(event: InformerEvent) -> Iterable[ObjectKey]:
            return caches.named(event.key[1]) if event.type == "DELETED" else ()

        def using_secret(event: InformerEvent) -> Iterable[ObjectKey]:
            return caches.using_secret(*event.key)

        controllers.wake(caches.attached, attached_runner, same_named)
        controllers.wake(caches.secrets, attached_runner, using_secret)
        controllers.wake(caches.fleets, fleet_runner, object_key)
        controllers.wake(caches.fleets, attached_runner, fleet_members)
        controllers.wake(caches.clusters, fleet_runner, every_fleet)
        controllers.wake(caches.clusters, attached_runner, deleted_cluster_name)
        controllers.wake(caches.namespaces, fleet_runner, every_fleet)
        self._lifecycle_stop = declare_lifecycle(
            controllers, caches=caches, request_timeout_s=self.settings.request_timeout_s
        )

    async def stop(self) -> None:
        await super().stop()
        if self._connections is not None:
            await self._connections.end_all()
        if self._lifecycle_stop is not None:
            await self._lifecycle_stop()
        if self._recorder is not None:
            await self._recorder.stop()
