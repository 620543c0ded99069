"""One member's figures at one moment, read from its API answers into compact records.

A fleet of 100 clusters x 2,000 pods is 200,000 pod records per collection, so records are
slotted dataclasses filled by plain functions (pydantic would cost seconds per pass); the
shapes they read are the documented `metrics.k8s.io/v1beta1` and `v1` Node/Deployment ones.
CPU counters (`*_cpu_usage_seconds_total`, as the kubelet's resource metrics) are the
integral of the sampled usage over time, carried from one sample to the next.
"""

from dataclasses import dataclass, field
from typing import Any

from shared.quantity import QuantityError, parse_quantity

Object = dict[str, Any]

_FAST_SUFFIXES = {"n": 1e-9, "u": 1e-6, "m": 1e-3, "Ki": 1024.0, "Mi": 1024.0**2, "Gi": 1024.0**3}


def quantity(text: object) -> float:
    """A quantity as a float; the common metrics suffixes without the exact parser."""
    value = str(text)
    for suffix, scale in _FAST_SUFFIXES.items():
        if value.endswith(suffix) and value[: -len(suffix)].isdigit():
            return int(value[: -len(suffix)]) * scale
    if value.isdigit():
        return float(value)
    try:
        return float(parse_quantity(value))
    except QuantityError:
        return 0.0


@dataclass(slots=True)
class NodeSample:
    name: str
    capacity: dict[str, float]
    allocatable: dict[str, float]
    ready: bool
    unschedulable: bool
    cpu_cores: float | None = None
    memory_bytes: float | None = None
    cpu_seconds: float = 0.0


@dataclass(slots=True)
class PodSample:
    namespace: str
    name: str
    cpu_cores: float
    memory_bytes: float
    cpu_seconds: float = 0.0


@dataclass(slots=True)
class DeploymentSample:
    namespace: str
    name: str
    desired: int
    ready: int
    available: int


@dataclass
class ClusterSample:
    """What one collection of one member found; `error` says why it found nothing."""

    cluster: str
    taken_at: float
    duration_s: float = 0.0
    error: str = ""
    nodes: list[NodeSample] = field(default_factory=list)
    pods: list[PodSample] = field(default_factory=list)
    deployments: list[DeploymentSample] = field(default_factory=list)

    @property
    def success(self) -> bool:
        return not self.error


def _resources(values: Object | None) -> dict[str, float]:
    return {name: quantity(amount) for name, amount in (values or {}).items()}


def _summed_usage(containers: list[Object]) -> tuple[float, float]:
    cpu = memory = 0.0
    for container in containers:
        usage = container.get("usage") or {}
        cpu += quantity(usage.get("cpu", "0"))
        memory += quantity(usage.get("memory", "0"))
    return cpu, memory


def node_samples(nodes: list[Object], node_metrics: list[Object]) -> list[NodeSample]:
    usage = {item["metadata"]["name"]: (item.get("usage") or {}) for item in node_metrics}
    samples = []
    for node in nodes:
        name = node["metadata"]["name"]
        status = node.get("status") or {}
        ready = any(
            condition.get("type") == "Ready" and condition.get("status") == "True"
            for condition in status.get("conditions") or []
        )
        sample = NodeSample(
            name=name,
            capacity=_resources(status.get("capacity")),
            allocatable=_resources(status.get("allocatable")),
            ready=ready,
            unschedulable=bool((node.get("spec") or {}).get("unschedulable")),
        )
        if name in usage:
            sample.cpu_cores = quantity(usage[name].get("cpu", "0"))
            sample.memory_bytes = quantity(usage[name].get("memory", "0"))
        samples.append(sample)
    return samples


def pod_samples(pod_metrics: list[Object]) -> list[PodSample]:
    samples = []
    for item in pod_metrics:
        metadata = item["metadata"]
        cpu, memory = _summed_usage(item.get("containers") or [])
        samples.append(
            PodSample(
                namespace=metadata.get("namespace") or "",
                name=metadata["name"],
                cpu_cores=cpu,
                memory_bytes=memory,
            )
        )
    return samples


def deployment_samples(deployments: list[Object]) -> list[DeploymentSample]:
    samples = []
    for item in deployments:
        metadata = item["metadata"]
        status = item.get("status") or {}
        samples.append(
            DeploymentSample(
                namespace=metadata.get("namespace") or "",
                name=metadata["name"],
                desired=int((item.get("spec") or {}).get("replicas", 1)),
                ready=int(status.get("readyReplicas") or 0),
                available=int(status.get("availableReplicas") or 0),
            )
        )
    return samples


def integrate(previous: ClusterSample | None, current: ClusterSample) -> None:
    """Advance the CPU counters of `current` from `previous` by usage x elapsed time; an
    object first seen now starts at zero."""
    if previous is None or not previous.success:
        return
    elapsed = max(0.0, current.taken_at - previous.taken_at)
    pods = {(pod.namespace, pod.name): pod.cpu_seconds for pod in previous.pods}
    for pod in current.pods:
        before = pods.get((pod.namespace, pod.name))
        if before is not None:
            pod.cpu_seconds = before + pod.cpu_cores * elapsed
    nodes = {node.name: node.cpu_seconds for node in previous.nodes}
    for node in current.nodes:
        before = nodes.get(node.name)
        if before is not None and node.cpu_cores is not None:
            node.cpu_seconds = before + node.cpu_cores * elapsed
