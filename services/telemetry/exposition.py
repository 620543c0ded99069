"""The fleet metrics endpoint's series, under the names a Kubernetes dashboard already knows.

Names and labels follow kube-state-metrics (`kube_node_status_capacity{resource,unit}`,
`kube_deployment_spec_replicas`, ...) and the kubelet's resource metrics
(`node_cpu_usage_seconds_total`, `pod_memory_working_set_bytes`, ...) where the meaning is
the same; Navarch's own facts (cluster health, taints, placements, sync state) are
`navarch_`. Every series carries `cluster` and `fleet` (empty when no Fleet holds it).

Rendering is the Prometheus text format 0.0.4, or OpenMetrics 1.0 when the scraper asks
for it, written here rather than through prometheus_client's registry: a fleet of 100
clusters x 2,000 pods is 400,000 series, and prometheus_client spends ~8 us per sample
building and formatting them where this spends well under one (labels are rendered once
per object and shared by its families).
"""

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel, Field

from services.telemetry.samples import ClusterSample
from shared.api.meta import Taint

UNITS = {"cpu": "core", "memory": "byte", "ephemeral-storage": "byte"}
"""kube-state-metrics' unit label per resource; any other resource is `integer`."""
TEXT_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
OPENMETRICS_CONTENT_TYPE = "application/openmetrics-text; version=1.0.0; charset=utf-8"


class ClusterFacts(BaseModel):
    name: str
    fleet: str = ""
    ready: bool = False
    taints: list[Taint] = Field(default_factory=list)


class BindingTarget(BaseModel):
    cluster: str
    replicas: int = 0
    applied: bool | None = None
    healthy: bool | None = None


class BindingFacts(BaseModel):
    namespace: str
    name: str
    kind: str
    resource: str
    targets: list[BindingTarget] = Field(default_factory=list)


def _escape(value: str) -> str:
    if "\\" in value or '"' in value or "\n" in value:
        return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return value


def labels(names: Sequence[str], values: Sequence[str]) -> str:
    """`a="1",b="2"`: label pairs in the exposition formats' escaping."""
    return ",".join(f'{name}="{_escape(value)}"' for name, value in zip(names, values, strict=True))


@dataclass
class Family:
    """One metric family: its samples' label text and values, in order."""

    name: str
    help: str
    kind: Literal["gauge", "counter"] = "gauge"
    samples: list[tuple[str, float]] = field(default_factory=list)

    def add(self, label_text: str, value: float) -> None:
        self.samples.append((label_text, value))


def resource_label(name: str) -> str:
    """kube-state-metrics' sanitizing: `nvidia.com/gpu` -> `nvidia_com_gpu`."""
    return re.sub(r"[^a-zA-Z0-9_]", "_", name)


CLUSTER = ("cluster", "fleet")
TAINT = (*CLUSTER, "key", "value", "effect")
NODE = (*CLUSTER, "node")
NODE_RESOURCE = (*NODE, "resource", "unit")
NODE_CONDITION = (*NODE, "condition", "status")
POD = (*CLUSTER, "namespace", "pod")
DEPLOYMENT = (*CLUSTER, "namespace", "deployment")
BINDING = (*CLUSTER, "namespace", "binding", "kind", "resource")


def _cluster_families(facts: list[ClusterFacts], samples: dict[str, ClusterSample]) -> list[Family]:
    ready = Family("navarch_cluster_ready", "1 when the member cluster is Ready")
    taint = Family(
        "navarch_cluster_taint", "1 per taint on the member cluster (Karmada Cluster spec.taints)"
    )
    scraped = Family(
        "navarch_cluster_scrape_success",
        "1 when telemetry's last collection from the member succeeded",
    )
    duration = Family(
        "navarch_cluster_scrape_duration_seconds",
        "How long telemetry's last collection from the member took",
    )
    for cluster in facts:
        own = labels(CLUSTER, (cluster.name, cluster.fleet))
        ready.add(own, 1.0 if cluster.ready else 0.0)
        for item in cluster.taints:
            values = (cluster.name, cluster.fleet, item.key, item.value or "", item.effect)
            taint.add(labels(TAINT, values), 1.0)
        sample = samples.get(cluster.name)
        if sample is not None:
            scraped.add(own, 1.0 if sample.success else 0.0)
            duration.add(own, sample.duration_s)
    return [ready, taint, scraped, duration]


def _node_families(facts: list[ClusterFacts], samples: dict[str, ClusterSample]) -> list[Family]:
    info = Family("kube_node_info", "Information about a cluster node")
    capacity = Family("kube_node_status_capacity", "The capacity for different resources of a node")
    allocatable = Family(
        "kube_node_status_allocatable",
        "The allocatable for different resources of a node that are available for scheduling",
    )
    condition = Family("kube_node_status_condition", "The condition of a cluster node")
    unschedulable = Family("kube_node_spec_unschedulable", "Whether a node can schedule new pods")
    cpu = Family(
        "node_cpu_usage_seconds",
        "Cumulative cpu time consumed by the node in core-seconds",
        kind="counter",
    )
    memory = Family("node_memory_working_set_bytes", "Current working set of the node in bytes")
    for cluster in facts:
        sample = samples.get(cluster.name)
        for node in sample.nodes if sample else []:
            values = (cluster.name, cluster.fleet, node.name)
            own = labels(NODE, values)
            info.add(own, 1.0)
            for resource, amount in node.capacity.items():
                unit = UNITS.get(resource, "integer")
                capacity.add(
                    labels(NODE_RESOURCE, (*values, resource_label(resource), unit)), amount
                )
            for resource, amount in node.allocatable.items():
                unit = UNITS.get(resource, "integer")
                allocatable.add(
                    labels(NODE_RESOURCE, (*values, resource_label(resource), unit)), amount
                )
            for status in ("true", "false"):
                value = 1.0 if node.ready == (status == "true") else 0.0
                condition.add(labels(NODE_CONDITION, (*values, "Ready", status)), value)
            unschedulable.add(own, 1.0 if node.unschedulable else 0.0)
            if node.cpu_cores is not None:
                cpu.add(own, node.cpu_seconds)
                memory.add(own, node.memory_bytes or 0.0)
    return [info, capacity, allocatable, condition, unschedulable, cpu, memory]


