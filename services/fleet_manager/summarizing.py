"""A member's nodes and pods summed into Karmada's nodeSummary and resourceSummary.

Karmada's rules (`cluster_status_controller.go`): allocatable sums every node; allocating is
the requests of pods not yet bound; allocated is the requests of bound pods that have not
terminated; both count the pods themselves under `pods`. GPU totals per product come from
the nodes' `nvidia.com/gpu.product` label so placement can honour GPU constraints.
"""

from collections.abc import Iterable
from decimal import Decimal

from shared.api.base import KubeModel
from shared.api.cluster import NodeSummary, ResourceSummary
from shared.api.pods import Node, Pod, pod_resource_request
from shared.quantity import format_quantity, parse_quantity

GPU_RESOURCE = "nvidia.com/gpu"
GPU_PRODUCT_LABEL = "nvidia.com/gpu.product"
_BINARY = ("memory", "ephemeral-storage")


class GPUProductSummary(KubeModel):
    """Navarch extension of the Cluster status: GPUs of one product."""

    product: str
    allocatable: int
    allocated: int = 0


def node_summary(nodes: Iterable[Node]) -> NodeSummary:
    listed = list(nodes)
    return NodeSummary(total_num=len(listed), ready_num=sum(1 for node in listed if node.ready))


def _format(totals: dict[str, Decimal]) -> dict[str, str]:
    formatted = {}
    for name, value in sorted(totals.items()):
        binary = name in _BINARY or name.startswith("hugepages-")
        formatted[name] = format_quantity(value, fmt="BinarySI" if binary else "DecimalSI")
    return formatted


def _add(totals: dict[str, Decimal], resources: dict[str, str]) -> None:
    for name, text in resources.items():
        totals[name] = totals.get(name, Decimal(0)) + parse_quantity(text)


def resource_summary(nodes: Iterable[Node], pods: Iterable[Pod]) -> ResourceSummary:
    allocatable: dict[str, Decimal] = {}
    for node in nodes:
        _add(allocatable, node.status.allocatable)
    allocating: dict[str, Decimal] = {"pods": Decimal(0)}
    allocated: dict[str, Decimal] = {"pods": Decimal(0)}
    for pod in pods:
        if not pod.node_name:
            target = allocating
        elif not pod.terminated:
            target = allocated
        else:
            continue
        _add(target, pod_resource_request(pod.spec))
        target["pods"] += 1
    return ResourceSummary(
        allocatable=_format(allocatable),
        allocating=_format(allocating),
        allocated=_format(allocated),
    )


def gpu_products(nodes: Iterable[Node], pods: Iterable[Pod]) -> list[GPUProductSummary]:
    """Allocatable and allocated GPUs per product label, products sorted by name."""
    product_of_node: dict[str, str] = {}
    allocatable: dict[str, int] = {}
    for node in nodes:
        product = node.metadata.labels.get(GPU_PRODUCT_LABEL)
        count = int(parse_quantity(node.status.allocatable.get(GPU_RESOURCE, "0")))
        if product and count:
            product_of_node[node.metadata.name] = product
            allocatable[product] = allocatable.get(product, 0) + count
    allocated: dict[str, int] = {}
    for pod in pods:
        product = product_of_node.get(pod.node_name)
        if product is None or pod.terminated:
            continue
        request = pod_resource_request(pod.spec).get(GPU_RESOURCE)
        if request:
            allocated[product] = allocated.get(product, 0) + int(parse_quantity(request))
    return [
        GPUProductSummary(product=product, allocatable=total, allocated=allocated.get(product, 0))
        for product, total in sorted(allocatable.items())
    ]
