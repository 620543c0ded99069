"""The Cluster Operator's part of the fleet-manager's wiring: its informer, its reconciler,
what wakes it, and the provider it uses (the simulator's, when one runs)."""

from collections.abc import Awaitable, Callable, Iterable

from services.fleet_manager.caches import FleetCaches
from services.fleet_manager.lifecycle_clusters import LifecycleClusters
from services.fleet_manager.lifecycle_nodes import NodeDrainer, retry_policy
from services.fleet_manager.lifecycle_provisioning import MANAGED_LABEL
from services.fleet_manager.lifecycle_scaling import PoolScaler
from services.fleet_manager.lifecycle_settings import LifecycleSettings
from shared.api.kinds import KURATOR_CLUSTERS
from shared.api.kurator_cluster import KuratorCluster
from shared.providers.interface import ClusterProvider
from shared.providers.simulated import SimulatedProvider
from shared.runtime.controllers import Controllers
from shared.runtime.informing import Informer, InformerEvent, ObjectKey


def managed_by(event: InformerEvent) -> Iterable[ObjectKey]:
    """An AttachedCluster made for a Cluster wakes that Cluster (`<namespace>.<name>`)."""
    for item in (event.object, event.old):
        value = ((item or {}).get("metadata", {}).get("labels") or {}).get(MANAGED_LABEL, "")
        namespace, _, name = value.partition(".")
        if namespace and name:
            yield namespace, name


def declare_lifecycle(
    controllers: Controllers,
    *,
    caches: FleetCaches,
    request_timeout_s: float,
    settings: LifecycleSettings | None = None,
) -> Callable[[], Awaitable[None]]:
    """Declare the Cluster reconcile; returns what stops its member clients and provider."""
    settings = settings or LifecycleSettings()
    clusters: Informer = controllers.informer(KURATOR_CLUSTERS)
    provider = SimulatedProvider(settings.state_file(), timeout_s=request_timeout_s)

    def provider_for(_cluster: KuratorCluster) -> ClusterProvider | None:
        """Under `navarch up --sim` every Cluster uses the simulator; no other is built in."""
        return provider if settings.state_file().exists() else None

    scaler = PoolScaler(
        drainer=NodeDrainer(
            policy=retry_policy(
                initial_s=settings.eviction_backoff_s,
                max_s=settings.eviction_max_backoff_s,
                timeout_s=settings.drain_timeout_s,
            )
        ),
        order=settings.scale_down_order,
        clock=controllers.clock,
        drain_timeout_s=settings.drain_timeout_s,
        request_timeout_s=request_timeout_s,
    )
    lifecycle = LifecycleClusters(
        controllers=controllers,
        clusters=clusters,
        caches=caches,
        settings=settings,
        provider_for=provider_for,
        scaler=scaler,
    )
    runner = controllers.reconciler("kurator-clusters", lifecycle.reconcile, workers=4)

    def same_name(event: InformerEvent) -> Iterable[ObjectKey]:
        return [key for key in clusters.keys() if key[1] == event.key[1]]

    controllers.wake(clusters, runner, skip_own_writes=True)
    controllers.wake(caches.attached, runner, managed_by)
    controllers.wake(caches.clusters, runner, same_name)

    async def stop() -> None:
        await scaler.sessions.end_all()
        await provider.close()

    return stop
