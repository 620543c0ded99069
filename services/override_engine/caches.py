"""The hub caches the override-engine reads, and its read-your-writes view of them.

Bindings, Works, Clusters, AttachedClusters and override policies are declared to the kit
at start, so they have listed before any reconcile. Templates (and the dependencies they
name) are informed per kind from the first binding of that kind; Secrets from the start,
since kubeconfigs live there too. Work that needs a template cache still listing is parked
and resumed once it has listed: never polled.

Reads overlay the engine's own writes through the kit (`Controllers.fresh`), Works also
its creates not seen yet and its deletes (`OwnWrites`), so the next reconcile never acts on
a cache that is a moment behind the engine itself.
"""

from collections.abc import Callable, Iterator

from services.override_engine.syncing import resource_for
from services.override_engine.works import (
    BindingKey,
    Object,
    execution_namespace,
    work_name,
)
from shared.api.binding import ResourceBindingSpec
from shared.api.kinds import (
    ATTACHED_CLUSTERS,
    BINDING_TYPES,
    KARMADA_CLUSTERS,
    OVERRIDE_POLICY_TYPES,
    SECRETS,
    WORKS,
)
from shared.api.resources import ResourceType
from shared.runtime.controllers import Controllers
from shared.runtime.informing import Informer, InformerEvent

TemplateListener = Callable[[ResourceType, InformerEvent], None]
Resume = Callable[[BindingKey, str], None]


def binding_key(kind: str, binding: Object) -> BindingKey:
    metadata = binding["metadata"]
    return BindingKey(kind, metadata.get("namespace") or "", metadata["name"])


class HubCaches:
    def __init__(
        self, controllers: Controllers, *, on_template: TemplateListener, resume: Resume
    ) -> None:
        self._controllers = controllers
        self._on_template = on_template
        self._resume = resume
        self.bindings = {kind: controllers.informer(rt) for kind, rt in BINDING_TYPES.items()}
        self.works = controllers.informer(WORKS)
        self.clusters = controllers.informer(KARMADA_CLUSTERS)
        self.attached = controllers.informer(ATTACHED_CLUSTERS)
        self.policies = [controllers.informer(rt) for rt in OVERRIDE_POLICY_TYPES]
        self._templates: dict[str, Informer] = {}
        self._waiting: dict[str, set[tuple[BindingKey, str]]] = {}
        self._specs: dict[BindingKey, tuple[str, ResourceBindingSpec]] = {}
        self.secrets = self.template_informer(SECRETS)

    # ---- bindings -----------------------------------------------------------------------

    def binding(self, key: BindingKey) -> Object | None:
        return self._controllers.fresh(self.bindings[key.kind], key.namespace or None, key.name)

    def all_bindings(self) -> Iterator[tuple[BindingKey, Object]]:
        for kind, informer in self.bindings.items():
            for binding in informer.list():
                yield binding_key(kind, binding), binding

    def spec(self, key: BindingKey, binding: Object) -> ResourceBindingSpec:
        """The binding's parsed spec, parsed once per revision."""
        revision = binding["metadata"].get("resourceVersion", "")
        cached = self._specs.get(key)
        if cached is not None and cached[0] == revision:
            return cached[1]
        spec = ResourceBindingSpec.model_validate(binding["spec"])
        self._specs[key] = (revision, spec)
        return spec

    def forget_spec(self, key: BindingKey) -> None:
        self._specs.pop(key, None)

    # ---- works and clusters -------------------------------------------------------------

    def work(self, binding: BindingKey, cluster: str) -> Object | None:
        """The Work of (binding, cluster): cached, or the engine's newer write, or None
        once the engine deleted it (even while the cache still shows it)."""
        namespace, name = execution_namespace(cluster), work_name(binding)
        cached = self.works.get(namespace, name)
        own_writes = self._controllers.own_writes
        if cached is None:
            return own_writes.unseen(WORKS, (namespace, name))
        return own_writes.fresher(WORKS, cached)

    def cluster(self, name: str) -> Object | None:
        return self.clusters.get(None, name)

    # ---- templates ----------------------------------------------------------------------

    def template_informer(self, resource: ResourceType) -> Informer:
        """Templates (and dependencies) of a kind are informed from the first binding of it."""
        informer = self._templates.get(resource.group_resource)
        if informer is None:
            informer = self._controllers.informer(resource)
            informer.add_handler(lambda event: self._on_template(resource, event))
            self._templates[resource.group_resource] = informer
            self._controllers.context.tasks.start(
                self._resume_when_synced(resource, informer),
                name=f"resume/{resource.group_resource}",
            )
        return informer

    def template(self, resource: ResourceType, namespace: str, name: str) -> Object | None:
        """A template as the engine last knows it (its own status writes included)."""
        return self._controllers.fresh(self.template_informer(resource), namespace or None, name)

    def template_of(self, binding: Object) -> Object | None:
        """The template a binding names, when its kind is informed already."""
        resource_ref = (binding.get("spec") or {}).get("resource") or {}
        resource = resource_for(resource_ref.get("apiVersion", ""), resource_ref.get("kind", ""))
        if resource is None:
            return None
        informer = self._templates.get(resource.group_resource)
        if informer is None:
            return None
        return informer.get(resource_ref.get("namespace") or None, resource_ref.get("name", ""))

    def park(self, resource: ResourceType, binding: BindingKey, cluster: str) -> None:
        """(binding, cluster) looks again once the kind's cache has listed."""
        self._waiting.setdefault(resource.group_resource, set()).add((binding, cluster))

    async def _resume_when_synced(self, resource: ResourceType, informer: Informer) -> None:
        await informer.wait_synced()
        for binding, cluster in self._waiting.pop(resource.group_resource, set()):
            self._resume(binding, cluster)
