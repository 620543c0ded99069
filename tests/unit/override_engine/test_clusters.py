"""Which bindings a cluster's session looks at, and which Cluster changes re-render."""

from services.override_engine.clusters import cluster_fingerprint, targets


def binding(clusters: list[str], evicting: tuple[str, ...] = ()) -> dict:
    return {
        "spec": {
            "clusters": [{"name": name} for name in clusters],
            "gracefulEvictionTasks": [{"fromCluster": name} for name in evicting],
        }
    }


def test_a_binding_concerns_its_targets_and_the_clusters_it_is_leaving() -> None:
    placed = binding(["east"], evicting=["west"])
    assert targets(placed, "east") and targets(placed, "west")
    assert not targets(placed, "north")
    assert not targets({"spec": {}}, "east") and not targets({}, "east")


def cluster(*, labels: dict, spec: dict, status: dict) -> dict:
    return {"metadata": {"name": "east", "labels": labels}, "spec": spec, "status": status}


def test_labels_and_spec_count_status_does_not() -> None:
    base = cluster(labels={"region": "east"}, spec={"provider": "sim"}, status={})
    probed = cluster(labels={"region": "east"}, spec={"provider": "sim"}, status={"ok": True})
    relabelled = cluster(labels={"region": "west"}, spec={"provider": "sim"}, status={})
    tainted = cluster(labels={"region": "east"}, spec={"taints": [{"key": "k"}]}, status={})
    assert cluster_fingerprint(base) == cluster_fingerprint(probed)
    assert cluster_fingerprint(base) != cluster_fingerprint(relabelled)
    assert cluster_fingerprint(base) != cluster_fingerprint(tainted)
