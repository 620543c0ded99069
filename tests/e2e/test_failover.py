"""A cluster dies: its replicas move to the others within seconds; it returns: nothing flaps."""

import time

import pytest
import yaml

from tests.e2e.conftest import Fleet, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

WORKLOAD = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: default}
spec:
  replicas: 12
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: nginx:1.27
        resources: {requests: {cpu: 100m}}
---
apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata: {name: web, namespace: default}
spec:
  resourceSelectors: [{apiVersion: apps/v1, kind: Deployment, name: web}]
  placement:
    clusterAffinity: {clusterNames: [member-1, member-2, member-3]}
    replicaScheduling:
      replicaSchedulingType: Divided
      replicaDivisionPreference: Weighted
"""


def targets(fleet: Fleet) -> dict[str, int]:
    binding = fleet.json("get", "resourcebindings", "web-deployment")
    return {c["name"]: c["replicas"] for c in binding["spec"].get("clusters", [])}


def ready(fleet: Fleet) -> int:
    return fleet.json("get", "deployment", "web").get("status", {}).get("readyReplicas", 0)


def test_divided_workload_survives_a_dead_cluster(three_clusters: Fleet) -> None:
    fleet = three_clusters
    applied = fleet.navarch("apply", "-f", "-", stdin=WORKLOAD)
    assert applied.returncode == 0, applied.stderr
    wait_until(lambda: targets(fleet) == {"member-1": 4, "member-2": 4, "member-3": 4}, timeout=30)
    wait_until(lambda: ready(fleet) == 12, timeout=60)

    assert fleet.navarch("sim", "fault", "member-3", "down").returncode == 0
    started = time.monotonic()
    wait_until(lambda: set(targets(fleet)) == {"member-1", "member-2"}, timeout=30, interval=0.2)
    moved_after = time.monotonic() - started
    assert sum(targets(fleet).values()) == 12
    wait_until(lambda: ready(fleet) == 12, timeout=60)
    assert moved_after < 15, f"replicas moved after {moved_after:.1f}s"

    assert fleet.navarch("sim", "fault", "member-3", "up").returncode == 0
    wait_until(
        lambda: fleet.member("member-3", "get", "deployment", "web").returncode != 0,
        timeout=30,
    )
    settled = targets(fleet)
    for _ in range(10):
        time.sleep(0.5)
        assert targets(fleet) == settled, "no flapping once the cluster is back"
    assert set(settled) == {"member-1", "member-2"}
    binding = fleet.json("get", "resourcebindings", "web-deployment")
    assert binding["spec"].get("gracefulEvictionTasks", []) == []
    assert ready(fleet) == 12
    stale = yaml.safe_load(fleet.member("member-3", "get", "deployments", "-o", "yaml").stdout)
    assert stale["items"] == []
