"""Instance types a provider's nodes come in, and the least-waste choice among them.

Capacities are the published AWS EC2 figures (vCPUs, memory in GiB, GPUs); pods are the
per-node maximum of the Amazon EKS AMI (`eni-max-pods.txt`). GPU products use the fleet's
`nvidia.com/gpu.product` label values (`a100`, `h100` in examples/seed-fleet.yaml):

| name          | CPU | memory  | pods | GPUs | GPU product      |
|---------------|-----|---------|------|------|------------------|
| t3.medium     | 2   | 4 GiB   | 17   |      |                  |
| t3.large      | 2   | 8 GiB   | 35   |      |                  |
| t3.xlarge     | 4   | 16 GiB  | 58   |      |                  |
| m5.large      | 2   | 8 GiB   | 29   |      |                  |
| m5.xlarge     | 4   | 16 GiB  | 58   |      |                  |
| m5.2xlarge    | 8   | 32 GiB  | 58   |      |                  |
| m5.4xlarge    | 16  | 64 GiB  | 234  |      |                  |
| c5.large      | 2   | 4 GiB   | 29   |      |                  |
| c5.xlarge     | 4   | 8 GiB   | 58   |      |                  |
| c5.2xlarge    | 8   | 16 GiB  | 58   |      |                  |
| c5.4xlarge    | 16  | 32 GiB  | 234  |      |                  |
| r5.large      | 2   | 16 GiB  | 29   |      |                  |
| r5.xlarge     | 4   | 32 GiB  | 58   |      |                  |
| p3.2xlarge    | 8   | 61 GiB  | 58   | 1    | v100 (16 GB)     |
| p3.8xlarge    | 32  | 244 GiB | 234  | 4    | v100 (16 GB)     |
| g4dn.xlarge   | 4   | 16 GiB  | 29   | 1    | t4 (16 GB)       |
| g4dn.2xlarge  | 8   | 32 GiB  | 29   | 1    | t4 (16 GB)       |
| g5.xlarge     | 4   | 16 GiB  | 58   | 1    | a10g (24 GB)     |
| p4d.24xlarge  | 96  | 1152 GiB| 737  | 8    | a100 (40 GB)     |

The chooser is Cluster Autoscaler's least-waste expander
(`cluster-autoscaler/expander/waste/waste.go`): for each option, the pods it would take and
the nodes it needs (first-fit decreasing, as `estimator/binpacking_estimator.go` packs), then
`wasted = (capacity - requested) / capacity` for CPU and for memory over those nodes; the
lowest sum wins. Where Cluster Autoscaler breaks a tie at random, ours keeps the first of the
allowed types, so a decision can be replayed.
"""

from collections.abc import Mapping, Sequence

from pydantic import BaseModel, ConfigDict, Field

from shared.quantity import ceil_value, milli_value, parse_quantity

GPU_RESOURCE = "nvidia.com/gpu"
GPU_PRODUCT_LABEL = "nvidia.com/gpu.product"
INSTANCE_TYPE_LABEL = "node.kubernetes.io/instance-type"


class UnknownInstanceTypeError(ValueError):
    """An instance type not in the table; the message names it."""


