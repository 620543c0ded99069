"""Which members a query asks: only those where matching objects can be, and only Ready ones.

Karmada's metrics-adapter asks every member on every request. Telemetry narrows it first:
a selector on `cluster.navarch.dev/name` picks clusters by name (no member carries that
label, so it is answered here and never sent on); a namespaced pod query with a selector
asks only the clusters the namespace's ResourceBindings place pods on (`spec.clusters`),
skipping bindings whose template's pod labels cannot match; everything else (nodes, `-A`,
a whole namespace, one pod by name) asks every member. A NotReady member is left out and
named in the answer's warnings, so a down cluster never costs a timeout once it is known.
"""

from dataclasses import dataclass, field

from pydantic import BaseModel, Field

from services.telemetry.querying import ObjectQuery
from shared.api.aggregated import CLUSTER_LABEL
from shared.api.meta import LabelSelector, LabelSelectorRequirement

NOT_READY = "cluster is not Ready"


class MemberState(BaseModel):
    """A member as the hub sees it (its Karmada Cluster and whether telemetry can reach it)."""

    name: str
    ready: bool
    connected: bool = True
    connect_error: str = ""
    serves_custom_metrics: bool = False


class Placement(BaseModel):
    """Where one ResourceBinding puts pods: its namespace, clusters, and the template's pod
    labels when the template is a workload the hub knows (None: unknown, so it may match)."""

    namespace: str
    clusters: list[str] = Field(default_factory=list)
    pod_labels: dict[str, str] | None = None


@dataclass
class Selection:
    ask: list[str] = field(default_factory=list)
    left_out: dict[str, str] = field(default_factory=dict)
    """Cluster -> why it was not asked (reported as a warning)."""


def split_cluster_requirements(
    selector: LabelSelector,
) -> tuple[list[LabelSelectorRequirement], LabelSelector]:
    """(requirements on the cluster label, the rest of the selector)."""
    on_cluster = [r for r in selector.match_expressions if r.key == CLUSTER_LABEL]
    rest = LabelSelector(
        match_labels={k: v for k, v in selector.match_labels.items() if k != CLUSTER_LABEL},
        match_expressions=[r for r in selector.match_expressions if r.key != CLUSTER_LABEL],
    )
    if CLUSTER_LABEL in selector.match_labels:
        on_cluster.append(
            LabelSelectorRequirement(
                key=CLUSTER_LABEL, operator="In", values=[selector.match_labels[CLUSTER_LABEL]]
            )
        )
    return on_cluster, rest


def _selects_something(selector: LabelSelector) -> bool:
    return bool(selector.match_labels or selector.match_expressions)


def placed_clusters(
    placements: list[Placement], *, namespace: str, selector: LabelSelector
) -> set[str]:
    """Clusters where a binding of `namespace` runs pods the selector may match."""
    clusters: set[str] = set()
    for placement in placements:
        if placement.namespace != namespace:
            continue
        if placement.pod_labels is not None and not selector.matches(placement.pod_labels):
            continue
        clusters.update(placement.clusters)
    return clusters


def select_members(
    query: ObjectQuery,
    *,
    selector: LabelSelector,
    members: list[MemberState],
    placements: list[Placement],
) -> Selection:
    """The members to ask for `query` (sorted), and those left out with the reason."""
    on_cluster, rest = split_cluster_requirements(selector)
    candidates = [
        member
        for member in members
        if all(requirement.matches({CLUSTER_LABEL: member.name}) for requirement in on_cluster)
    ]
    if query.resource == "pods" and query.namespace and _selects_something(rest):
        placed = placed_clusters(placements, namespace=query.namespace, selector=rest)
        candidates = [member for member in candidates if member.name in placed]
    selection = Selection()
    for member in sorted(candidates, key=lambda m: m.name):
        if not member.ready:
            selection.left_out[member.name] = NOT_READY
        elif not member.connected:
            selection.left_out[member.name] = member.connect_error or "no connection"
        else:
            selection.ask.append(member.name)
    return selection


def forwardable_selector(selector_text: str, selector: LabelSelector) -> str:
    """The selector text to send to members: none when it names the cluster label (members
    do not carry it; the merge applies the whole selector anyway)."""
    on_cluster, _ = split_cluster_requirements(selector)
    return "" if on_cluster else selector_text
