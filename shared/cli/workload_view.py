"""`navarch get workload(s) [--all-clusters]`: every propagated workload, per member cluster.

Built from two lists only (ResourceBindings, Works), so it stays quick at a thousand
workloads: the binding says where and how many (`spec.clusters`) and what each member
reports (`status.aggregatedStatus`), the Work per cluster says what was sent (the image
after overrides). Pure functions over those objects; the command does the two reads.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from shared.cli import printing

Object = dict[str, Any]
BINDING_ANNOTATION = "propagation.navarch.dev/binding"
WORKLOAD_API_VERSION = "navarch.dev/v1alpha1"


@dataclass(frozen=True)
class ClusterState:
    cluster: str
    desired: int
    ready: int
    available: int
    image: str
    applied: str
    """True / False as the member reported applying it, Unknown before any report."""


UNPLACED = ClusterState(
    cluster="<none>", desired=0, ready=0, available=0, image="<none>", applied="Unknown"
)
"""The one row of a workload scheduled nowhere yet."""


@dataclass(frozen=True)
class Workload:
    namespace: str
    name: str
    kind: str
    api_version: str
    binding: str
    created: str | None
    clusters: tuple[ClusterState, ...]

    @property
    def desired(self) -> int:
        return sum(state.desired for state in self.clusters)

    @property
    def ready(self) -> int:
        return sum(state.ready for state in self.clusters)

    @property
    def available(self) -> int:
        return sum(state.available for state in self.clusters)

    @property
    def group(self) -> str:
        return self.api_version.split("/")[0] if "/" in self.api_version else ""


def binding_key(binding: Mapping[str, Any]) -> str:
    """How a Work names its binding (`propagation.navarch.dev/binding`)."""
    metadata = binding.get("metadata") or {}
    kind = binding.get("kind") or "ResourceBinding"
    return f"{kind}/{metadata.get('namespace') or ''}/{metadata.get('name')}"


def works_by_binding(works: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, Mapping]]:
    """binding key → cluster → its Work, from one list of every Work."""
    index: dict[str, dict[str, Mapping]] = {}
    for work in works:
        metadata = work.get("metadata") or {}
        annotations = metadata.get("annotations") or {}
        key = annotations.get(BINDING_ANNOTATION)
        if not key:
            continue
        cluster = annotations.get("propagation.navarch.dev/cluster") or str(
            metadata.get("namespace", "")
        ).removeprefix("karmada-es-")
        index.setdefault(key, {})[cluster] = work
    return index


def first_image(manifest: Mapping[str, Any]) -> str:
    spec = manifest.get("spec") or {}
    pod = (spec.get("template") or {}).get("spec") or spec
    containers = pod.get("containers") or []
    return str(containers[0].get("image", "")) if containers else ""


def _manifest(work: Mapping[str, Any] | None) -> Mapping[str, Any]:
    manifests = (((work or {}).get("spec") or {}).get("workload") or {}).get("manifests") or []
    return manifests[0] if manifests else {}


def _applied(report: Mapping[str, Any] | None) -> str:
    if report is None or "applied" not in report:
        return "Unknown"
    return "True" if report.get("applied") else "False"


def cluster_states(
    binding: Mapping[str, Any], works: Mapping[str, Mapping[str, Any]]
) -> tuple[ClusterState, ...]:
    """One state per target cluster, in the binding's order. DESIRED is what the member was
    sent (an override may change the scheduler's count), else the binding's replicas."""
    reports = {
        item.get("clusterName"): item
        for item in (binding.get("status") or {}).get("aggregatedStatus") or []
    }
    states = []
    for target in (binding.get("spec") or {}).get("clusters") or []:
        cluster = str(target.get("name", ""))
        manifest = _manifest(works.get(cluster))
        report = reports.get(cluster)
        scheduled = target.get("replicas", 0)
        member_status = (report or {}).get("status") or {}
        states.append(
            ClusterState(
                cluster=cluster,
                desired=int((manifest.get("spec") or {}).get("replicas", scheduled)),
                ready=int(member_status.get("readyReplicas", 0)),
                available=int(member_status.get("availableReplicas", 0)),
                image=first_image(manifest) or "<none>",
                applied=_applied(report),
            )
        )
    return tuple(states)


def workloads(
    bindings: Iterable[Mapping[str, Any]],
    works: Iterable[Mapping[str, Any]],
    *,
    name: str | None = None,
) -> list[Workload]:
    """Every workload the bindings propagate (only `name`'s when given), sorted."""
    index = works_by_binding(works)
    found = []
    for binding in bindings:
        resource = (binding.get("spec") or {}).get("resource") or {}
        if name is not None and resource.get("name") != name:
            continue
        metadata = binding.get("metadata") or {}
        found.append(
            Workload(
                namespace=str(resource.get("namespace") or metadata.get("namespace") or ""),
                name=str(resource.get("name", "")),
                kind=str(resource.get("kind", "")),
                api_version=str(resource.get("apiVersion", "")),
                binding=str(metadata.get("name", "")),
                created=metadata.get("creationTimestamp"),
                clusters=cluster_states(binding, index.get(binding_key(binding), {})),
            )
        )
    return sorted(found, key=lambda w: (w.namespace, w.name, w.kind))


def _age(workload: Workload) -> str:
    return printing.age({"metadata": {"creationTimestamp": workload.created}})


def workload_table(
    found: list[Workload], *, all_clusters: bool, all_namespaces: bool, wide: bool = False
) -> str:
    """A row per workload; with `all_clusters` a row per workload and member cluster."""
    headers = ["NAMESPACE"] if all_namespaces else []
    if all_clusters:
        headers += ["NAME", "KIND", "CLUSTER", "DESIRED", "READY", "AVAILABLE", "IMAGE"]
    else:
        headers += ["NAME", "KIND", "READY", "AVAILABLE", "CLUSTERS"]
    if wide:
        headers += ["APPLIED", "BINDING"] if all_clusters else ["IMAGES", "BINDING"]
    headers.append("AGE")
    rows: list[list[str]] = []
    for workload in found:
        lead = [workload.namespace] if all_namespaces else []
        lead += [workload.name, workload.kind]
        if not all_clusters:
            placement = ",".join(f"{s.cluster}:{s.desired}" for s in workload.clusters)
            row = [*lead, f"{workload.ready}/{workload.desired}", str(workload.available)]
            row.append(placement or "<none>")
            if wide:
                images = sorted({s.image for s in workload.clusters})
                row += [",".join(images) or "<none>", workload.binding]
            rows.append([*row, _age(workload)])
            continue
        for state in workload.clusters or (UNPLACED,):
            row = [*lead, state.cluster, str(state.desired), str(state.ready)]
            row += [str(state.available), state.image]
            if wide:
                row += [state.applied, workload.binding]
            rows.append([*row, _age(workload)])
    return printing.render_rows(headers, rows)


def workload_object(workload: Workload) -> Object:
    """The `-o yaml|json` form: the workload, its binding and each cluster's state."""
    return {
        "apiVersion": WORKLOAD_API_VERSION,
        "kind": "Workload",
        "metadata": {
            "name": workload.name,
            "namespace": workload.namespace,
            "creationTimestamp": workload.created,
        },
        "spec": {
            "resource": {"apiVersion": workload.api_version, "kind": workload.kind},
            "binding": workload.binding,
        },
        "status": {
            "desired": workload.desired,
            "ready": workload.ready,
            "available": workload.available,
            "clusters": [
                {
                    "name": s.cluster,
                    "desired": s.desired,
                    "ready": s.ready,
                    "available": s.available,
                    "image": s.image,
                    "applied": s.applied,
                }
                for s in workload.clusters
            ],
        },
    }


def workload_name(workload: Workload) -> str:
    """kubectl's `-o name`: `deployment.apps/nginx`."""
    kind = workload.kind.lower()
    return (
        f"{kind}.{workload.group}/{workload.name}" if workload.group else f"{kind}/{workload.name}"
    )
