"""Which clusters may run a resource: Karmada's filter plugins plus Kurator's GPU constraints.

Plugins run in Karmada's registry order (APIEnablement, TaintToleration, ClusterAffinity,
SpreadConstraint, ClusterEviction) and then Navarch's ResourceConstraints; the first failing
plugin's reason is recorded, and a `FitError` renders them in Karmada's exact wording.
"""

from collections import Counter
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal

from shared.api.affinity import ClusterAffinity, cluster_matches
from shared.api.cluster import Cluster
from shared.api.meta import Toleration
from shared.api.propagation import (
    GPU_PRODUCT_LABEL,
    ProductRequirement,
    ResourceConstraint,
    SpreadConstraint,
)
from shared.quantity import parse_quantity

REASON_API = "cluster(s) did not have the API resource"
REASON_AFFINITY = "cluster(s) did not match the placement cluster affinity constraint"
REASON_EVICTION = "cluster(s) is in the process of eviction"
_SPREAD_REASONS = {
    "provider": "cluster(s) did not have provider property",
    "region": "cluster(s) did not have region property",
    "zone": "cluster(s) did not have zones property",
}


class FitError(Exception):
    """No cluster passed the filters; carries each rejected cluster's reason."""

    def __init__(self, *, num_all_clusters: int, reasons: dict[str, str]) -> None:
        self.num_all_clusters = num_all_clusters
        self.reasons = dict(reasons)
        super().__init__(self.message)

    @property
    def message(self) -> str:
        """`0/N clusters are available: <count> <reason>, ....` with reasons sorted."""
        if self.num_all_clusters == 0 or not self.reasons:
            detail = "no cluster exists"
        else:
            counts = Counter(self.reasons.values())
            detail = ", ".join(sorted(f"{count} {reason}" for reason, count in counts.items()))
        return f"0/{self.num_all_clusters} clusters are available: {detail}."


@dataclass(frozen=True)
class FilterContext:
    """What the filters need to know about the resource and this scheduling attempt."""

    api_version: str
    kind: str
    affinities: Sequence[ClusterAffinity] | None
    tolerations: Sequence[Toleration] = ()
    spread_constraints: Sequence[SpreadConstraint] = ()
    scheduled: Collection[str] = frozenset()
    evicting: Collection[str] = frozenset()
    resource_constraints: Sequence[ResourceConstraint] = field(default_factory=tuple)


def api_enablement(context: FilterContext, cluster: Cluster) -> str | None:
    """Only APIEnabled passes, unless the binding already targets the cluster."""
    if cluster.name in context.scheduled or cluster.serves(context.api_version, context.kind):
        return None
    return REASON_API


def taint_toleration(context: FilterContext, cluster: Cluster) -> str | None:
    """First NoSchedule/NoExecute taint not tolerated; clusters already scheduled pass."""
    if cluster.name in context.scheduled:
        return None
    for taint in cluster.spec.taints:
        if taint.effect not in ("NoSchedule", "NoExecute"):
            continue
        if not any(toleration.tolerates(taint) for toleration in context.tolerations):
            return f"cluster(s) had untolerated taint {taint.describe()}"
    return None


def cluster_affinity(context: FilterContext, cluster: Cluster) -> str | None:
    """Match any of the attempt's affinities (primary term plus its overflow terms)."""
    if context.affinities is None:
        return None
    if any(cluster_matches(cluster, affinity) for affinity in context.affinities):
        return None
    return REASON_AFFINITY


def spread_constraint(context: FilterContext, cluster: Cluster) -> str | None:
    """Spreading by provider/region/zone needs the cluster to have that property."""
    for constraint in context.spread_constraints:
        by = constraint.spread_by_field
        if (
            (by == "provider" and not cluster.spec.provider)
            or (by == "region" and not cluster.spec.region)
            or (by == "zone" and not cluster.effective_zones())
        ):
            return _SPREAD_REASONS[by]
    return None


def cluster_eviction(context: FilterContext, cluster: Cluster) -> str | None:
    if cluster.name in context.evicting:
        return REASON_EVICTION
    return None


def gpu_product(cluster: Cluster) -> str | None:
    """The GPU product the fleet-manager publishes as a cluster label (from node labels)."""
    return cluster.metadata.labels.get(GPU_PRODUCT_LABEL) or None


def _product_matches(requirements: Sequence[ProductRequirement], cluster: Cluster) -> bool:
    for requirement in requirements:
        value = cluster.metadata.labels.get(requirement.key) or None
        if not requirement.matches(value):
            return False
    return True


def resource_constraints(context: FilterContext, cluster: Cluster) -> str | None:
    """Kurator: ≥ minQuantity allocatable of the resource, on a matching product."""
    for constraint in context.resource_constraints:
        if not _product_matches(constraint.requirements, cluster):
            return f"cluster(s) did not have the required {constraint.name} product"
        summary = cluster.status.resource_summary
        text = summary.allocatable.get(constraint.name) if summary is not None else None
        allocatable = parse_quantity(text) if text else Decimal(0)
        if allocatable < parse_quantity(str(constraint.min_quantity)):
            return f"cluster(s) had insufficient allocatable {constraint.name}"
    return None


FilterPlugin = Callable[[FilterContext, Cluster], str | None]
FILTER_PLUGINS: tuple[FilterPlugin, ...] = (
    api_enablement,
    taint_toleration,
    cluster_affinity,
    spread_constraint,
    cluster_eviction,
    resource_constraints,
)


@dataclass(frozen=True, slots=True)
class Verdict:
    """A cluster's filter outcome with the binding-dependent plugins left open.

    APIEnablement and TaintToleration pass clusters the binding already targets and
    ClusterEviction fails the evicting ones; everything else depends only on the cluster and
    the context, so a verdict is computed once per cluster revision and placement.
    """

    unscheduled: str | None
    """First failure of APIEnablement, TaintToleration, ClusterAffinity, SpreadConstraint."""
    scheduled: str | None
    """First failure of ClusterAffinity, SpreadConstraint (the binding targets the cluster)."""
    last: str | None
    """ResourceConstraints, which runs after ClusterEviction."""

    def reason(self, *, scheduled: bool, evicting: bool) -> str | None:
        """The first failing plugin's reason, in `FILTER_PLUGINS` order."""
        reason = self.scheduled if scheduled else self.unscheduled
        if reason is None and evicting:
            return REASON_EVICTION
        return self.last if reason is None else reason


def verdict(context: FilterContext, cluster: Cluster) -> Verdict:
    """The plugins of `FILTER_PLUGINS` on one cluster, ignoring `scheduled` and `evicting`."""
    static = replace(context, scheduled=frozenset(), evicting=frozenset())
    api = api_enablement(static, cluster)
    taint = taint_toleration(static, cluster)
    placed = cluster_affinity(static, cluster)
    if placed is None:
        placed = spread_constraint(static, cluster)
    first = api if api is not None else taint if taint is not None else placed
    return Verdict(first, placed, resource_constraints(static, cluster))


def filter_clusters(
    context: FilterContext, clusters: Sequence[Cluster]
) -> tuple[list[Cluster], dict[str, str]]:
    """Feasible clusters (input order kept) and the first failure reason of each other one."""
    feasible: list[Cluster] = []
    rejected: dict[str, str] = {}
    for cluster in clusters:
        if cluster.metadata.deletion_timestamp:
            continue
        reason = next(
            (r for plugin in FILTER_PLUGINS if (r := plugin(context, cluster)) is not None), None
        )
        if reason is None:
            feasible.append(cluster)
        else:
            rejected[cluster.name] = reason
    return feasible, rejected
