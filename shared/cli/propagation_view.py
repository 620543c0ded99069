"""`navarch get <kind> <name> --clusters`: where a template runs, per member cluster.

Reads what the override-engine wrote: the binding's `spec.clusters` (desired replicas) and
`status.aggregatedStatus` (ready), and the Work per cluster in `karmada-es-<cluster>`
(the image actually sent, and whether it applied).
"""

from collections.abc import Mapping
from typing import Any

from shared.cli import printing
from shared.cli.client import ApiError, ApiResource, KubeClient

Object = dict[str, Any]
HEADERS = ["CLUSTER", "DESIRED", "READY", "IMAGE", "SYNCED"]
BINDING_ANNOTATION = "propagation.navarch.dev/binding"


def _first_image(manifest: Mapping[str, Any]) -> str:
    spec = manifest.get("spec") or {}
    pod = (spec.get("template") or {}).get("spec") or spec
    containers = pod.get("containers") or []
    return str(containers[0].get("image", "")) if containers else ""


def _synced(work: Mapping[str, Any] | None) -> str:
    for condition in ((work or {}).get("status") or {}).get("conditions") or []:
        if condition.get("type") == "Applied":
            return str(condition.get("status", "Unknown"))
    return "Unknown"


def cluster_rows(
    binding: Mapping[str, Any], works: Mapping[str, Mapping[str, Any]]
) -> list[list[str]]:
    """One row per target cluster (then any cluster still being evicted): DESIRED from the
    manifest sent (an override may change the scheduler's count), else the binding."""
    spec = binding.get("spec") or {}
    status = {
        item.get("clusterName"): item
        for item in (binding.get("status") or {}).get("aggregatedStatus") or []
    }
    targets = [(t.get("name", ""), t.get("replicas", 0)) for t in spec.get("clusters") or []]
    seen = {name for name, _ in targets}
    for task in spec.get("gracefulEvictionTasks") or []:
        if task.get("fromCluster") not in seen:
            targets.append((task.get("fromCluster", ""), 0))
            seen.add(task.get("fromCluster"))
    rows = []
    for cluster, replicas in targets:
        work = works.get(cluster)
        manifests = ((work or {}).get("spec") or {}).get("workload", {}).get("manifests") or []
        manifest = manifests[0] if manifests else {}
        desired = (manifest.get("spec") or {}).get("replicas", replicas)
        ready = ((status.get(cluster) or {}).get("status") or {}).get("readyReplicas", 0)
        rows.append(
            [
                cluster,
                str(desired),
                str(ready),
                _first_image(manifest) or "<none>",
                _synced(work),
            ]
        )
    return rows


def binding_reference(obj: Mapping[str, Any], *, namespaced: bool) -> tuple[str, str, str]:
    """(binding kind, namespace, name) of a template, as the scheduler names it."""
    metadata = obj.get("metadata") or {}
    name = f"{metadata.get('name')}-{str(obj.get('kind', '')).lower()}"
    if namespaced:
        return "ResourceBinding", str(metadata.get("namespace") or ""), name
    return "ClusterResourceBinding", "", name


async def propagation_table(client: KubeClient, resource: ApiResource, obj: Object) -> str:
    """The per-cluster table of one template; a message when it is not propagated."""
    kind, namespace, name = binding_reference(obj, namespaced=resource.namespaced)
    bindings = await client.resolve(f"{kind.lower()}s.work.karmada.io")
    try:
        binding = await client.get(bindings, namespace or None, name)
    except ApiError as error:
        if error.code == 404:
            return f"{obj['metadata']['name']} is not propagated to any cluster"
        raise
    works_resource = await client.resolve("works.work.karmada.io")
    reference = f"{kind}/{namespace}/{name}"
    works: dict[str, Object] = {}
    for row in cluster_rows(binding, {}):
        listing = await client.list(works_resource, namespace=f"karmada-es-{row[0]}")
        for work in listing.get("items", []):
            annotations = work.get("metadata", {}).get("annotations") or {}
            if annotations.get(BINDING_ANNOTATION) == reference:
                works[row[0]] = work
    return printing.render_rows(HEADERS, cluster_rows(binding, works))
