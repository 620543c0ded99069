"""Which members hold a Work of each binding, and which bindings use each dependency there.

The Works are the durable record of where a binding's copies may be: this index is built
from the Works informer (and from the engine's own Work writes before their echo), so
removal, detach and the start-up pass know every member to visit. Pure bookkeeping.
"""

from services.override_engine.works import BindingKey, ManifestId, Object, manifests_of

DependencySlot = tuple[str, ManifestId]
"""(cluster, the dependency's identity)."""


class WorkIndex:
    def __init__(self) -> None:
        self._clusters: dict[BindingKey, set[str]] = {}
        self._dependency_users: dict[DependencySlot, set[BindingKey]] = {}

    def index(self, binding: BindingKey, cluster: str, work: Object) -> None:
        """The binding has a Work on `cluster`; its manifests after the first are the
        dependencies it propagates there."""
        self._clusters.setdefault(binding, set()).add(cluster)
        for manifest in manifests_of(work)[1:]:
            slot = (cluster, ManifestId.of(manifest))
            self._dependency_users.setdefault(slot, set()).add(binding)

    def unindex(self, binding: BindingKey, cluster: str) -> None:
        clusters = self._clusters.get(binding)
        if clusters is not None:
            clusters.discard(cluster)
            if not clusters:
                del self._clusters[binding]
        for slot, users in list(self._dependency_users.items()):
            if slot[0] == cluster and binding in users:
                users.discard(binding)
                if not users:
                    del self._dependency_users[slot]

    def clusters_of(self, binding: BindingKey) -> set[str]:
        return set(self._clusters.get(binding, ()))

    def bindings(self) -> list[BindingKey]:
        """Every binding that has a Work somewhere (it may be all that is left of it)."""
        return list(self._clusters)

    def bindings_on(self, cluster: str) -> set[BindingKey]:
        return {binding for binding, clusters in self._clusters.items() if cluster in clusters}

    def users_of(self, identity: ManifestId) -> set[BindingKey]:
        """Bindings propagating this dependency to any member."""
        users: set[BindingKey] = set()
        for (_cluster, dependency), bindings in self._dependency_users.items():
            if dependency == identity:
                users.update(bindings)
        return users

    def dependency_shared(self, cluster: str, identity: ManifestId, *, besides: BindingKey) -> bool:
        """Another binding still propagating to `cluster` needs this dependency."""
        return bool(self._dependency_users.get((cluster, identity), set()) - {besides})
