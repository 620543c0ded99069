"""What the hub's own objects say about the fleet, read into the models selection and the
fleet endpoint use: member states, pod placements, cluster facts, binding facts.

Hub objects come from informer caches; they are validated with the API models where the
model exists (Cluster, ResourceBinding, Fleet), and an object that does not validate is
skipped with a log line rather than breaking every answer.
"""

import logging
from typing import Any

from pydantic import ValidationError

from services.telemetry.exposition import BindingFacts, BindingTarget, ClusterFacts
from services.telemetry.querying import CUSTOM_METRICS_GROUP, CUSTOM_METRICS_VERSION
from services.telemetry.selecting import MemberState, Placement
from shared.api.binding import ResourceBinding
from shared.api.cluster import Cluster
from shared.api.fleet import Fleet
from shared.members.kubeconfigs import attached_reference

log = logging.getLogger(__name__)

Object = dict[str, Any]

POD_TEMPLATE_PATHS: dict[str, tuple[str, ...]] = {
    "Deployment": ("spec", "template"),
    "StatefulSet": ("spec", "template"),
    "DaemonSet": ("spec", "template"),
    "ReplicaSet": ("spec", "template"),
    "Job": ("spec", "template"),
    "CronJob": ("spec", "jobTemplate", "spec", "template"),
    "Pod": (),
}
"""Where each pod-making kind keeps the pod metadata its pods get."""


def _cluster(obj: Object) -> Cluster | None:
    try:
        return Cluster.model_validate(obj)
    except ValidationError as error:
        log.warning("cluster skipped: %s", error, extra={"cluster": obj["metadata"]["name"]})
        return None


def is_ready(cluster: Cluster) -> bool:
    return any(c.type == "Ready" and c.status == "True" for c in cluster.status.conditions)


def serves_custom_metrics(cluster: Cluster) -> bool:
    wanted = f"{CUSTOM_METRICS_GROUP}/{CUSTOM_METRICS_VERSION}"
    return any(e.group_version == wanted for e in cluster.status.api_enablements)


def member_states(
    clusters: list[Object], *, connected: set[str], connect_errors: dict[str, str]
) -> list[MemberState]:
    states = []
    for obj in clusters:
        cluster = _cluster(obj)
        if cluster is None:
            continue
        name = cluster.metadata.name
        states.append(
            MemberState(
                name=name,
                ready=is_ready(cluster),
                connected=name in connected,
                connect_error=connect_errors.get(name, ""),
                serves_custom_metrics=serves_custom_metrics(cluster),
            )
        )
    return states


def pod_labels(template: Object) -> dict[str, str]:
    """The labels the pods of a workload template get."""
    node: Any = template
    for part in POD_TEMPLATE_PATHS.get(template.get("kind", ""), ()):
        node = node.get(part) if isinstance(node, dict) else None
    metadata = node.get("metadata") if isinstance(node, dict) else None
    return dict((metadata or {}).get("labels") or {})


def placement_of(binding: Object, template: Object | None) -> Placement | None:
    """Where a binding's pods run; None for kinds that make no pods."""
    try:
        model = ResourceBinding.model_validate(binding)
    except ValidationError as error:
        log.warning("binding skipped: %s", error, extra={"binding": binding["metadata"]["name"]})
        return None
    if model.spec.resource.kind not in POD_TEMPLATE_PATHS:
        return None
    return Placement(
        namespace=model.metadata.namespace or model.spec.resource.namespace,
        clusters=[target.name for target in model.spec.clusters],
        pod_labels=pod_labels(template) if template is not None else None,
    )


def fleet_of_clusters(clusters: list[Object], fleets: list[Object]) -> dict[str, str]:
    """Cluster name -> the Fleet holding its AttachedCluster (spec or status members)."""
    members: dict[tuple[str, str], str] = {}
    for obj in fleets:
        try:
            fleet = Fleet.model_validate(obj)
        except ValidationError:
            continue
        namespace = fleet.metadata.namespace or ""
        names = {m.name for m in fleet.spec.clusters} | {m.name for m in fleet.status.clusters}
        for name in names:
            members.setdefault((namespace, name), fleet.metadata.name)
    out = {}
    for obj in clusters:
        reference = attached_reference(obj)
        if reference is not None and reference in members:
            out[obj["metadata"]["name"]] = members[reference]
    return out


def cluster_facts(clusters: list[Object], fleets: list[Object]) -> list[ClusterFacts]:
    fleet_names = fleet_of_clusters(clusters, fleets)
    facts = []
    for obj in clusters:
        cluster = _cluster(obj)
        if cluster is None:
            continue
        name = cluster.metadata.name
        facts.append(
            ClusterFacts(
                name=name,
                fleet=fleet_names.get(name, ""),
                ready=is_ready(cluster),
                taints=list(cluster.spec.taints),
            )
        )
    return facts


def binding_facts(bindings: list[Object]) -> list[BindingFacts]:
    facts = []
    for obj in bindings:
        try:
            binding = ResourceBinding.model_validate(obj)
        except ValidationError:
            continue
        statuses = {item.cluster_name: item for item in binding.status.aggregated_status}
        targets = []
        for target in binding.spec.clusters:
            status = statuses.get(target.name)
            targets.append(
                BindingTarget(
                    cluster=target.name,
                    replicas=target.replicas,
                    applied=status.applied if status else None,
                    healthy=(status.health == "Healthy") if status and status.health else None,
                )
            )
        facts.append(
            BindingFacts(
                namespace=binding.metadata.namespace or "",
                name=binding.metadata.name,
                kind=binding.spec.resource.kind,
                resource=binding.spec.resource.name,
                targets=targets,
            )
        )
    return facts
