"""Which policy claims which template: Karmada's resource detector, as an index over events.

Policies (PropagationPolicy, ClusterPropagationPolicy and Kurator's DistributionPolicy,
which claims through PropagationPolicy marks) are kept defaulted as the webhook would have
left them. Templates report the claim marks they carry, so a policy change wakes exactly
the templates it claimed besides the ones its selectors now match. No I/O here: the event
handlers feed it, the scheduling reconcile asks it.
"""

import logging
from dataclasses import dataclass

from pydantic import ValidationError

from services.scheduler.binding_sync import (
    TemplateKey,
    has_claim,
    template_meta,
    without_claim,
)
from services.scheduler.resources import (
    APPS_DISTRIBUTION_POLICIES,
    CLUSTER_PROPAGATION_POLICIES,
    DISTRIBUTION_POLICIES,
    PROPAGATION_POLICIES,
)
from shared.api.meta import ObjectMeta
from shared.api.propagation import (
    ClusterPropagationPolicy,
    DistributionPolicy,
    Placement,
    PlacementExtras,
    PropagationPolicy,
    default_propagation_spec,
    distribution_to_propagation,
)
from shared.api.resources import ResourceType
from shared.placement.matching import (
    CPP_PERMANENT_ID_LABEL,
    PP_PERMANENT_ID_LABEL,
    AnyPolicy,
    claim_metadata,
    claimed_by,
    resolve_claim,
)
from shared.runtime.informing import InformerEvent, ObjectKey
from shared.store.objects import Object

log = logging.getLogger(__name__)

ClaimKey = tuple[str, str | None, str]
"""(policy kind, namespace or None for cluster scope, name) as a template's marks name it."""
PolicySource = ResourceType
POLICY_SOURCES: tuple[PolicySource, ...] = (
    PROPAGATION_POLICIES,
    DISTRIBUTION_POLICIES,
    APPS_DISTRIBUTION_POLICIES,
    CLUSTER_PROPAGATION_POLICIES,
)
NAMESPACED_PRECEDENCE = (APPS_DISTRIBUTION_POLICIES, DISTRIBUTION_POLICIES, PROPAGATION_POLICIES)
"""Later wins on a name clash: a PropagationPolicy beats a same-named DistributionPolicy."""


@dataclass(frozen=True)
class PolicyEntry:
    """A policy as the webhook would have defaulted it, with its Kurator extras."""

    source: PolicySource
    policy: AnyPolicy
    extras: PlacementExtras
    placement: Placement

    def selected_kinds(self) -> set[tuple[str, str]]:
        return {(s.api_version, s.kind) for s in self.policy.spec.resource_selectors}

    def claim(self) -> ClaimKey:
        metadata = self.policy.metadata
        if isinstance(self.policy, PropagationPolicy):
            return ("PropagationPolicy", metadata.namespace or "", metadata.name)
        return ("ClusterPropagationPolicy", None, metadata.name)

    @property
    def cluster_scoped(self) -> bool:
        return isinstance(self.policy, ClusterPropagationPolicy)

    @property
    def permanent_id(self) -> str:
        """Karmada's permanent id label; empty until the detector wrote one."""
        return self.policy.metadata.labels.get(permanent_id_label(self.source), "")


def permanent_id_label(source: PolicySource) -> str:
    """Kurator's DistributionPolicy claims through PropagationPolicy marks, so its id too."""
    if source is CLUSTER_PROPAGATION_POLICIES:
        return CPP_PERMANENT_ID_LABEL
    return PP_PERMANENT_ID_LABEL


@dataclass(frozen=True)
class Resolution:
    """`ClaimResolution` with the claiming policy's entry."""

    entry: PolicyEntry | None
    release: bool = False
    hold: bool = False


def parse_policy(source: PolicySource, obj: Object) -> PolicyEntry:
    """PP, CPP or DistributionPolicy ⇒ a defaulted Karmada policy plus extras."""
    extras = PlacementExtras()
    policy: AnyPolicy
    if source is CLUSTER_PROPAGATION_POLICIES:
        policy = ClusterPropagationPolicy.model_validate(obj)
        policy.spec = default_propagation_spec(policy.spec, namespace=None)
    else:
        if source is PROPAGATION_POLICIES:
            policy = PropagationPolicy.model_validate(obj)
        else:
            policy, extras = distribution_to_propagation(DistributionPolicy.model_validate(obj))
        policy.spec = default_propagation_spec(policy.spec, namespace=policy.metadata.namespace)
    return PolicyEntry(source, policy, extras, policy.spec.placement)


def claimed_template(template: Object, policy: AnyPolicy) -> Object | None:
    """The template with the policy's claim labels and annotations; None when it has them."""
    current = template["metadata"]
    claimed = claim_metadata(template_meta(template), policy)
    if claimed.labels == (current.get("labels") or {}) and claimed.annotations == (
        current.get("annotations") or {}
    ):
        return None
    metadata = {**current, "labels": claimed.labels, "annotations": claimed.annotations}
    return {**template, "metadata": metadata}


