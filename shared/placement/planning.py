"""`navarch plan`'s engine: documents in, Karmada's decisions out, with no hub.

Clusters come as Karmada Cluster documents (with their resourceSummary) or as a
SimulatedFleet, which is turned into the Cluster objects the fleet-manager would report.
Each resource is matched to its policy and placed exactly as the scheduler would; the
caller may render each cluster's manifest with the override core.
"""

from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

from shared.api.affinity import ClusterAffinity
from shared.api.base import KubeModel
from shared.api.binding import ObjectReference
from shared.api.cluster import APIEnablement, APIResource, Cluster
from shared.api.crd_kinds import checked_crd_kinds
from shared.api.kind_table import HUB_KINDS, KUBERNETES_KINDS, Kind, find_kind
from shared.api.meta import ObjectMeta
from shared.api.propagation import Placement, PlacementExtras
from shared.api.simulated_fleet import API_VERSION as SIMULATED_FLEET_API_VERSION
from shared.api.simulated_fleet import FleetConfig, parse_fleet_config
from shared.placement.estimating import ResourceTemplate, interpret_replicas
from shared.placement.filtering import FilterContext, filter_clusters
from shared.placement.matching import select_policy
from shared.placement.placing import place
from shared.placement.policies import (
    fleet_placement,
    group_kind,
    is_propagation_policy,
    parse_policy_document,
)
from shared.quantity import format_quantity, parse_quantity

Object = dict[str, Any]
GPU_PRODUCT_LABEL = "nvidia.com/gpu.product"
NOT_RESOURCES = {
    ("policy.karmada.io", "OverridePolicy"),
    ("policy.karmada.io", "ClusterOverridePolicy"),
    ("policy.kurator.dev", "OverridePolicy"),
    ("apps.kurator.dev", "OverridePolicy"),
    ("cluster.karmada.io", "Cluster"),
    ("cluster.kurator.dev", "Cluster"),
    ("navarch.dev", "SimulatedFleet"),
    ("fleet.kurator.dev", "Fleet"),
    ("cluster.kurator.dev", "AttachedCluster"),
    ("karmada.io", "KarmadaConfig"),
    ("apiextensions.k8s.io", "CustomResourceDefinition"),
}
Renderer = Callable[[Object, Cluster, int | None], Object]


class PlannedResource(KubeModel):
    api_version: str
    kind: str
    namespace: str | None = None
    name: str


class PlannedPolicy(KubeModel):
    kind: str
    namespace: str | None = None
    name: str


class PlannedCluster(KubeModel):
    name: str
    replicas: int | None = None


class PlannedPlacement(KubeModel):
    resource: PlannedResource
    policy: PlannedPolicy | None = None
    clusters: list[PlannedCluster]
    reasons: dict[str, str]
    message: str | None = None


class Plan(KubeModel):
    placements: list[PlannedPlacement]
    manifests: dict[str, list[Object]]

    def document(self) -> Object:
        """The JSON users' CI relies on: `policy` is present (null) when nothing matched."""
        placements = []
        for placement in self.placements:
            entry = placement.to_dict()
            entry["policy"] = placement.policy.to_dict() if placement.policy else None
            entry.setdefault("reasons", {})
            placements.append(entry)
        return {"placements": placements, "manifests": self.manifests}


def served_enablements(kinds: Iterable[Kind]) -> list[APIEnablement]:
    by_version: dict[str, list[APIResource]] = {}
    for kind in kinds:
        resource = kind.resource
        by_version.setdefault(resource.api_version, []).append(
            APIResource(name=resource.plural, kind=resource.kind)
        )
    return [
        APIEnablement(group_version=version, resources=sorted(items, key=lambda r: r.name))
        for version, items in sorted(by_version.items())
    ]


def clusters_from_fleet_config(
    config: FleetConfig, *, enablements: list[APIEnablement]
) -> list[Cluster]:
    """Each simulated cluster as the fleet-manager reports it: Ready, APIs, capacity, GPUs."""
    clusters = []
    for entry in config.clusters:
        totals: dict[str, Decimal] = {}
        products: set[str] = set()
        for group in entry.nodes:
            for resource, text in group.capacity.items():
                totals[resource] = (
                    totals.get(resource, Decimal(0)) + parse_quantity(str(text)) * group.count
                )
            if group.capacity.get("nvidia.com/gpu") and group.labels.get(GPU_PRODUCT_LABEL):
                products.add(group.labels[GPU_PRODUCT_LABEL])
        labels = dict(entry.labels)
        if len(products) == 1:
            labels[GPU_PRODUCT_LABEL] = next(iter(products))
        allocatable = {
            name: format_quantity(value, fmt="BinarySI" if name == "memory" else "DecimalSI")
            for name, value in sorted(totals.items())
        }
        clusters.append(
            Cluster.model_validate(
                {
                    "metadata": {"name": entry.name, "labels": labels},
                    "spec": {
                        "provider": entry.provider or None,
                        "region": entry.region or None,
                        "zones": [entry.zone] if entry.zone else [],
                        "taints": [taint.to_dict() for taint in entry.taints],
                    },
                    "status": {
                        "conditions": [{"type": "Ready", "status": "True"}],
                        "apiEnablements": [e.to_dict() for e in enablements],
                        "resourceSummary": {"allocatable": allocatable},
                    },
                }
            )
        )
    return clusters


