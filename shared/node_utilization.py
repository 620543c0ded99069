"""How used a node is, the way Cluster Autoscaler measures it before removing one.

`cluster-autoscaler/simulator/utilization/info.go`: per resource, the pods' requests over
the node's allocatable; DaemonSet and mirror pods are taken out of both sides (they leave
with the node anyway), pods terminating for longer than their grace period plus 30 s count
for nothing, and the node's utilization is the larger of CPU and memory. A node with GPUs is
measured by its GPUs alone, and one labelled for GPUs whose GPUs are not allocatable yet
counts as idle. Skipping DaemonSet and mirror pods is off by default, as Cluster Autoscaler's
`--ignore-daemonsets-utilization` and `--ignore-mirror-pods-utilization`. The fleet-manager
picks the emptiest nodes when a pool shrinks, and the cluster autoscaler removes nodes under
its threshold, so both use this.
"""

from collections.abc import Sequence
from datetime import datetime, timedelta

from pydantic import BaseModel

from shared.api.pods import Node, Pod, pod_resource_request
from shared.quantity import ceil_value, milli_value, parse_quantity

GPU_RESOURCE = "nvidia.com/gpu"
GPU_PRODUCT_LABEL = "nvidia.com/gpu.product"
MIRROR_POD_ANNOTATION = "kubernetes.io/config.mirror"
DAEMONSET_POD_ANNOTATION = "cluster-autoscaler.kubernetes.io/daemonset-pod"
LONG_TERMINATING_EXTRA = timedelta(seconds=30)
"""`drain.PodLongTerminatingExtraThreshold`."""


class UtilizationError(ValueError):
    """The node cannot be measured (no or zero allocatable); the message is Cluster
    Autoscaler's."""


class NodeUtilization(BaseModel):
    cpu: float = 0.0
    memory: float = 0.0
    gpu: float = 0.0
    utilization: float
    resource_name: str


def is_daemonset_pod(pod: Pod) -> bool:
    """`pod_util.IsDaemonSetPod`: controlled by a DaemonSet, or annotated as one."""
    if pod.metadata.annotations.get(DAEMONSET_POD_ANNOTATION) == "true":
        return True
    return any(
        owner.controller and owner.kind == "DaemonSet" for owner in pod.metadata.owner_references
    )


def is_mirror_pod(pod: Pod) -> bool:
    return MIRROR_POD_ANNOTATION in pod.metadata.annotations


def _parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def is_long_terminating(pod: Pod, *, now: datetime) -> bool:
    """`drain.IsPodLongTerminating`: deleted longer ago than its grace period plus 30 s."""
    if not pod.metadata.deletion_timestamp:
        return False
    grace = timedelta(seconds=pod.metadata.deletion_grace_period_seconds or 0)
    deadline = _parse_time(pod.metadata.deletion_timestamp) + grace + LONG_TERMINATING_EXTRA
    return now > deadline


def _amount(resource: str, text: str) -> int:
    value = parse_quantity(text)
    return milli_value(value) if resource == "cpu" else ceil_value(value)


def resource_utilization(
    node: Node,
    pods: Sequence[Pod],
    *,
    resource: str,
    now: datetime,
    skip_daemonset_pods: bool = False,
    skip_mirror_pods: bool = False,
) -> float:
    """`CalculateUtilizationOfResource` for one resource."""
    name = node.metadata.name
    if resource not in node.status.allocatable:
        raise UtilizationError(f"failed to get {resource} from {name}")
    allocatable = _amount(resource, node.status.allocatable[resource])
    if allocatable == 0:
        raise UtilizationError(f"{resource} is 0 at {name}")
    requested = 0
    departing = 0
    for pod in pods:
        amount = _amount(resource, pod_resource_request(pod.spec).get(resource, "0"))
        if (skip_daemonset_pods and is_daemonset_pod(pod)) or (
            skip_mirror_pods and is_mirror_pod(pod)
        ):
            departing += amount
            continue
        if is_long_terminating(pod, now=now):
            continue
        requested += amount
    remaining = allocatable - departing
    if remaining <= 0:
        return 0.0 if requested == 0 else float("inf")
    return requested / remaining


def node_utilization(
    node: Node,
    pods: Sequence[Pod],
    *,
    now: datetime,
    skip_daemonset_pods: bool = False,
    skip_mirror_pods: bool = False,
) -> NodeUtilization:
    """`utilization.Calculate`: GPUs alone on a GPU node, else the larger of CPU and memory."""

    def measure(resource: str) -> float:
        return resource_utilization(
            node,
            pods,
            resource=resource,
            now=now,
            skip_daemonset_pods=skip_daemonset_pods,
            skip_mirror_pods=skip_mirror_pods,
        )

    gpus = _amount(GPU_RESOURCE, node.status.allocatable.get(GPU_RESOURCE, "0"))
    if gpus == 0 and GPU_PRODUCT_LABEL in node.metadata.labels:
        return NodeUtilization(utilization=0.0, resource_name=GPU_RESOURCE)
    if gpus > 0:
        gpu = measure(GPU_RESOURCE)
        return NodeUtilization(gpu=gpu, utilization=gpu, resource_name=GPU_RESOURCE)
    cpu, memory = measure("cpu"), measure("memory")
    if memory > cpu:
        return NodeUtilization(cpu=cpu, memory=memory, utilization=memory, resource_name="memory")
    return NodeUtilization(cpu=cpu, memory=memory, utilization=cpu, resource_name="cpu")