def _pod_families(facts: list[ClusterFacts], samples: dict[str, ClusterSample]) -> list[Family]:
    cpu = Family(
        "pod_cpu_usage_seconds",
        "Cumulative cpu time consumed by the pod in core-seconds",
        kind="counter",
    )
    memory = Family("pod_memory_working_set_bytes", "Current working set of the pod in bytes")
    for cluster in facts:
        sample = samples.get(cluster.name)
        if sample is None:
            continue
        prefix = labels(CLUSTER, (cluster.name, cluster.fleet))
        for pod in sample.pods:
            own = f'{prefix},namespace="{_escape(pod.namespace)}",pod="{_escape(pod.name)}"'
            cpu.samples.append((own, pod.cpu_seconds))
            memory.samples.append((own, pod.memory_bytes))
    return [cpu, memory]


def _deployment_families(
    facts: list[ClusterFacts], samples: dict[str, ClusterSample]
) -> list[Family]:
    desired = Family("kube_deployment_spec_replicas", "Number of desired pods for a deployment")
    ready = Family(
        "kube_deployment_status_replicas_ready", "The number of ready replicas per deployment"
    )
    available = Family(
        "kube_deployment_status_replicas_available",
        "The number of available replicas per deployment",
    )
    for cluster in facts:
        sample = samples.get(cluster.name)
        for deployment in sample.deployments if sample else []:
            values = (cluster.name, cluster.fleet, deployment.namespace, deployment.name)
            own = labels(DEPLOYMENT, values)
            desired.add(own, float(deployment.desired))
            ready.add(own, float(deployment.ready))
            available.add(own, float(deployment.available))
    return [desired, ready, available]


def _binding_families(facts: list[ClusterFacts], bindings: list[BindingFacts]) -> list[Family]:
    fleets = {cluster.name: cluster.fleet for cluster in facts}
    replicas = Family(
        "navarch_binding_cluster_replicas",
        "Replicas a ResourceBinding places on a member cluster (spec.clusters)",
    )
    applied = Family(
        "navarch_binding_applied",
        "1 when the binding's manifests are applied on the member (status.aggregatedStatus)",
    )
    healthy = Family(
        "navarch_binding_healthy", "1 when the member reports the binding's resource Healthy"
    )
    for binding in bindings:
        for target in binding.targets:
            values = (
                target.cluster,
                fleets.get(target.cluster, ""),
                binding.namespace,
                binding.name,
                binding.kind,
                binding.resource,
            )
            own = labels(BINDING, values)
            replicas.add(own, float(target.replicas))
            if target.applied is not None:
                applied.add(own, 1.0 if target.applied else 0.0)
            if target.healthy is not None:
                healthy.add(own, 1.0 if target.healthy else 0.0)
    return [replicas, applied, healthy]


def fleet_families(
    *,
    clusters: list[ClusterFacts],
    samples: dict[str, ClusterSample],
    bindings: list[BindingFacts],
) -> list[Family]:
    """Every family of one scrape of the fleet."""
    ordered = sorted(clusters, key=lambda cluster: cluster.name)
    return [
        *_cluster_families(ordered, samples),
        *_node_families(ordered, samples),
        *_pod_families(ordered, samples),
        *_deployment_families(ordered, samples),
        *_binding_families(ordered, bindings),
    ]


def _number(value: float) -> str:
    """Go's float text, as Prometheus writes it (`+Inf`, `NaN`)."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return repr(float(value))


def wants_openmetrics(accept: str) -> bool:
    return "application/openmetrics-text" in accept


def render(families: Iterable[Family], *, accept: str) -> tuple[bytes, str]:
    """(body, content type): OpenMetrics 1.0 when `accept` asks for it, else text 0.0.4.

    Counters are named `x` in OpenMetrics metadata and `x_total` in the text format's, as
    prometheus_client writes them; their samples are `x_total` in both.
    """
    openmetrics = wants_openmetrics(accept)
    out: list[str] = []
    for family in families:
        sample_name = f"{family.name}_total" if family.kind == "counter" else family.name
        meta_name = family.name if openmetrics else sample_name
        described = family.help.replace("\\", "\\\\").replace("\n", "\\n")
        out.append(f"# HELP {meta_name} {described}\n# TYPE {meta_name} {family.kind}\n")
        out.extend(f"{sample_name}{{{text}}} {_number(value)}\n" for text, value in family.samples)
    if openmetrics:
        out.append("# EOF\n")
    content_type = OPENMETRICS_CONTENT_TYPE if openmetrics else TEXT_CONTENT_TYPE
    return "".join(out).encode(), content_type


def series_count(families: Iterable[Family]) -> int:
    return sum(len(family.samples) for family in families)
