"""What the hub's Karmada Cluster object says about an attached cluster (spec side).

Labels come from the AttachedCluster and its Fleet entries; `provider`, `region` and `zone`
labels (or the well-known `topology.kubernetes.io/*` ones) fill the spec fields Karmada's
placement reads.
"""

from shared.api.cluster import ClusterSpec
from shared.api.fleet import AttachedCluster, Fleet

REGION_LABELS = ("region", "topology.kubernetes.io/region")
ZONE_LABELS = ("zone", "topology.kubernetes.io/zone")
PROVIDER_LABELS = ("provider",)


def _first(labels: dict[str, str], keys: tuple[str, ...]) -> str | None:
    return next((labels[key] for key in keys if labels.get(key)), None)


def cluster_labels(attached: AttachedCluster, fleets: list[Fleet]) -> dict[str, str]:
    """AttachedCluster labels, then the spec labels, then every Fleet entry naming it."""
    labels = dict(attached.metadata.labels)
    labels.update(attached.spec.labels)
    for fleet in sorted(fleets, key=lambda f: (f.metadata.namespace or "", f.metadata.name)):
        if fleet.metadata.namespace != attached.metadata.namespace:
            continue
        for member in fleet.spec.clusters:
            if member.name == attached.metadata.name:
                labels.update(member.labels)
    return labels


def cluster_spec(labels: dict[str, str], *, api_endpoint: str | None) -> ClusterSpec:
    zone = _first(labels, ZONE_LABELS)
    return ClusterSpec(
        sync_mode="Push",
        api_endpoint=api_endpoint,
        provider=_first(labels, PROVIDER_LABELS),
        region=_first(labels, REGION_LABELS),
        zone=zone,
        zones=[zone] if zone else [],
    )
