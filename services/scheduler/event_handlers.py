"""The scheduler's event handlers: index each event, then map it to the templates to reconcile.

Karmada's scheduler event handlers, with the detector's: a policy wakes the templates it
claimed and the ones its selectors match; a Cluster wakes the templates bound to it and
those that follow every cluster change; a Fleet wakes its namespace; a template or binding
wakes itself unless the event only echoes this service's own write or changes nothing the
scheduler reads. Handlers never wait: they only index and enqueue.
"""

from collections.abc import Callable

from services.scheduler.binding_sync import TemplateKey
from services.scheduler.detecting import Detector, PolicySource
from services.scheduler.failover import TaintSightings
from services.scheduler.fleet_cache import ClusterCache, FleetCache
from services.scheduler.resources import CrdAware, ResourceResolver
from services.scheduler.template_kinds import TemplateKinds
from shared.api.resources import ResourceType
from shared.runtime.informing import InformerEvent
from shared.runtime.own_writes import OwnWrites
from shared.store.objects import Object

Enqueue = Callable[[TemplateKey], None]


def template_key(resource: ResourceType, obj: Object) -> TemplateKey:
    metadata = obj["metadata"]
    return TemplateKey(
        resource.api_version, resource.kind, metadata.get("namespace") or "", metadata["name"]
    )


def bound_template(binding: Object) -> TemplateKey | None:
    """The template a binding's `spec.resource` names, None when it names none."""
    ref = (binding.get("spec") or {}).get("resource") or {}
    if not ref.get("name") or not ref.get("kind"):
        return None
    return TemplateKey(
        ref.get("apiVersion", ""), ref["kind"], ref.get("namespace") or "", ref["name"]
    )


def without_status(obj: Object | None) -> Object | None:
    """The object as the scheduler reads a template: no status, no revision bookkeeping."""
    if obj is None:
        return None
    metadata = {
        k: v for k, v in obj["metadata"].items() if k not in ("resourceVersion", "managedFields")
    }
    return {**{k: v for k, v in obj.items() if k != "status"}, "metadata": metadata}


def follows_every_cluster_change(binding: Object) -> bool:
    """Duplicated placements, non-workloads and unscheduled bindings may change with any
    cluster, not only with the clusters they are bound to (Karmada's §3 triggers)."""
    spec = binding.get("spec") or {}
    conditions = (binding.get("status") or {}).get("conditions") or []
    scheduled = any(c.get("type") == "Scheduled" and c.get("status") == "True" for c in conditions)
    placement = spec.get("placement") or {}
    duplicated = "replicaScheduling" not in placement or (
        (placement.get("replicaScheduling") or {}).get("replicaSchedulingType", "Divided")
        == "Duplicated"
    )
    workload = bool(spec.get("replicas")) or bool(spec.get("replicaRequirements"))
    return duplicated or not workload or not scheduled


def needs_scheduling(event: InformerEvent) -> bool:
    """A binding event the scheduler must look at: new, deleted, evicting, or a generation
    it has not observed yet."""
    obj = event.object
    status = obj.get("status") or {}
    return (
        event.type != "MODIFIED"
        or bool((obj.get("spec") or {}).get("gracefulEvictionTasks"))
        or obj["metadata"].get("generation") != status.get("schedulerObservedGeneration")
    )


class BindingIndex:
    """Which templates each cluster change wakes: the bound ones, and the sensitive ones."""

    def __init__(self) -> None:
        self._bound: dict[TemplateKey, set[str]] = {}
        self._by_cluster: dict[str, set[TemplateKey]] = {}
        self._sensitive: set[TemplateKey] = set()

    def index(self, key: TemplateKey, binding: Object | None) -> None:
        """The template's binding as it is now (None: it has none)."""
        for cluster in self._bound.pop(key, set()):
            keys = self._by_cluster.get(cluster)
            if keys is not None:
                keys.discard(key)
                if not keys:
                    del self._by_cluster[cluster]
        self._sensitive.discard(key)
        if binding is None:
            return
        spec = binding.get("spec") or {}
        names = {t["name"] for t in spec.get("clusters") or []}
        names |= {t["fromCluster"] for t in spec.get("gracefulEvictionTasks") or []}
        self._bound[key] = names
        for cluster in names:
            self._by_cluster.setdefault(cluster, set()).add(key)
        if follows_every_cluster_change(binding):
            self._sensitive.add(key)

    def woken_by_cluster(self, name: str) -> set[TemplateKey]:
        return self._by_cluster.get(name, set()) | self._sensitive


class EventHandlers:
    """Every informer handler of the scheduler, over the indices it keeps current."""

    def __init__(
        self,
        *,
        detector: Detector,
        kinds: TemplateKinds,
        clusters: ClusterCache,
        fleets: FleetCache,
        bindings: BindingIndex,
        sightings: TaintSightings,
        own_writes: OwnWrites,
        resolver: ResourceResolver,
        enqueue: Enqueue,
    ) -> None:
        self._detector = detector
        self._kinds = kinds
        self._clusters = clusters
        self._fleets = fleets
        self._bindings = bindings
        self._sightings = sightings
        self._own_writes = own_writes
        self._resolver = resolver
        self._enqueue = enqueue

    def on_policy(self, source: PolicySource, event: InformerEvent) -> None:
        change = self._detector.observe_policy(source, event)
        for key in change.claimed:
            self._enqueue(key)
        for api_version, kind in change.kinds:
            self._kinds.want(api_version, kind)
            resource = self._kinds.resolve(api_version, kind)
            informer = self._kinds.informer(resource) if resource else None
            if resource is None or informer is None:
                continue
            scoped = resource.namespaced and not change.cluster_scoped
            for obj in informer.list(namespace=change.namespace if scoped else None):
                self._enqueue(template_key(resource, obj))

    def on_cluster(self, event: InformerEvent) -> None:
        if not self._clusters.observe(event):
            return
        name = event.key[1]
        self._sightings.observe(name, self._clusters.get(name))
        for key in self._bindings.woken_by_cluster(name):
            self._enqueue(key)

    def on_fleet(self, event: InformerEvent) -> None:
        namespace = self._fleets.observe(event)
        for resource, informer in self._kinds.watched().items():
            if resource.namespaced:
                for obj in informer.list(namespace=namespace):
                    self._enqueue(template_key(resource, obj))

    def on_template(self, resource: ResourceType, event: InformerEvent) -> None:
        key = template_key(resource, event.object)
        new = None if event.type == "DELETED" else event.object
        self._detector.observe_template(key, old=event.old, new=new)
        if new is None:
            self._detector.observe_template(key, old=event.object, new=None)
        own = self._own_writes.is_echo(resource, event)
        if event.type == "MODIFIED" and (
            own or without_status(event.old) == without_status(event.object)
        ):
            return
        self._enqueue(key)

    def on_binding(self, resource: ResourceType, event: InformerEvent) -> None:
        key = bound_template(event.object)
        if key is None:
            return
        own = self._own_writes.is_echo(resource, event)
        deleted = event.type == "DELETED"
        newest = None if deleted else self._own_writes.fresher(resource, event.object)
        self._bindings.index(key, newest)
        self._kinds.want(key.api_version, key.kind)
        if not deleted and own:
            return
        if needs_scheduling(event):
            self._enqueue(key)

    def on_crd(self, event: InformerEvent) -> None:
        """A new CRD may resolve kinds that policies selected before it existed."""
        if isinstance(self._resolver, CrdAware):
            self._resolver.observe_crd(event)
        self._kinds.retry_pending()
