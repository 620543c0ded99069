"""The override-engine service: bindings in, member objects, Works and status out.

Three hub-side runners and one runner per member:
- bindings: finalizer, and which members must look at a binding again;
- clusters: one MemberSession per Karmada Cluster (kubeconfig found through the
  AttachedCluster its label names), and clean-up when a cluster is detached;
- status: aggregatedStatus on the binding and fleet-wide sums on the template, coalesced;
- member/<cluster>: render + server-side apply, drift repair and removal (members.py).
Everything is rebuilt from the store and the members' lists on start: nothing is written
unless what the store or a member holds differs from what it should be. No runner starts
before every hub informer it reads has listed (an empty cache is not an empty store), and
then every Work found is reconciled against its binding: a Work whose binding is gone is
removed from its member and the hub like any other.

Hub writes never read the store first: each is compared with, and compare-and-set against,
the freshest copy the engine has (its informer's, or the answer to its own last write while
the informer has not caught up). Work that needs a cache still listing is parked and
resumed when it has listed.
"""

import hashlib
import logging
import time
from collections.abc import Iterable
from typing import Any

import orjson

from services.override_engine.aggregating import aggregated_item, template_status
from services.override_engine.members import WAIT, MemberSession, Plan
from services.override_engine.removal import (
    awaiting_removal,
    clusters_to_visit,
    has_finalizer,
    is_deleting,
    placement,
    with_finalizer,
    without_finalizer,
)
from services.override_engine.settings import OverrideEngineSettings
from services.override_engine.syncing import dependencies, desired_manifest, resource_for
from services.override_engine.works import (
    WORKS,
    WORKS_WRITE,
    BindingKey,
    ManifestId,
    applied_condition,
    binding_of,
    build_work,
    cluster_of_namespace,
    execution_namespace,
    manifests_of,
    next_condition,
    same_work,
    work_name,
)
from shared import subjects
from shared.api.binding import ResourceBindingSpec
from shared.api.cluster import Cluster
from shared.api.fleet import AttachedCluster
from shared.api.kinds import ATTACHED_CLUSTERS, KARMADA_CLUSTERS, NAMESPACES, SECRETS
from shared.api.overrides import (
    ClusterOverridePolicy,
    KuratorOverridePolicy,
    OverridePolicy,
    PolicyValidationError,
    parse_override_policy,
)
from shared.api.resources import ResourceType
from shared.members.client import MemberClient, MemberError, decode_secret_value
from shared.overriding.rendering import RenderError, policy_priority, render
from shared.runtime.informing import Informer, InformerEvent, key_of
from shared.runtime.reconciling import ReconcileRunner, Requeue
from shared.runtime.service import Service, ServiceContext
from shared.store.errors import AlreadyExistsError, ConflictError, NotFoundError
from shared.store.objects import Object, utc_timestamp

log = logging.getLogger(__name__)

ATTACHED_LABEL = "navarch.dev/attached-cluster"
KURATOR_POLICY_API_VERSION = "policy.kurator.dev/v1alpha1"


def _resource(api_version: str, kind: str) -> ResourceType:
    resource = resource_for(api_version, kind)
    assert resource is not None, f"{api_version}/{kind} is a hub kind"
    return resource


RESOURCE_BINDINGS = _resource("work.karmada.io/v1alpha2", "ResourceBinding")
CLUSTER_RESOURCE_BINDINGS = _resource("work.karmada.io/v1alpha2", "ClusterResourceBinding")
BINDING_TYPES = {
    "ResourceBinding": RESOURCE_BINDINGS,
    "ClusterResourceBinding": CLUSTER_RESOURCE_BINDINGS,
}
POLICY_TYPES = (
    _resource("policy.karmada.io/v1alpha1", "OverridePolicy"),
    _resource("policy.karmada.io/v1alpha1", "ClusterOverridePolicy"),
    _resource("policy.kurator.dev/v1alpha1", "OverridePolicy"),
    _resource("apps.kurator.dev/v1alpha1", "OverridePolicy"),
)
STATUS_CONFLICT_RETRY_S = 0.05
DETACH_RETRY_S = 0.5
CONNECT_RETRY_S = 2.0