def unclaimed_template(template: Object) -> Object | None:
    """The template without any policy's claim; None when it carries none."""
    if not has_claim(template["metadata"]):
        return None
    return {**template, "metadata": without_claim(template["metadata"])}


@dataclass(frozen=True)
class PolicyChange:
    """What one policy event affects: the templates it claimed, the kinds it selects."""

    namespace: str
    cluster_scoped: bool
    claimed: frozenset[TemplateKey] = frozenset()
    kinds: frozenset[tuple[str, str]] = frozenset()


class Detector:
    """Policies by source, the namespace view the selection reads, and the claims index."""

    def __init__(self, *, enable_preemption: bool, skipped_namespaces: list[str]) -> None:
        self.enable_preemption = enable_preemption
        self.skipped_namespaces = skipped_namespaces
        self._sources: dict[PolicySource, dict[ObjectKey, PolicyEntry]] = {
            source: {} for source in POLICY_SOURCES
        }
        self._namespaced: dict[str, dict[str, PolicyEntry]] = {}
        self._claims: dict[ClaimKey, set[TemplateKey]] = {}
        self._changed_claims: set[TemplateKey] = set()

    def observe_policy(self, source: PolicySource, event: InformerEvent) -> PolicyChange:
        """Index a policy event; an invalid policy is logged and claims nothing."""
        namespace, name = event.key
        entries = self._sources[source]
        old = entries.pop((namespace, name), None)
        new: PolicyEntry | None = None
        if event.type != "DELETED":
            try:
                new = parse_policy(source, event.object)
            except ValidationError as error:
                log.warning("ignoring invalid %s %s/%s: %s", source.kind, namespace, name, error)
            if new is not None:
                entries[(namespace, name)] = new
        cluster_scoped = source is CLUSTER_PROPAGATION_POLICIES
        if not cluster_scoped:
            self._merge_namespace(namespace)
        claimed: set[TemplateKey] = set()
        kinds: set[tuple[str, str]] = set()
        for entry in (old, new):
            if entry is not None:
                kinds |= entry.selected_kinds()
                claimed |= self._claims.get(entry.claim(), set())
        if new is not None:
            self._changed_claims |= claimed
        return PolicyChange(namespace, cluster_scoped, frozenset(claimed), frozenset(kinds))

    def _merge_namespace(self, namespace: str) -> None:
        merged: dict[str, PolicyEntry] = {}
        for source in NAMESPACED_PRECEDENCE:
            for (ns, name), entry in self._sources[source].items():
                if ns == namespace:
                    merged[name] = entry
        self._namespaced[namespace] = merged

    def observe_template(self, key: TemplateKey, *, old: Object | None, new: Object | None) -> None:
        """Move the template between claims as its marks change (`new` None: deleted)."""
        if new is None:
            self._changed_claims.discard(key)
        for obj, add in ((old, False), (new, True)):
            claim = claimed_by(template_meta(obj)) if obj is not None else None
            if claim is None:
                continue
            keys = self._claims.setdefault(claim, set())
            if add:
                keys.add(key)
            else:
                keys.discard(key)
                if not keys:
                    del self._claims[claim]

    def claimed(self, claim: ClaimKey) -> set[TemplateKey]:
        return set(self._claims.get(claim, ()))

    def resolve(self, key: TemplateKey, meta: ObjectMeta) -> Resolution:
        """Which policy claims the template now (Karmada's priority, preemption, release).

        A claimed policy that no longer selects the template releases it only once that
        policy changed, as Karmada's policy reconcile does; the template's own label change
        leaves the claim in place."""
        namespaced = self._namespaced.get(key.namespace, {}) if key.namespace else {}
        clustered = self._sources[CLUSTER_PROPAGATION_POLICIES]
        resolution = resolve_claim(
            api_version=key.api_version,
            kind=key.kind,
            meta=meta,
            propagation_policies=[e.policy for e in namespaced.values()],  # type: ignore[misc]
            cluster_propagation_policies=[e.policy for e in clustered.values()],  # type: ignore[misc]
            enable_preemption=self.enable_preemption,
            release_unmatched=key in self._changed_claims,
            skipped_namespaces=self.skipped_namespaces,
        )
        policy = resolution.policy
        entry: PolicyEntry | None = None
        if isinstance(policy, PropagationPolicy):
            entry = namespaced.get(policy.metadata.name)
        elif policy is not None:
            entry = clustered.get(("", policy.metadata.name))
        return Resolution(entry, release=resolution.release, hold=resolution.hold)

    def settled(self, key: TemplateKey) -> None:
        """The template's claim was resolved after its policy's last change."""
        self._changed_claims.discard(key)

    def entry(self, source: PolicySource, namespace: str, name: str) -> PolicyEntry | None:
        return self._sources[source].get((namespace, name))
