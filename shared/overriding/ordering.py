"""Which override rules apply to a resource on a cluster, and in what order: Karmada's
implicit priority of resource selectors (`pkg/util/overridemanager/overridemanager.go`)."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from shared.api.affinity import cluster_matches
from shared.api.cluster import Cluster
from shared.api.overrides import ClusterOverridePolicy, OverridePolicy, Overriders
from shared.api.propagation import ResourceSelector

KarmadaOverridePolicy = OverridePolicy | ClusterOverridePolicy


class ImplicitPriority(IntEnum):
    """How specifically a selector matched; a more specific policy is applied later."""

    MISMATCH = 0
    MATCH_ALL = 1
    LABEL_SELECTOR = 2
    NAME = 3


def metadata_of(resource: Mapping[str, Any]) -> Mapping[str, Any]:
    metadata = resource.get("metadata")
    return metadata if isinstance(metadata, Mapping) else {}


def selector_priority(resource: Mapping[str, Any], selector: ResourceSelector) -> ImplicitPriority:
    """Karmada's ResourceSelectorPriority: a name match beats a label match beats match-all."""
    metadata = metadata_of(resource)
    if (
        resource.get("apiVersion") != selector.api_version
        or resource.get("kind") != selector.kind
        or (selector.namespace and metadata.get("namespace") != selector.namespace)
    ):
        return ImplicitPriority.MISMATCH
    if selector.name:
        if selector.name == metadata.get("name"):
            return ImplicitPriority.NAME
        return ImplicitPriority.MISMATCH
    if selector.label_selector is None:
        return ImplicitPriority.MATCH_ALL
    labels = metadata.get("labels")
    if selector.label_selector.matches(dict(labels) if isinstance(labels, Mapping) else {}):
        return ImplicitPriority.LABEL_SELECTOR
    return ImplicitPriority.MISMATCH


def policy_priority(
    resource: Mapping[str, Any], selectors: Sequence[ResourceSelector]
) -> ImplicitPriority:
    """The best match over a policy's selectors; no selectors at all selects everything."""
    if not selectors:
        return ImplicitPriority.MATCH_ALL
    return max(
        (selector_priority(resource, selector) for selector in selectors),
        default=ImplicitPriority.MISMATCH,
    )


@dataclass(frozen=True)
class MatchedRule:
    """One rule of one policy that applies to this resource on this cluster."""

    policy: KarmadaOverridePolicy
    rule_index: int

    @property
    def overriders(self) -> Overriders:
        return self.policy.spec.effective_rules()[self.rule_index].overriders

    def describe_policy(self) -> str:
        namespace = self.policy.metadata.namespace
        if isinstance(self.policy, OverridePolicy) and namespace:
            return f"{self.policy.kind} {namespace}/{self.policy.metadata.name}"
        return f"{self.policy.kind} {self.policy.metadata.name}"


def matching_rules(
    *,
    resource: Mapping[str, Any],
    cluster: Cluster,
    policies: Sequence[KarmadaOverridePolicy],
) -> list[MatchedRule]:
    """One group's rules in application order: policies ascending by implicit priority
    then name (the most specific applies last and wins), rules in declared order."""
    ranked = sorted(
        (
            (priority, policy.metadata.name, position, policy)
            for position, policy in enumerate(policies)
            if (priority := policy_priority(resource, policy.spec.resource_selectors))
            > ImplicitPriority.MISMATCH
        ),
        key=lambda entry: entry[:3],
    )
    matched: list[MatchedRule] = []
    for _priority, _name, _position, policy in ranked:
        for index, rule in enumerate(policy.spec.effective_rules()):
            if rule.target_cluster is None or cluster_matches(cluster, rule.target_cluster):
                matched.append(MatchedRule(policy=policy, rule_index=index))
    return matched
