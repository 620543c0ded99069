"""The fleet-manager's informer caches and the questions its handlers and reconciles ask
of them: who owns a Cluster name, which AttachedClusters a Secret or a Fleet concerns."""

from dataclasses import dataclass

from services.fleet_manager.naming import name_owner
from shared.api.fleet import AttachedCluster, Fleet
from shared.runtime.informing import Informer, ObjectKey


@dataclass(frozen=True)
class FleetCaches:
    attached: Informer
    secrets: Informer
    fleets: Informer
    clusters: Informer
    namespaces: Informer

    def named(self, name: str) -> list[ObjectKey]:
        """Every AttachedCluster of this name, in any namespace."""
        return [
            (item["metadata"].get("namespace") or "", name)
            for item in self.attached.list()
            if item["metadata"]["name"] == name
        ]

    def owner_of(self, name: str) -> ObjectKey | None:
        candidates = [
            AttachedCluster.model_validate(item)
            for item in self.attached.list()
            if item["metadata"]["name"] == name
        ]
        return name_owner(candidates, name)

    def using_secret(self, namespace: str, secret: str) -> list[ObjectKey]:
        """The AttachedClusters whose kubeconfig is this Secret."""
        keys: list[ObjectKey] = []
        for item in self.attached.list(namespace=namespace):
            attached = AttachedCluster.model_validate(item)
            if attached.spec.kubeconfig.secret_name == secret:
                keys.append((namespace, attached.metadata.name))
        return keys

    def fleets_in(self, namespace: str) -> list[Fleet]:
        return [Fleet.model_validate(item) for item in self.fleets.list(namespace=namespace)]

    def is_terminating(self, key: ObjectKey) -> bool:
        raw = self.attached.get(*key)
        return raw is not None and bool(raw["metadata"].get("deletionTimestamp"))
