"""The Fleet reconcile: its status from the Clusters, and namespace sameness in its members
(every hub namespace, but the system ones, exists in each online member)."""

from services.fleet_manager.caches import FleetCaches
from services.fleet_manager.connections import MemberConnections
from services.fleet_manager.fleets import fleet_status
from shared.api.cluster import Cluster
from shared.api.fleet import Fleet
from shared.api.kinds import FLEETS
from shared.runtime.controllers import Controllers
from shared.runtime.informing import ObjectKey
from shared.store.objects import Object

SYSTEM_NAMESPACES = {"default", "kube-system", "kube-public", "kube-node-lease"}


def fleet_namespaces(namespaces: list[Object], *, fleet_namespace: str) -> set[str]:
    """The namespaces every member of a Fleet must have."""
    return {
        item["metadata"]["name"]
        for item in namespaces
        if item["metadata"]["name"] not in SYSTEM_NAMESPACES
        and not item["metadata"].get("deletionTimestamp")
    } | {fleet_namespace}


class Fleets:
    def __init__(
        self, *, controllers: Controllers, caches: FleetCaches, connections: MemberConnections
    ) -> None:
        self._controllers = controllers
        self._caches = caches
        self._connections = connections

    async def reconcile(self, key: ObjectKey) -> None:
        namespace, name = key
        raw = self._controllers.fresh(self._caches.fleets, namespace, name)
        if raw is None:
            return
        fleet = Fleet.model_validate(raw)
        clusters: dict[str, Cluster] = {}
        for item in self._caches.clusters.list():
            latest = self._controllers.fresh(self._caches.clusters, None, item["metadata"]["name"])
            if latest is not None:
                clusters[latest["metadata"]["name"]] = Cluster.model_validate(latest)
        status = fleet_status(fleet, clusters).to_dict()
        if raw.get("status") != status:
            await self._controllers.writer.change(
                FLEETS, raw, lambda current: dict(current, status=status), status=True
            )
        wanted = fleet_namespaces(self._caches.namespaces.list(), fleet_namespace=namespace)
        for member in fleet.spec.clusters:
            session = self._connections.of((namespace, member.name))
            if session is not None and session.online:
                await session.ensure_namespaces(wanted)
