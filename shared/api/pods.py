"""The pod shape every resource calculation reads, and Kubernetes' per-pod request rule.

The scheduler (replica requirements), the fleet-manager (cluster resource summaries) and the
simulator (binding pods to nodes) must all count a pod's request the same way.
"""

from decimal import Decimal
from typing import Any

from pydantic import Field

from shared.api.base import KubeModel
from shared.api.meta import ObjectMeta, Toleration
from shared.quantity import ceil_value, format_quantity, milli_value, parse_quantity


class ResourceRequirements(KubeModel):
    requests: dict[str, str] = Field(default_factory=dict)
    limits: dict[str, str] = Field(default_factory=dict)


class Container(KubeModel):
    name: str = ""
    resources: ResourceRequirements = Field(default_factory=ResourceRequirements)


class PodSpec(KubeModel):
    node_name: str | None = None
    containers: list[Container] = Field(default_factory=list)
    init_containers: list[Container] = Field(default_factory=list)
    overhead: dict[str, str] = Field(default_factory=dict)
    node_selector: dict[str, str] = Field(default_factory=dict)
    tolerations: list[Toleration] = Field(default_factory=list)
    affinity: dict[str, Any] | None = None


def _add(total: dict[str, int], resources: dict[str, str]) -> None:
    for name, text in resources.items():
        value = parse_quantity(text)
        total[name] = total.get(name, 0) + (
            milli_value(value) if name == "cpu" else ceil_value(value)
        )


def _requests_with_limits(container: Container) -> dict[str, str]:
    """Kubernetes defaults a missing request to its limit; Karmada copies that."""
    return {**container.resources.limits, **container.resources.requests}


def pod_resource_request(pod: PodSpec) -> dict[str, str]:
    """Σ containers, max'ed with each init container, plus overhead (`AddPodTemplateRequest`)."""
    total: dict[str, int] = {}
    for container in pod.containers:
        _add(total, _requests_with_limits(container))
    for container in pod.init_containers:
        single: dict[str, int] = {}
        _add(single, _requests_with_limits(container))
        for name, value in single.items():
            total[name] = max(total.get(name, 0), value)
    _add(total, pod.overhead)
    result: dict[str, str] = {}
    for name, value in total.items():
        if value <= 0:
            continue
        if name == "cpu":
            result[name] = format_quantity(Decimal(value) / 1000)
        else:
            binary = name in ("memory", "ephemeral-storage") or name.startswith("hugepages-")
            result[name] = format_quantity(
                Decimal(value), fmt="BinarySI" if binary else "DecimalSI"
            )
    return result


class PodStatus(KubeModel):
    phase: str = "Pending"


class Pod(KubeModel):
    """A member's pod as summaries read it: where it is bound and what it requests."""

    metadata: ObjectMeta = Field(default_factory=ObjectMeta)
    spec: PodSpec = Field(default_factory=PodSpec)
    status: PodStatus = Field(default_factory=PodStatus)

    @property
    def node_name(self) -> str:
        return self.spec.node_name or ""

    @property
    def terminated(self) -> bool:
        return self.status.phase in ("Succeeded", "Failed")


class NodeCondition(KubeModel):
    type: str
    status: str


class NodeStatus(KubeModel):
    capacity: dict[str, str] = Field(default_factory=dict)
    allocatable: dict[str, str] = Field(default_factory=dict)
    conditions: list[NodeCondition] = Field(default_factory=list)


class Node(KubeModel):
    metadata: ObjectMeta = Field(default_factory=ObjectMeta)
    status: NodeStatus = Field(default_factory=NodeStatus)

    @property
    def ready(self) -> bool:
        return any(c.type == "Ready" and c.status == "True" for c in self.status.conditions)
