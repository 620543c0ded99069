"""What one member should hold for one binding, decided from hub state only.

A member session asks; the planner answers from the caches: apply (the rendered manifests:
template and dependencies through every matching override policy), keep (gracefully
evicting: leave the copy alone), remove, or wait (a cache is still listing, or the binding
has no finalizer yet). Renders are cached per (binding, cluster) under a fingerprint of
everything they read, so an unchanged binding costs no render.
"""

import logging
from dataclasses import dataclass, field
from typing import Any, Literal

import orjson

from services.override_engine.caches import HubCaches
from services.override_engine.removal import has_finalizer, is_deleting, placement
from services.override_engine.syncing import dependencies, desired_manifest, resource_for
from services.override_engine.works import BindingKey, Object
from shared.api.binding import ResourceBindingSpec
from shared.api.cluster import Cluster
from shared.api.kinds import CONFIGMAPS, PERSISTENT_VOLUME_CLAIMS, SECRETS, SERVICE_ACCOUNTS
from shared.api.overrides import (
    ClusterOverridePolicy,
    KuratorOverridePolicy,
    OverridePolicy,
    PolicyValidationError,
    parse_override_policy,
)
from shared.api.resources import ResourceType
from shared.overriding.rendering import RenderError, render

log = logging.getLogger(__name__)

KURATOR_POLICY_API_VERSION = "policy.kurator.dev/v1alpha1"
APPS_POLICY_API_VERSION = "apps.kurator.dev/v1alpha1"
DEPENDENCY_TYPES: dict[str, ResourceType] = {
    "ConfigMap": CONFIGMAPS,
    "Secret": SECRETS,
    "ServiceAccount": SERVICE_ACCOUNTS,
    "PersistentVolumeClaim": PERSISTENT_VOLUME_CLAIMS,
}
"""The kinds a workload's dependencies are (Karmada's dependencies distributor)."""

PlanAction = Literal["apply", "keep", "remove", "wait"]
NamespacedPolicy = OverridePolicy | KuratorOverridePolicy


@dataclass(frozen=True)
class Plan:
    """What this member should hold for one binding."""

    action: PlanAction
    manifests: list[Object] = field(default_factory=list)
    error: str = ""
    overwrite: bool = False
    """The binding's conflictResolution is Overwrite: adopt objects Navarch did not create."""
    kinds: tuple[ResourceType, ...] = ()
    """Remove: kinds the member's caches must have listed before the removal is confirmed
    (the binding's own kind, besides those its Work names)."""


WAIT = Plan("wait")
"""Hub caches are not listed yet, or the binding has no finalizer yet: the hub enqueues the
binding again once they have (and it has)."""


def parse_policy(raw: Object) -> Any:
    """An override policy of any of the four collections; `apps.kurator.dev` is Kurator's
    same OverridePolicy under its apps group."""
    if raw.get("apiVersion") == APPS_POLICY_API_VERSION:
        raw = dict(raw, apiVersion=KURATOR_POLICY_API_VERSION)
    return parse_override_policy(raw)


def fingerprint(*parts: Any) -> bytes:
    """Equal exactly when every part is: what a cached render was made from."""
    return orjson.dumps(parts, option=orjson.OPT_SORT_KEYS)


def render_fingerprint(
    *,
    template: Object,
    spec: ResourceBindingSpec,
    cluster: Object,
    dependencies: list[Object],
    policy_epoch: int,
) -> bytes:
    """What a render of `template` for `cluster` depends on (template status does not)."""
    metadata = template["metadata"]
    return fingerprint(
        metadata.get("uid"),
        metadata.get("generation"),
        metadata.get("labels"),
        metadata.get("annotations"),
        spec.assigned_replicas_for(cluster["metadata"]["name"]),
        spec.conflict_resolution,
        policy_epoch,
        cluster["metadata"].get("labels"),
        cluster.get("spec"),
        [d["metadata"].get("resourceVersion") for d in dependencies],
    )


class Planner:
    def __init__(self, caches: HubCaches) -> None:
        self._caches = caches
        self.policy_epoch = 0
        self._policies: tuple[int, list[ClusterOverridePolicy], list[NamespacedPolicy]] | None = (
            None
        )
        self._plans: dict[tuple[BindingKey, str], tuple[bytes, Plan]] = {}

    def policies_changed(self) -> None:
        """Every cached render is stale: a policy may now match what it did not."""
        self.policy_epoch += 1

    def forget(self, binding: BindingKey, cluster: str) -> None:
        self._plans.pop((binding, cluster), None)

    def forget_cluster(self, cluster: str) -> None:
        for slot in [slot for slot in self._plans if slot[1] == cluster]:
            del self._plans[slot]

    def plan(self, binding: BindingKey, cluster: str) -> Plan:
        caches = self._caches
        raw = caches.binding(binding)
        cluster_raw = caches.cluster(cluster)
        spec = caches.spec(binding, raw) if raw is not None else None
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
        informer = caches.template_informer(resource)
        if not informer.synced:
            caches.park(resource, binding, cluster)
            return WAIT
        template = informer.get(ref.namespace or None, ref.name)
        if template is None or is_deleting(template):
            return Plan("keep")
        deps: list[Object] = []
        if spec.propagate_deps:
            for identity in dependencies(template):
                dep_type = DEPENDENCY_TYPES[identity.kind]
                dep_informer = caches.template_informer(dep_type)
                if not dep_informer.synced:
                    caches.park(dep_type, binding, cluster)
                    return WAIT
                found = dep_informer.get(identity.namespace or None, identity.name)
                if found is not None:
                    deps.append(found)
        made_from = render_fingerprint(
            template=template,
            spec=spec,
            cluster=cluster_raw,
            dependencies=deps,
            policy_epoch=self.policy_epoch,
        )
        cached = self._plans.get((binding, cluster))
        if cached is not None and cached[0] == made_from:
            return cached[1]
        result = self._render(binding, cluster_raw, template, deps, spec)
        self._plans[(binding, cluster)] = (made_from, result)
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

    def _policy_sets(self) -> tuple[list[ClusterOverridePolicy], list[NamespacedPolicy]]:
        if self._policies is not None and self._policies[0] == self.policy_epoch:
            return self._policies[1], self._policies[2]
        cluster_policies: list[ClusterOverridePolicy] = []
        namespaced: list[NamespacedPolicy] = []
        for informer in self._caches.policies:
            for raw in informer.list():
                try:
                    policy = parse_policy(raw)
                except PolicyValidationError as error:
                    log.warning("ignoring invalid %s: %s", raw["metadata"].get("name"), error)
                    continue
                if isinstance(policy, ClusterOverridePolicy):
                    cluster_policies.append(policy)
                else:
                    namespaced.append(policy)
        self._policies = (self.policy_epoch, cluster_policies, namespaced)
        return cluster_policies, namespaced
