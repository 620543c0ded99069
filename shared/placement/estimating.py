"""How many replicas fit a cluster: Karmada's general estimator and its resource interpreter.

Capacity drives DynamicWeight/Aggregated division and spread selection, so the numbers must
be Karmada's to the replica: floor(free / request) with CPU in millis and every other
resource rounded up to whole units first (`estimator/client/general.go`).
"""

from decimal import Decimal
from functools import lru_cache

from pydantic import Field

from shared.api.base import KubeModel
from shared.api.binding import NodeClaim, ReplicaRequirements
from shared.api.cluster import Cluster, ResourceSummary
from shared.api.meta import ObjectMeta
from shared.api.pods import PodSpec, pod_resource_request
from shared.quantity import ceil_value, milli_value, parse_quantity

_parse = lru_cache(maxsize=16384)(parse_quantity)
_ceil = lru_cache(maxsize=16384)(ceil_value)
_milli = lru_cache(maxsize=16384)(milli_value)
"""Every placement re-reads the same capacity of every cluster: convert each value once."""

MAX_INT32 = 2**31 - 1
_DIVIDED_KINDS = {
    ("apps/v1", "Deployment"),
    ("apps/v1", "StatefulSet"),
    ("apps/v1", "ReplicaSet"),
    ("batch/v1", "Job"),
    ("v1", "Pod"),
}


class PodTemplateSpec(KubeModel):
    spec: PodSpec = Field(default_factory=PodSpec)


class WorkloadSpec(KubeModel):
    """The replica-bearing part of Deployment/StatefulSet/ReplicaSet/Job specs."""

    replicas: int | None = None
    parallelism: int | None = None
    template: PodTemplateSpec | None = None


class ResourceTemplate(KubeModel):
    """A user's resource template as the scheduler sees it (the edge converts dicts once)."""

    api_version: str
    kind: str
    metadata: ObjectMeta = Field(default_factory=ObjectMeta)
    spec: WorkloadSpec | None = None


def replica_requirements_for(pod: PodSpec) -> ReplicaRequirements | None:
    """`GenerateReplicaRequirements`: nil when there is neither a request nor a node claim."""
    request = pod_resource_request(pod)
    claim: NodeClaim | None = None
    hard_affinity = (
        (pod.affinity or {})
        .get("nodeAffinity", {})
        .get("requiredDuringSchedulingIgnoredDuringExecution")
    )
    if pod.node_selector or pod.tolerations or hard_affinity:
        claim = NodeClaim(
            node_selector=pod.node_selector,
            tolerations=pod.tolerations,
            hard_node_affinity=hard_affinity,
        )
    if not request and claim is None:
        return None
    return ReplicaRequirements(resource_request=request, node_claim=claim)


def interpret_replicas(template: ResourceTemplate) -> tuple[int, ReplicaRequirements | None]:
    """Karmada's default interpreter: (replicas, per-replica requirements); (0, None) otherwise."""
    if (template.api_version, template.kind) not in _DIVIDED_KINDS:
        return 0, None
    if template.kind == "Pod":
        raw = template.spec.model_dump(by_alias=True, exclude_none=True) if template.spec else {}
        pod = PodSpec.model_validate(raw)
        return 1, replica_requirements_for(pod)
    spec = template.spec or WorkloadSpec()
    replicas = spec.parallelism if template.kind == "Job" else spec.replicas
    pod_template = spec.template or PodTemplateSpec()
    return replicas or 0, replica_requirements_for(pod_template.spec)


def _free(summary: ResourceSummary, name: str) -> Decimal | None:
    if name not in summary.allocatable:
        return None
    free = _parse(summary.allocatable[name])
    for used in (summary.allocated, summary.allocating):
        if name in used:
            free -= _parse(used[name])
    return free


def allowed_pods(summary: ResourceSummary) -> int:
    """allocatable - allocated - allocating pods, floored at 0."""
    pods = 0
    for sign, source in (
        (1, summary.allocatable),
        (-1, summary.allocated),
        (-1, summary.allocating),
    ):
        if "pods" in source:
            pods += sign * _ceil(_parse(source["pods"]))
    return max(pods, 0)


def general_estimate(cluster: Cluster, requirements: ReplicaRequirements | None) -> int:
    """The general estimator's MaxAvailableReplicas for one cluster."""
    summary = cluster.status.resource_summary
    if summary is None:
        return 0
    maximum = allowed_pods(summary)
    if maximum <= 0 or requirements is None:
        return maximum
    for name, text in requirements.resource_request.items():
        request = _parse(text)
        if _ceil(request) <= 0:
            continue
        free = _free(summary, name)
        if free is None or _ceil(free) <= 0:
            return 0
        if name == "cpu":
            fit = _milli(free) // _milli(request)
        else:
            fit = _ceil(free) // _ceil(request)
        maximum = min(maximum, fit)
    return min(maximum, MAX_INT32)


def estimate_available(
    clusters: list[Cluster],
    *,
    replicas: int,
    requirements: ReplicaRequirements | None,
) -> dict[str, int]:
    """`calAvailableReplicas`: min over estimators; replicas 0 or no estimate gives `replicas`."""
    if replicas == 0:
        return {cluster.name: 0 for cluster in clusters}
    result: dict[str, int] = {}
    for cluster in clusters:
        estimate = min(MAX_INT32, general_estimate(cluster, requirements))
        result[cluster.name] = replicas if estimate == MAX_INT32 else estimate
    return result


def is_workload(replicas: int, requirements: ReplicaRequirements | None) -> bool:
    """Karmada assigns replica counts only when replicas > 0 or there are requirements."""
    return replicas > 0 or requirements is not None
