"""The override-engine's hub event handlers: index each event, then wake what it concerns.

A binding wakes itself when its spec, deletion or finalizers change (not its status, which
the engine writes); a template wakes its binding when anything a render reads changed, and
a dependency every binding propagating it; a Work is indexed (where copies may be) and
wakes its binding when that is gone or deleting, and its status; a policy wakes the
bindings it selects before or after the change. Handlers never wait.
"""

from collections.abc import Callable, Iterable
from typing import Any

from services.override_engine.caches import HubCaches, binding_key
from services.override_engine.planning import DEPENDENCY_TYPES, Planner, parse_policy
from services.override_engine.removal import is_deleting
from services.override_engine.work_index import WorkIndex
from services.override_engine.works import (
    BindingKey,
    ManifestId,
    Object,
    binding_of,
    cluster_of_namespace,
)
from shared.api.kinds import WORKS
from shared.api.overrides import PolicyValidationError
from shared.api.resources import ResourceType
from shared.overriding.rendering import policy_priority
from shared.runtime.informing import InformerEvent, ObjectKey
from shared.runtime.own_writes import OwnWrites

Enqueue = Callable[[BindingKey], None]
_RENDERED_METADATA = ("generation", "labels", "annotations", "deletionTimestamp", "uid")
_BINDING_LIFECYCLE = ("deletionTimestamp", "finalizers")


def binding_event_matters(event: InformerEvent) -> bool:
    """Anything but a change of status (or bookkeeping) alone."""
    old, new = event.old, event.object
    if event.type != "MODIFIED" or old is None:
        return True
    return old.get("spec") != new.get("spec") or any(
        old["metadata"].get(field) != new["metadata"].get(field) for field in _BINDING_LIFECYCLE
    )


def template_event_matters(event: InformerEvent) -> bool:
    """Anything a render reads changed (status writes, the engine's own ones, do not)."""
    old, new = event.old, event.object
    if event.type != "MODIFIED" or old is None:
        return True
    return any(old["metadata"].get(f) != new["metadata"].get(f) for f in _RENDERED_METADATA)


def template_binding(resource: ResourceType, key: ObjectKey) -> BindingKey:
    """The binding the scheduler names after a template: `<name>-<kind>`."""
    namespace, name = key
    kind = "ResourceBinding" if resource.namespaced else "ClusterResourceBinding"
    return BindingKey(kind, namespace, f"{name}-{resource.kind.lower()}")


def selector_groups(policies: Iterable[Object | None]) -> list[Any]:
    """The resource selectors of a policy before and after a change; empty when either
    version selects everything or cannot be parsed (then every binding looks again)."""
    groups: list[Any] = []
    for raw in policies:
        if raw is None:
            continue
        try:
            policy = parse_policy(raw)
        except PolicyValidationError:
            return []
        if not policy.spec.resource_selectors:
            return []
        groups.append(policy.spec.resource_selectors)
    return groups


class HubEvents:
    def __init__(
        self,
        *,
        caches: HubCaches,
        index: WorkIndex,
        planner: Planner,
        own_writes: OwnWrites,
        enqueue_binding: Enqueue,
        status_later: Enqueue,
    ) -> None:
        self._caches = caches
        self._index = index
        self._planner = planner
        self._own_writes = own_writes
        self._enqueue_binding = enqueue_binding
        self._status_later = status_later

    @staticmethod
    def binding_keys(kind: str) -> Callable[[InformerEvent], Iterable[BindingKey]]:
        def keys(event: InformerEvent) -> Iterable[BindingKey]:
            if not binding_event_matters(event):
                return ()
            return (BindingKey(kind, *event.key),)

        return keys

    def template_changed(self, resource: ResourceType, event: InformerEvent) -> None:
        if not template_event_matters(event):
            return
        namespace, name = event.key
        if resource.kind in DEPENDENCY_TYPES:
            for key in self._index.users_of(ManifestId("v1", resource.kind, namespace, name)):
                self._enqueue_binding(key)
        key = template_binding(resource, event.key)
        if self._caches.bindings[key.kind].get(namespace or None, key.name) is not None:
            self._enqueue_binding(key)

    def work_changed(self, event: InformerEvent) -> None:
        # Every Work event passes the echo check, so `HubCaches.work` can trust what it
        # keeps of the engine's writes the cache has not shown yet.
        self._own_writes.is_echo(WORKS, event)
        namespace, _name = event.key
        cluster = cluster_of_namespace(namespace)
        key = binding_of(event.object)
        if cluster is None or key is None:
            return
        if event.type == "DELETED":
            self._index.unindex(key, cluster)
            self._enqueue_binding(key)
        else:
            self._index.index(key, cluster, event.object)
            binding = self._caches.binding(key)
            if binding is None or is_deleting(binding):
                self._enqueue_binding(key)
        self._status_later(key)

    def policy_changed(self, event: InformerEvent) -> None:
        """Re-render the bindings the policy selects, before or after the change."""
        self._planner.policies_changed()
        namespace = event.object["metadata"].get("namespace") or ""
        groups = selector_groups((event.old, event.object))
        for kind, informer in self._caches.bindings.items():
            for binding in informer.list(namespace=namespace or None):
                if not groups or self._selected(binding, groups):
                    self._enqueue_binding(binding_key(kind, binding))

    def _selected(self, binding: Object, groups: list[Any]) -> bool:
        template = self._caches.template_of(binding)
        if template is None:
            return True
        return any(policy_priority(template, group) > 0 for group in groups)

    def every_cluster(self, _event: InformerEvent) -> Iterable[str]:
        return [name for _namespace, name in self._caches.clusters.keys()]

    def clusters_of_secret(self, event: InformerEvent) -> Iterable[str]:
        """A Secret in a namespace with AttachedClusters may hold a kubeconfig: every
        cluster looks again (the registry keeps a session whose kubeconfig is the same)."""
        namespace, _name = event.key
        attached = self._caches.attached.list(namespace=namespace)
        if any((item.get("spec") or {}).get("kubeconfig") for item in attached):
            return self.every_cluster(event)
        return ()