def filter_reasons(
    *,
    api_version: str,
    kind: str,
    placement: Placement,
    extras: PlacementExtras | None,
    clusters: list[Cluster],
) -> dict[str, str]:
    """Why each cluster was filtered out, also when the placement as a whole succeeded."""
    affinities: list[ClusterAffinity] | None = None
    if placement.cluster_affinity is not None:
        affinities = [placement.cluster_affinity]
    elif placement.cluster_affinities:
        affinities = [placement.cluster_affinities[0]]
    context = FilterContext(
        api_version=api_version,
        kind=kind,
        affinities=affinities,
        tolerations=placement.all_tolerations(),
        spread_constraints=placement.spread_constraints,
        resource_constraints=tuple(extras.resource_constraints) if extras else (),
    )
    return filter_clusters(context, clusters)[1]


def member_kinds_with_crds(documents: Iterable[Object]) -> list[Kind]:
    """What a simulated member serves: Kubernetes' kinds plus the documents' CRDs, each
    checked as the API server checks it (InvalidCrdError; a CRD cannot take over a
    built-in kind), a later CRD of the same name replacing the kinds of an earlier one."""
    served: dict[tuple[str, str, str], Kind] = {
        (kind.group, kind.version, kind.plural): kind for kind in KUBERNETES_KINDS
    }
    owned: dict[str, list[tuple[str, str, str]]] = {}
    for document in documents:
        if group_kind(document) != ("apiextensions.k8s.io", "CustomResourceDefinition"):
            continue
        name = (document.get("metadata") or {}).get("name", "")
        for key in owned.pop(name, []):
            served.pop(key, None)
        kinds = checked_crd_kinds(
            document, known=lambda group, version, plural: served.get((group, version, plural))
        )
        owned[name] = [(kind.group, kind.version, kind.plural) for kind in kinds]
        served.update(zip(owned[name], kinds, strict=True))
    return list(served.values())


def plan(documents: list[Object], *, render: Renderer | None = None) -> Plan:
    member_kinds = member_kinds_with_crds(documents)
    enablements = served_enablements(member_kinds)
    clusters: list[Cluster] = []
    propagation, cluster_propagation, extras_of = [], [], {}
    fleets: dict[str, Object] = {}
    resources: list[Object] = []
    for document in documents:
        group_and_kind = group_kind(document)
        if document.get("apiVersion") == SIMULATED_FLEET_API_VERSION:
            config = parse_fleet_config(document, source="SimulatedFleet")
            clusters += clusters_from_fleet_config(config, enablements=enablements)
        elif group_and_kind == ("cluster.karmada.io", "Cluster"):
            clusters.append(Cluster.model_validate(document))
        elif is_propagation_policy(document):
            policy, extras = parse_policy_document(document)
            extras_of[id(policy)] = extras
            if group_and_kind[1] == "ClusterPropagationPolicy":
                cluster_propagation.append(policy)
            else:
                propagation.append(policy)
        elif group_and_kind == ("fleet.kurator.dev", "Fleet"):
            fleets[document.get("metadata", {}).get("namespace") or "default"] = document
        elif group_and_kind not in NOT_RESOURCES:
            resources.append(document)
    placements: list[PlannedPlacement] = []
    manifests: dict[str, list[Object]] = {cluster.name: [] for cluster in clusters}
    for document in resources:
        api_version, kind = document.get("apiVersion", ""), document.get("kind", "")
        known = find_kind(HUB_KINDS, api_version, kind) or find_kind(
            member_kinds, api_version, kind
        )
        namespaced = known.namespaced if known else True
        metadata = ObjectMeta.model_validate(document.get("metadata") or {})
        if namespaced:
            metadata.namespace = metadata.namespace or "default"
        else:
            metadata.namespace = None
        planned = PlannedResource(
            api_version=document["apiVersion"],
            kind=document["kind"],
            namespace=metadata.namespace,
            name=metadata.name,
        )
        policy = select_policy(
            api_version=planned.api_version,
            kind=planned.kind,
            meta=metadata,
            propagation_policies=propagation,
            cluster_propagation_policies=cluster_propagation,
        )
        if policy is None:
            placements.append(PlannedPlacement(resource=planned, clusters=[], reasons={}))
            continue
        placement = policy.spec.placement
        if planned.namespace in fleets:
            placement = fleet_placement(placement, fleets[planned.namespace])
        template = ResourceTemplate.model_validate(document)
        replicas, requirements = interpret_replicas(template)
        result = place(
            resource=ObjectReference(
                api_version=planned.api_version,
                kind=planned.kind,
                namespace=planned.namespace or "",
                name=planned.name,
                uid=metadata.uid or "",
            ),
            replicas=replicas,
            replica_requirements=requirements,
            placement=placement,
            clusters=clusters,
            extras=extras_of.get(id(policy)),
        )
        targets = result.clusters or []
        reasons = dict(result.failure.cluster_reasons) if result.failure else {}
        if not reasons:
            reasons = filter_reasons(
                api_version=planned.api_version,
                kind=planned.kind,
                placement=placement,
                extras=extras_of.get(id(policy)),
                clusters=clusters,
            )
        placements.append(
            PlannedPlacement(
                resource=planned,
                policy=PlannedPolicy(
                    kind=policy.kind,
                    namespace=policy.metadata.namespace,
                    name=policy.metadata.name,
                ),
                clusters=[
                    PlannedCluster(name=t.name, replicas=t.replicas if replicas else None)
                    for t in targets
                ],
                reasons=reasons,
                message=result.failure.message if result.failure else None,
            )
        )
        if render is not None:
            by_name = {cluster.name: cluster for cluster in clusters}
            for target in targets:
                with_namespace = dict(document)
                if planned.namespace:
                    with_namespace["metadata"] = dict(
                        document.get("metadata") or {}, namespace=planned.namespace
                    )
                manifests[target.name].append(
                    render(with_namespace, by_name[target.name], target.replicas)
                )
    return Plan(
        placements=placements,
        manifests={name: items for name, items in manifests.items() if items},
    )