def _fingerprint(*parts: Any) -> bytes:
    return orjson.dumps(parts, option=orjson.OPT_SORT_KEYS)


def _revision(obj: Object) -> int:
    try:
        return int(obj["metadata"].get("resourceVersion") or 0)
    except ValueError:
        return 0


def _targets(binding: Object, cluster: str) -> bool:
    spec = binding.get("spec") or {}
    return any(t.get("name") == cluster for t in spec.get("clusters") or []) or any(
        t.get("fromCluster") == cluster for t in spec.get("gracefulEvictionTasks") or []
    )


class OverrideEngine(Service):
    name = "override-engine"

    def __init__(self, settings: OverrideEngineSettings | None = None) -> None:
        self.settings = settings or OverrideEngineSettings()
        self.sessions: dict[str, MemberSession] = {}
        self._context: ServiceContext | None = None
        self._templates: dict[str, Informer] = {}
        self._work_clusters: dict[BindingKey, set[str]] = {}
        self._dependency_users: dict[tuple[str, ManifestId], set[BindingKey]] = {}
        self._works_written: dict[tuple[str, str], Object] = {}
        self._hub_namespaces: set[str] = set()
        self._plans: dict[tuple[BindingKey, str], tuple[bytes, Plan]] = {}
        self._specs: dict[BindingKey, tuple[str, ResourceBindingSpec]] = {}
        self._policy_epoch = 0
        self._policies: tuple[int, list[ClusterOverridePolicy], list[Any]] | None = None
        self._cluster_prints: dict[str, bytes] = {}
        self._written: dict[tuple[str, str, str], Object] = {}
        self._status_written_at: dict[BindingKey, float] = {}
        self._waiting: dict[str, set[tuple[BindingKey, str]]] = {}
        self._stopping = False

    @property
    def context(self) -> ServiceContext:
        assert self._context is not None, "service not started"
        return self._context

    async def start(self, context: ServiceContext) -> None:
        self._context = context
        self.bindings = {kind: context.informer(rt) for kind, rt in BINDING_TYPES.items()}
        self.works = context.informer(WORKS)
        self.clusters = context.informer(KARMADA_CLUSTERS)
        self.attached = context.informer(ATTACHED_CLUSTERS)
        self.secrets = self._template_informer(SECRETS)
        self.policies = [context.informer(rt) for rt in POLICY_TYPES]
        settings = self.settings
        self.binding_runner: ReconcileRunner[BindingKey] = ReconcileRunner(
            "override-bindings", self.reconcile_binding, workers=settings.hub_workers
        )
        self.cluster_runner: ReconcileRunner[str] = ReconcileRunner(
            "override-clusters", self.reconcile_cluster, workers=2
        )
        self.status_runner: ReconcileRunner[BindingKey] = ReconcileRunner(
            "override-status", self.reconcile_status, workers=settings.hub_workers
        )
        for kind, informer in self.bindings.items():
            informer.add_handler(lambda event, kind=kind: self._binding_changed(kind, event))
        self.works.add_handler(self._work_changed)
        self.clusters.add_handler(lambda event: self.cluster_runner.enqueue(event.key[1]))
        self.attached.add_handler(lambda _event: self._enqueue_all_clusters())
        self.secrets.add_handler(self._secret_changed)
        for informer in self.policies:
            informer.add_handler(self._policy_changed)
        context.tasks.start(self._run_when_synced(), name="run-when-synced")

    async def _run_when_synced(self) -> None:
        """Keys queue up while the hub caches list; reconciling starts once all have, and
        every binding a Work names is looked at (the Work may be all that is left of it)."""
        informers = [*self.bindings.values(), self.works, self.clusters, self.attached]
        for informer in [*informers, self.secrets, *self.policies]:
            await informer.wait_synced()
        if self._stopping:
            return
        for key in list(self._work_clusters):
            self.binding_runner.enqueue(key)
        for runner in (self.binding_runner, self.cluster_runner, self.status_runner):
            runner.start()

    async def stop(self) -> None:
        self._stopping = True
        for runner in (self.binding_runner, self.cluster_runner, self.status_runner):
            await runner.drain(timeout=2.0)
        for session in list(self.sessions.values()):
            await session.stop()
        self.sessions.clear()

    # ---- informer handlers -------------------------------------------------------------

    def _template_informer(self, resource: ResourceType) -> Informer:
        """Templates (and dependencies) of a kind are informed from the first binding of it."""
        informer = self._templates.get(resource.group_resource)
        if informer is None:
            informer = self.context.informer(resource)
            informer.add_handler(lambda event: self._template_changed(resource, event))
            self._templates[resource.group_resource] = informer
            self.context.tasks.start(
                self._resume_when_synced(resource, informer),
                name=f"resume/{resource.group_resource}",
            )
        return informer

    def _wait_for(self, resource: ResourceType, binding: BindingKey, cluster: str) -> Plan:
        """Park (binding, cluster) until the kind's hub informer has listed."""
        self._waiting.setdefault(resource.group_resource, set()).add((binding, cluster))
        return WAIT

    async def _resume_when_synced(self, resource: ResourceType, informer: Informer) -> None:
        await informer.wait_synced()
        for binding, cluster in self._waiting.pop(resource.group_resource, set()):
            session = self.sessions.get(cluster)
            if session is not None:
                session.enqueue(binding)

    def _fresher(self, resource: ResourceType, cached: Object | None) -> Object | None:
        """The informer's copy, or the engine's own last write of it while the informer
        has not caught up with that write yet (gone from the informer: gone)."""
        if cached is None:
            return None
        slot = (resource.group_resource, *key_of(cached))
        written = self._written.get(slot)
        if written is None:
            return cached
        if _revision(cached) >= _revision(written):
            del self._written[slot]
            return cached
        return written

    def _remember(self, resource: ResourceType, written: Object) -> None:
        self._written[(resource.group_resource, *key_of(written))] = written

    def _binding_changed(self, kind: str, event: InformerEvent) -> None:
        namespace, name = event.key
        key = BindingKey(kind, namespace, name)
        old, new = event.old, event.object
        if event.type == "MODIFIED" and old is not None:
            same = old.get("spec") == new.get("spec") and all(
                old["metadata"].get(field) == new["metadata"].get(field)
                for field in ("deletionTimestamp", "finalizers")
            )
            if same:
                return
        self.binding_runner.enqueue(key)

    def _template_changed(self, resource: ResourceType, event: InformerEvent) -> None:
        old, new = event.old, event.object
        if event.type == "MODIFIED" and old is not None:
            fields = ("generation", "labels", "annotations", "deletionTimestamp", "uid")
            if all(old["metadata"].get(f) == new["metadata"].get(f) for f in fields):
                return
        namespace, name = event.key
        if resource.kind in ("ConfigMap", "Secret", "ServiceAccount", "PersistentVolumeClaim"):
            self._dependency_changed(namespace, resource.kind, name)
        kind = "ResourceBinding" if resource.namespaced else "ClusterResourceBinding"
        key = BindingKey(kind, namespace, f"{name}-{resource.kind.lower()}")
        if self.bindings[kind].get(namespace or None, key.name) is not None:
            self.binding_runner.enqueue(key)

    def _dependency_changed(self, namespace: str, kind: str, name: str) -> None:
        identity = ManifestId("v1", kind, namespace, name)
        for (_cluster, dependency), users in list(self._dependency_users.items()):
            if dependency == identity:
                for key in users:
                    self.binding_runner.enqueue(key)

    def _secret_changed(self, event: InformerEvent) -> None:
        namespace, _name = event.key
        if any(
            (a.get("spec") or {}).get("kubeconfig") for a in self.attached.list(namespace=namespace)
        ):
            self._enqueue_all_clusters()

    def _enqueue_all_clusters(self) -> None:
        for _namespace, name in self.clusters.keys():
            self.cluster_runner.enqueue(name)

    def _work_changed(self, event: InformerEvent) -> None:
        namespace, _name = event.key
        cluster = cluster_of_namespace(namespace)
        key = binding_of(event.object)
        if cluster is None or key is None:
            return
        if event.type == "DELETED":
            self._unindex_work(key, cluster)
            self.binding_runner.enqueue(key)
        else:
            self._index_work(key, cluster, event.object)
            binding = self.binding(key)
            if binding is None or is_deleting(binding):
                self.binding_runner.enqueue(key)
        self._status_later(key)

    def _index_work(self, key: BindingKey, cluster: str, work: Object) -> None:
        self._work_clusters.setdefault(key, set()).add(cluster)
        for manifest in manifests_of(work)[1:]:
            self._dependency_users.setdefault((cluster, ManifestId.of(manifest)), set()).add(key)

    def _unindex_work(self, key: BindingKey, cluster: str) -> None:
        clusters = self._work_clusters.get(key)
        if clusters is not None:
            clusters.discard(cluster)
            if not clusters:
                del self._work_clusters[key]
        for index, users in list(self._dependency_users.items()):
            if index[0] == cluster and key in users:
                users.discard(key)
                if not users:
                    del self._dependency_users[index]

    def _policy_changed(self, event: InformerEvent) -> None:
        """Re-render the bindings the policy selects, before or after the change."""
        self._policy_epoch += 1
        namespace = event.object["metadata"].get("namespace") or ""
        selectors: list[Any] = []
        for raw in (event.old, event.object):
            if raw is None:
                continue
            try:
                policy = self._parse_policy(raw)
            except PolicyValidationError:
                selectors = []
                break
            spec = policy.spec
            if not spec.resource_selectors:
                selectors = []
                break
            selectors.append(spec.resource_selectors)
        for kind, informer in self.bindings.items():
            for binding in informer.list(namespace=namespace or None):
                key = BindingKey(kind, *self._key_of(binding))
                if not selectors or self._template_selected(binding, selectors):
                    self.binding_runner.enqueue(key)

    @staticmethod
    def _key_of(binding: Object) -> tuple[str, str]:
        return binding["metadata"].get("namespace") or "", binding["metadata"]["name"]

    def _template_selected(self, binding: Object, selectors: list[Any]) -> bool:
        template = self._template_of(binding)
        if template is None:
            return True
        return any(policy_priority(template, group) > 0 for group in selectors)

    @staticmethod
    def _parse_policy(raw: Object) -> Any:
        if raw.get("apiVersion") == "apps.kurator.dev/v1alpha1":
            raw = dict(raw, apiVersion=KURATOR_POLICY_API_VERSION)
        return parse_override_policy(raw)

    # ---- hub state ---------------------------------------------------------------------

    def binding(self, key: BindingKey) -> Object | None:
        cached = self.bindings[key.kind].get(key.namespace or None, key.name)
        return self._fresher(BINDING_TYPES[key.kind], cached)

    def _spec(self, key: BindingKey, binding: Object) -> ResourceBindingSpec:
        revision = binding["metadata"].get("resourceVersion", "")
        cached = self._specs.get(key)
        if cached is not None and cached[0] == revision:
            return cached[1]
        spec = ResourceBindingSpec.model_validate(binding["spec"])
        self._specs[key] = (revision, spec)
        return spec

    def _template_of(self, binding: Object) -> Object | None:
        resource_ref = (binding.get("spec") or {}).get("resource") or {}
        resource = resource_for(resource_ref.get("apiVersion", ""), resource_ref.get("kind", ""))
        if resource is None:
            return None
        informer = self._templates.get(resource.group_resource)
        if informer is None:
            return None
        return informer.get(resource_ref.get("namespace") or None, resource_ref.get("name", ""))

    def _policy_sets(self) -> tuple[list[ClusterOverridePolicy], list[Any]]:
        if self._policies is not None and self._policies[0] == self._policy_epoch:
            return self._policies[1], self._policies[2]
        cluster_policies: list[ClusterOverridePolicy] = []
        namespaced: list[OverridePolicy | KuratorOverridePolicy] = []
        for informer in self.policies:
            for raw in informer.list():
                try:
                    policy = self._parse_policy(raw)
                except PolicyValidationError as error:
                    log.warning("ignoring invalid %s: %s", raw["metadata"].get("name"), error)
                    continue
                if isinstance(policy, ClusterOverridePolicy):
                    cluster_policies.append(policy)
                else:
                    namespaced.append(policy)
        self._policies = (self._policy_epoch, cluster_policies, namespaced)
        return cluster_policies, namespaced

    def work(self, binding: BindingKey, cluster: str) -> Object | None:
        slot = (execution_namespace(cluster), work_name(binding))
        cached = self.works.get(*slot)
        written = self._works_written.get(slot)
        if written is None:
            return cached
        if cached is None or int(cached["metadata"].get("resourceVersion") or 0) < int(
            written["metadata"].get("resourceVersion") or 0
        ):
            return written if written.get("kind") else None
        return cached

    # ---- the Hub protocol used by member sessions --------------------------------------

    def plan(self, binding: BindingKey, cluster: str) -> Plan:
        raw = self.binding(binding)
        cluster_raw = self.clusters.get(None, cluster)
        spec = self._spec(binding, raw) if raw is not None else None
        action = placement(
            spec,
            deleting=is_deleting(raw),
            cluster=cluster,
            cluster_present=cluster_raw is not None and not is_deleting(cluster_raw),
        )
        if action == "remove":
            kind = resource_for(spec.resource.api_version, spec.resource.kind) if spec else None
            return Plan(action, kinds=(kind,) if kind is not None else ())
        if action != "apply" or spec is None or cluster_raw is None:
            return Plan(action)
        if not has_finalizer(raw):
            return WAIT
        ref = spec.resource
        resource = resource_for(ref.api_version, ref.kind)
        if resource is None:
            return Plan("apply", error=f"{ref.api_version}/{ref.kind} is not a known kind")
        informer = self._template_informer(resource)
        if not informer.synced:
            return self._wait_for(resource, binding, cluster)
        template = informer.get(ref.namespace or None, ref.name)
        if template is None or is_deleting(template):
            return Plan("keep")
        deps: list[Object] = []
        if spec.propagate_deps:
            for identity in dependencies(template):
                dep_type = _resource("v1", identity.kind)
                dep_informer = self._template_informer(dep_type)
                if not dep_informer.synced:
                    return self._wait_for(dep_type, binding, cluster)
                found = dep_informer.get(identity.namespace or None, identity.name)
                if found is not None:
                    deps.append(found)
        metadata = template["metadata"]
        cluster_meta = cluster_raw["metadata"]
        fingerprint = _fingerprint(
            metadata.get("uid"),
            metadata.get("generation"),
            metadata.get("labels"),
            metadata.get("annotations"),
            spec.assigned_replicas_for(cluster),
            spec.conflict_resolution,
            self._policy_epoch,
            cluster_meta.get("labels"),
            cluster_raw.get("spec"),
            [d["metadata"].get("resourceVersion") for d in deps],
        )
        cached = self._plans.get((binding, cluster))
        if cached is not None and cached[0] == fingerprint:
            return cached[1]
        result = self._render(binding, cluster_raw, template, deps, spec)
        self._plans[(binding, cluster)] = (fingerprint, result)
        return result

    def _render(
        self,
        binding: BindingKey,
        cluster_raw: Object,
        template: Object,
        deps: list[Object],
        spec: ResourceBindingSpec,
    ) -> Plan:
        cluster = Cluster.model_validate(cluster_raw)
        cluster_policies, namespaced = self._policy_sets()
        overwrite = spec.conflict_resolution == "Overwrite"
        try:
            rendered = render(
                template,
                cluster=cluster,
                replicas=spec.assigned_replicas_for(cluster.name),
                cluster_override_policies=cluster_policies,
                override_policies=namespaced,
            )
            manifests = [desired_manifest(rendered, binding=binding)]
            for dependency in deps:
                rendered_dep = render(
                    dependency,
                    cluster=cluster,
                    replicas=None,
                    cluster_override_policies=cluster_policies,
                    override_policies=namespaced,
                )
                manifests.append(desired_manifest(rendered_dep, binding=None, dependency=True))
        except RenderError as error:
            return Plan("apply", error=f"cannot render for {cluster.name}: {error}")
        return Plan("apply", manifests=manifests, overwrite=overwrite)

    async def record(
        self,
        binding: BindingKey,
        cluster: str,
        *,
        manifests: list[Object],
        applied: bool | None,
        message: str,
    ) -> None:
        """Write the Work of (binding, cluster) when its manifests or condition changed;
        `applied=None` records what is about to be applied, before any member answer."""
        existing = self.work(binding, cluster)
        condition = None
        if applied is not None:
            condition = next_condition(
                applied_condition(existing), applied=applied, message=message, now=utc_timestamp()
            )
        desired = build_work(
            binding=binding,
            cluster=cluster,
            manifests=manifests,
            condition=condition,
            existing=existing,
        )
        if same_work(desired, existing):
            return
        namespace = execution_namespace(cluster)
        await self._ensure_hub_namespace(namespace)
        store = self.context.store
        desired["metadata"].pop("resourceVersion", None)
        if existing is None:
            try:
                written = await store.create(WORKS_WRITE, desired)
            except AlreadyExistsError:
                written = await store.update(WORKS_WRITE, desired)
        else:
            written = await store.update(WORKS_WRITE, desired, current=existing)
        self._works_written[(namespace, desired["metadata"]["name"])] = written
        self._index_work(binding, cluster, written)
        if applied is None:
            return
        await self.context.bus.publish(
            subjects.subject(
                subjects.PROPAGATION_APPLIED, cluster, binding.namespace, binding.name
            ),
            orjson.dumps(
                {
                    "cluster": cluster,
                    "binding": binding.reference(),
                    "applied": applied,
                    "message": message,
                }
            ),
        )

    async def forget(self, binding: BindingKey, cluster: str) -> None:
        namespace, name = execution_namespace(cluster), work_name(binding)
        try:
            deleted = await self.context.store.delete(WORKS, namespace, name)
            self._works_written[(namespace, name)] = {
                "metadata": {"resourceVersion": deleted.object["metadata"]["resourceVersion"]}
            }
        except NotFoundError:
            pass
        self._unindex_work(binding, cluster)
        self._plans.pop((binding, cluster), None)
        self.binding_runner.enqueue(binding)

    def dependency_shared(self, cluster: str, identity: ManifestId, *, besides: BindingKey) -> bool:
        return bool(self._dependency_users.get((cluster, identity), set()) - {besides})

    def member_changed(self, binding: BindingKey) -> None:
        self._status_later(binding)
        if is_deleting(self.binding(binding)):
            self.binding_runner.enqueue(binding)

    def propagated_kinds(self, cluster: str) -> set[ResourceType]:
        kinds: set[ResourceType] = set()
        for informer in self.bindings.values():
            for binding in informer.list():
                ref = (binding.get("spec") or {}).get("resource") or {}
                found = resource_for(ref.get("apiVersion", ""), ref.get("kind", ""))
                if found is not None:
                    kinds.add(found)
        for work in self.works.list(namespace=execution_namespace(cluster)):
            for manifest in manifests_of(work):
                identity = ManifestId.of(manifest)
                found = resource_for(identity.api_version, identity.kind)
                if found is not None:
                    kinds.add(found)
        return kinds

    async def _ensure_hub_namespace(self, name: str) -> None:
        if name in self._hub_namespaces:
            return
        body = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}
        try:
            await self.context.store.create(NAMESPACES, body)
        except AlreadyExistsError:
            pass
        self._hub_namespaces.add(name)

    # ---- bindings ----------------------------------------------------------------------

    async def reconcile_binding(self, key: BindingKey) -> Requeue | None:
        raw = self.binding(key)
        spec = self._spec(key, raw) if raw is not None else None
        resource = BINDING_TYPES[key.kind]
        if raw is not None and not is_deleting(raw):
            if spec is not None:
                template_type = resource_for(spec.resource.api_version, spec.resource.kind)
                if template_type is not None:
                    self._template_informer(template_type)
            updated = with_finalizer(raw)
            if updated is not None:
                try:
                    self._remember(
                        resource, await self.context.store.update(resource, updated, current=raw)
                    )
                except ConflictError:
                    return Requeue(after=STATUS_CONFLICT_RETRY_S)
                except NotFoundError:
                    return None
            for session in self.sessions.values():
                session.removal_outdated(key)
        visited = clusters_to_visit(spec, self._work_clusters.get(key, set()))
        confirmed: set[str] = set()
        for cluster in visited:
            session = self.sessions.get(cluster)
            if session is not None:
                if session.removal_confirmed(key) and self.work(key, cluster) is None:
                    confirmed.add(cluster)
                else:
                    session.enqueue(key)
            elif self.clusters.get(None, cluster) is None and self.work(key, cluster) is not None:
                await self.forget(key, cluster)
        if raw is not None and is_deleting(raw):
            waiting = awaiting_removal(
                visited=visited,
                with_work=self._work_clusters.get(key, set()),
                sessions=self.sessions,
                confirmed=confirmed,
            )
            if waiting:
                return None
            updated = without_finalizer(raw)
            if updated is not None:
                try:
                    await self.context.store.update(resource, updated, current=raw)
                except ConflictError:
                    return Requeue(after=STATUS_CONFLICT_RETRY_S)
                except NotFoundError:
                    pass
            self._specs.pop(key, None)
            return None
        if raw is None:
            self._specs.pop(key, None)
            return None
        self._status_later(key)
        return None

    # ---- status ------------------------------------------------------------------------

    def _status_later(self, key: BindingKey) -> None:
        """Coalesce: changes within `status_delay_s` make one write, and a binding's status
        is written at most once per `status_interval_s` while its members keep changing."""
        delay = self.settings.status_delay_s
        last = self._status_written_at.get(key)
        if last is not None:
            delay = max(delay, last + self.settings.status_interval_s - time.monotonic())
        self.status_runner.enqueue(key, after=delay)

    async def reconcile_status(self, key: BindingKey) -> Requeue | None:
        raw = self.binding(key)
        if raw is None or is_deleting(raw):
            self._status_written_at.pop(key, None)
            return None
        spec = self._spec(key, raw)
        ref = spec.resource
        identity = ManifestId(ref.api_version, ref.kind, ref.namespace, ref.name)
        clusters = [t.name for t in spec.clusters]
        clusters += sorted(spec.evicting_clusters() - set(clusters))
        items = []
        for cluster in clusters:
            session = self.sessions.get(cluster)
            live = session.live(identity) if session is not None else None
            condition = applied_condition(self.work(key, cluster))
            applied = condition is not None and condition.status == "True"
            items.append(
                aggregated_item(
                    cluster=cluster,
                    live=live,
                    applied=applied,
                    applied_message=condition.message if condition and not applied else "",
                )
            )
        status = dict(raw.get("status") or {})
        if status.get("aggregatedStatus") != items:
            status["aggregatedStatus"] = items
            resource = BINDING_TYPES[key.kind]
            try:
                written = await self.context.store.update_status(
                    resource, dict(raw, status=status), current=raw
                )
                self._remember(resource, written)
                self._status_written_at[key] = time.monotonic()
            except ConflictError:
                return Requeue(after=STATUS_CONFLICT_RETRY_S)
            except NotFoundError:
                return None
        return await self._write_template_status(ref.api_version, ref.kind, identity, items)

    async def _write_template_status(
        self, api_version: str, kind: str, identity: ManifestId, items: list[Object]
    ) -> Requeue | None:
        resource = resource_for(api_version, kind)
        if resource is None:
            return None
        cached = self._template_informer(resource).get(identity.namespace or None, identity.name)
        template = self._fresher(resource, cached)
        if template is None or is_deleting(template):
            return None
        summed = template_status(kind, items, current=template.get("status"))
        if summed is None or summed == template.get("status"):
            return None
        try:
            written = await self.context.store.update_status(
                resource, dict(template, status=summed), current=template
            )
            self._remember(resource, written)
        except ConflictError:
            return Requeue(after=STATUS_CONFLICT_RETRY_S)
        except NotFoundError:
            pass
        return None

    # ---- clusters ----------------------------------------------------------------------

    def _kubeconfig(self, cluster: Object) -> str | None:
        """The kubeconfig text of the AttachedCluster the Cluster's label names."""
        reference = (cluster["metadata"].get("labels") or {}).get(ATTACHED_LABEL, "")
        namespace, _, name = reference.partition(".")
        raw = self.attached.get(namespace, name) if name else None
        if raw is None:
            return None
        attached = AttachedCluster.model_validate(raw)
        kubeconfig = attached.spec.kubeconfig
        secret = self.secrets.get(namespace, kubeconfig.secret_name)
        if secret is None:
            return None
        try:
            return decode_secret_value(secret.get("data") or {}, kubeconfig.key)
        except MemberError as error:
            log.warning("cluster %s: %s", cluster["metadata"]["name"], error)
            return None

    def _relevant(self, cluster: str) -> Iterable[BindingKey]:
        for kind, informer in self.bindings.items():
            for binding in informer.list():
                if _targets(binding, cluster):
                    yield BindingKey(kind, *self._key_of(binding))
        for key, clusters in list(self._work_clusters.items()):
            if cluster in clusters:
                yield key

    async def reconcile_cluster(self, name: str) -> Requeue | None:
        raw = self.clusters.get(None, name)
        session = self.sessions.get(name)
        if raw is None or is_deleting(raw):
            return await self._detach(name, session)
        text = self._kubeconfig(raw)
        if text is None:
            if session is not None:
                await self._end_session(name)
            return None
        digest = hashlib.sha256(text.encode()).hexdigest()
        fingerprint = _fingerprint(raw["metadata"].get("labels"), raw.get("spec"))
        if session is not None and session.kubeconfig_digest == digest:
            if self._cluster_prints.get(name) != fingerprint:
                self._cluster_prints[name] = fingerprint
                for key in set(self._relevant(name)):
                    session.enqueue(key)
            return None
        await self._end_session(name)
        try:
            client = await MemberClient.from_kubeconfig(
                text, timeout=self.settings.request_timeout_s
            )
        except MemberError as error:
            log.warning("cluster %s: cannot use its kubeconfig: %s", name, error)
            return Requeue(after=CONNECT_RETRY_S)
        session = MemberSession(
            name, client, hub=self, settings=self.settings, kubeconfig_digest=digest
        )
        self.sessions[name] = session
        self._cluster_prints[name] = fingerprint
        session.start()
        for key in set(self._relevant(name)):
            session.enqueue(key)
        return None

    async def _detach(self, name: str, session: MemberSession | None) -> Requeue | None:
        """A detached cluster's copies are deleted while its member still answers; once
        it does not (or they are gone) its Works are dropped and the session ends."""
        remaining = {key for key, clusters in self._work_clusters.items() if name in clusters}
        if session is not None and remaining and session.last_error is None:
            for key in remaining:
                session.enqueue(key)
            return Requeue(after=DETACH_RETRY_S)
        for key in remaining:
            log.warning("cluster %s detached while unreachable: dropping work of %s", name, key)
            await self.forget(key, name)
        await self._end_session(name)
        self._cluster_prints.pop(name, None)
        return None

    async def _end_session(self, name: str) -> None:
        session = self.sessions.pop(name, None)
        if session is not None:
            await session.stop()
        for slot in [slot for slot in self._plans if slot[1] == name]:
            del self._plans[slot]