class InstanceType(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    cpu: int = Field(gt=0, description="vCPUs")
    memory_gib: int = Field(gt=0)
    pods: int = Field(gt=0, description="maximum pods per node")
    gpus: int = Field(default=0, ge=0)
    gpu_product: str | None = None
    gpu_memory_gb: int | None = None

    def capacity(self) -> dict[str, str]:
        """The node's `status.capacity` as quantity strings."""
        capacity = {"cpu": str(self.cpu), "memory": f"{self.memory_gib}Gi", "pods": str(self.pods)}
        if self.gpus:
            capacity[GPU_RESOURCE] = str(self.gpus)
        return capacity

    def labels(self) -> dict[str, str]:
        labels = {INSTANCE_TYPE_LABEL: self.name}
        if self.gpu_product:
            labels[GPU_PRODUCT_LABEL] = self.gpu_product
        return labels


def _type(name: str, cpu: int, memory_gib: int, pods: int, **gpu: object) -> InstanceType:
    return InstanceType.model_validate(
        {"name": name, "cpu": cpu, "memory_gib": memory_gib, "pods": pods, **gpu}
    )


_V100 = {"gpu_product": "v100", "gpu_memory_gb": 16}
_T4 = {"gpu_product": "t4", "gpu_memory_gb": 16}
INSTANCE_TYPES: dict[str, InstanceType] = {
    item.name: item
    for item in (
        _type("t3.medium", 2, 4, 17),
        _type("t3.large", 2, 8, 35),
        _type("t3.xlarge", 4, 16, 58),
        _type("m5.large", 2, 8, 29),
        _type("m5.xlarge", 4, 16, 58),
        _type("m5.2xlarge", 8, 32, 58),
        _type("m5.4xlarge", 16, 64, 234),
        _type("c5.large", 2, 4, 29),
        _type("c5.xlarge", 4, 8, 58),
        _type("c5.2xlarge", 8, 16, 58),
        _type("c5.4xlarge", 16, 32, 234),
        _type("r5.large", 2, 16, 29),
        _type("r5.xlarge", 4, 32, 58),
        _type("p3.2xlarge", 8, 61, 58, gpus=1, **_V100),
        _type("p3.8xlarge", 32, 244, 234, gpus=4, **_V100),
        _type("g4dn.xlarge", 4, 16, 29, gpus=1, **_T4),
        _type("g4dn.2xlarge", 8, 32, 29, gpus=1, **_T4),
        _type("g5.xlarge", 4, 16, 58, gpus=1, gpu_product="a10g", gpu_memory_gb=24),
        _type("p4d.24xlarge", 96, 1152, 737, gpus=8, gpu_product="a100", gpu_memory_gb=40),
    )
}


def instance_type(
    name: str, catalogue: Mapping[str, InstanceType] = INSTANCE_TYPES
) -> InstanceType:
    try:
        return catalogue[name]
    except KeyError:
        raise UnknownInstanceTypeError(f'unknown instance type "{name}"') from None


def resource_amounts(resources: Mapping[str, str]) -> dict[str, int]:
    """Quantities as integers: CPU in millicores, everything else in whole units."""
    amounts: dict[str, int] = {}
    for name, text in resources.items():
        value = parse_quantity(text)
        amounts[name] = milli_value(value) if name == "cpu" else ceil_value(value)
    return amounts


class ScaleUpOption(BaseModel):
    """What adding nodes of one instance type would do for the pending pods."""

    instance_type: str
    node_count: int
    pods: list[int] = Field(description="indices of the pending pods the new nodes would take")
    wasted_cpu: float
    wasted_memory: float

    @property
    def wasted_score(self) -> float:
        return self.wasted_cpu + self.wasted_memory


def _fits(request: Mapping[str, int], free: Mapping[str, int]) -> bool:
    if free.get("pods", 0) < 1:
        return False
    return all(amount <= free.get(name, 0) for name, amount in request.items() if amount > 0)


def _take(request: Mapping[str, int], free: dict[str, int]) -> None:
    free["pods"] = free.get("pods", 0) - 1
    for name, amount in request.items():
        free[name] = free.get(name, 0) - amount


def pack(requests: Sequence[Mapping[str, int]], capacity: Mapping[str, int]) -> int:
    """Nodes of `capacity` that first-fit decreasing needs for `requests` (each must fit one)."""
    cpu, memory = capacity.get("cpu", 0) or 1, capacity.get("memory", 0) or 1

    def score(request: Mapping[str, int]) -> float:
        return request.get("cpu", 0) / cpu + request.get("memory", 0) / memory

    nodes: list[dict[str, int]] = []
    for request in sorted(requests, key=score, reverse=True):
        target = next((free for free in nodes if _fits(request, free)), None)
        if target is None:
            target = dict(capacity)
            nodes.append(target)
        _take(request, target)
    return len(nodes)


def scale_up_option(
    pod_requests: Sequence[Mapping[str, str]], candidate: InstanceType
) -> ScaleUpOption | None:
    """The option for one type: the pods that fit on one of its nodes, and their waste."""
    capacity = resource_amounts(candidate.capacity())
    requests = [resource_amounts(request) for request in pod_requests]
    taken = [index for index, request in enumerate(requests) if _fits(request, capacity)]
    if not taken:
        return None
    count = pack([requests[index] for index in taken], capacity)
    requested_cpu = sum(requests[index].get("cpu", 0) for index in taken)
    requested_memory = sum(requests[index].get("memory", 0) for index in taken)
    available_cpu = capacity["cpu"] * count
    available_memory = capacity["memory"] * count
    return ScaleUpOption(
        instance_type=candidate.name,
        node_count=count,
        pods=taken,
        wasted_cpu=(available_cpu - requested_cpu) / available_cpu,
        wasted_memory=(available_memory - requested_memory) / available_memory,
    )


def least_waste(
    pod_requests: Sequence[Mapping[str, str]],
    *,
    allowed: Sequence[str],
    catalogue: Mapping[str, InstanceType] = INSTANCE_TYPES,
) -> ScaleUpOption | None:
    """The allowed instance type whose new nodes waste the least CPU + memory fraction."""
    best: ScaleUpOption | None = None
    for name in allowed:
        option = scale_up_option(pod_requests, instance_type(name, catalogue))
        if option is not None and (best is None or option.wasted_score < best.wasted_score):
            best = option
    return best
