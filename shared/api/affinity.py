"""Karmada's ClusterAffinity and its matching rule (`util.ClusterMatches`).

Both the scheduler (placement) and the override-engine (`targetCluster`) select clusters
with it, so it lives here once.
"""

from typing import Literal

from pydantic import Field

from shared.api.base import KubeModel
from shared.api.cluster import Cluster
from shared.api.meta import LabelSelector

FieldSelectorOperator = Literal["In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt"]


class FieldSelectorRequirement(KubeModel):
    key: str
    operator: FieldSelectorOperator
    values: list[str] = Field(default_factory=list)


class FieldSelector(KubeModel):
    match_expressions: list[FieldSelectorRequirement] = Field(default_factory=list)


class ClusterAffinity(KubeModel):
    label_selector: LabelSelector | None = None
    field_selector: FieldSelector | None = None
    cluster_names: list[str] = Field(default_factory=list)
    exclude: list[str] = Field(default_factory=list)


def _zone_requirement_matches(requirement: FieldSelectorRequirement, zones: list[str]) -> bool:
    if requirement.operator == "In":
        return any(zone in requirement.values for zone in zones)
    if requirement.operator == "NotIn":
        return not any(zone in requirement.values for zone in zones)
    if requirement.operator == "Exists":
        return bool(zones)
    if requirement.operator == "DoesNotExist":
        return not zones
    return False


def _node_requirement_matches(
    requirement: FieldSelectorRequirement, fields: dict[str, str]
) -> bool:
    """Kubernetes node-selector requirement semantics over {provider, region}."""
    present = requirement.key in fields
    value = fields.get(requirement.key)
    if requirement.operator == "In":
        return present and value in requirement.values
    if requirement.operator == "NotIn":
        return not present or value not in requirement.values
    if requirement.operator == "Exists":
        return present
    if requirement.operator == "DoesNotExist":
        return not present
    if not present or len(requirement.values) != 1:
        return False
    try:
        actual, wanted = int(value or ""), int(requirement.values[0])
    except ValueError:
        return False
    return actual > wanted if requirement.operator == "Gt" else actual < wanted


def field_selector_matches(field_selector: FieldSelector, cluster: Cluster) -> bool:
    fields = {
        key: value
        for key, value in (("provider", cluster.spec.provider), ("region", cluster.spec.region))
        if value
    }
    for requirement in field_selector.match_expressions:
        if requirement.key == "zone":
            if not _zone_requirement_matches(requirement, cluster.effective_zones()):
                return False
        elif requirement.key in ("provider", "region"):
            if not _node_requirement_matches(requirement, fields):
                return False
        else:
            return False
    return True


def cluster_matches(cluster: Cluster, affinity: ClusterAffinity) -> bool:
    """Exclude first, then labels, then fields, then names: all must hold."""
    if cluster.name in affinity.exclude:
        return False
    if affinity.label_selector is not None and not affinity.label_selector.matches(
        cluster.metadata.labels
    ):
        return False
    if affinity.field_selector is not None and not field_selector_matches(
        affinity.field_selector, cluster
    ):
        return False
    return not affinity.cluster_names or cluster.name in affinity.cluster_names
