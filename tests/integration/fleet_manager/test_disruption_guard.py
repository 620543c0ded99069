"""The fleet-wide disruption guard end to end: 3 of 4 clusters down at once pause evictions
(nothing moves, NoSchedule only, an Event says why); 1 of 4 down fails over as before, with
an Event and a log line per transition and eviction."""

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from shared.cli.sim_commands import admin_request, read_state
from tests.integration.fleet_manager.conftest import FleetHub
from tests.integration.fleet_manager.test_fleet_inventory import ready, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.timeout(240)]

KUBECTL = Path(sys.executable).parent / "kubectl"
MEMBERS = ["member-1", "member-2", "member-3", "member-4"]
WORKLOAD = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: default}
spec:
  replicas: 8
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: nginx:1.27, resources: {requests: {cpu: 100m}}}]
---
apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata: {name: web, namespace: default}
spec:
  resourceSelectors: [{apiVersion: apps/v1, kind: Deployment, name: web}]
  placement:
    clusterAffinity: {clusterNames: [member-1, member-2, member-3, member-4]}
    replicaScheduling: {replicaSchedulingType: Divided, replicaDivisionPreference: Weighted}
"""
EVENLY = {name: 2 for name in MEMBERS}


def fault(hub: FleetHub, clusters: list[str], action: str) -> None:
    """All at once through the simulator's admin API, as one outage would strike."""
    state = read_state(hub.home / "members")
    for cluster in clusters:
        status, reply = admin_request(state, f"/clusters/{cluster}/faults", body={"action": action})
        assert status == 200, reply


def targets(hub: FleetHub) -> dict[str, int]:
    binding = hub.json("get", "resourcebindings", "web-deployment", "-n", "default")
    return {c["name"]: c["replicas"] for c in binding["spec"].get("clusters", [])}


def taints(hub: FleetHub, cluster: str) -> set[tuple[str, str]]:
    return {(t["key"], t["effect"]) for t in hub.cluster(cluster)["spec"].get("taints", [])}


def events(hub: FleetHub) -> list[dict]:
    kubeconfig = f"--kubeconfig={hub.home / 'hub.kubeconfig'}"
    listed = subprocess.run(
        [str(KUBECTL), kubeconfig, "get", "events", "-A", "-o", "json"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(listed.stdout)["items"]


def with_reason(hub: FleetHub, reason: str) -> list[dict]:
    return [event for event in events(hub) if event["reason"] == reason]


def all_ready(hub: FleetHub) -> bool:
    return all(ready(hub.cluster(name)) == "True" for name in MEMBERS)


def test_most_of_the_fleet_down_pauses_evictions_one_down_fails_over(
    four_cluster_hub: FleetHub,
) -> None:
    hub = four_cluster_hub
    wait_until(lambda: all_ready(hub), timeout=30)
    applied = hub.navarch("apply", "-f", "-", stdin=WORKLOAD)
    assert applied.returncode == 0, applied.stderr
    wait_until(lambda: targets(hub) == EVENLY, timeout=30)

    down = ["member-2", "member-3", "member-4"]
    fault(hub, down, "down")
    wait_until(lambda: all(ready(hub.cluster(name)) == "False" for name in down), timeout=20)
    for _ in range(10):
        assert targets(hub) == EVENLY, "nothing moves while most of the fleet is down"
        for name in down:
            assert taints(hub, name) == {("cluster.karmada.io/unreachable", "NoSchedule")}
        time.sleep(0.5)
    [paused] = with_reason(hub, "EnteringDisruptionMode")
    assert paused["type"] == "Warning"
    assert paused["message"] == (
        "Controller detected that 3 of 4 Clusters are not-Ready (threshold 0.55). "
        "Entering disruption mode: evictions paused"
    )
    assert paused["source"]["component"] == "fleet-manager"
    unreachable = {e["involvedObject"]["name"] for e in with_reason(hub, "ClusterNotReachable")}
    assert unreachable == set(down)
    assert with_reason(hub, "EvictWorkloadFromClusterSucceed") == []

    fault(hub, down, "up")
    wait_until(lambda: all_ready(hub), timeout=20)
    wait_until(lambda: len(with_reason(hub, "ExitingDisruptionMode")) == 1, timeout=10)
    for _ in range(6):
        assert targets(hub) == EVENLY, "clusters coming back one by one are not failed over"
        time.sleep(0.5)
    assert with_reason(hub, "EvictWorkloadFromClusterSucceed") == []

    fault(hub, ["member-4"], "down")
    started = time.monotonic()
    wait_until(lambda: "member-4" not in targets(hub), timeout=20)
    moved_after = time.monotonic() - started
    assert sum(targets(hub).values()) == 8
    assert moved_after < 10, f"a single cluster failed over after {moved_after:.1f}s"
    evictions = with_reason(hub, "EvictWorkloadFromClusterSucceed")
    assert {(e["involvedObject"]["kind"], e["involvedObject"]["name"]) for e in evictions} == {
        ("ResourceBinding", "web-deployment"),
        ("Deployment", "web"),
    }
    assert {e["message"] for e in evictions} == {"Evict from cluster member-4 succeed."}
    assert all(e["source"]["component"] == "scheduler" for e in evictions)
    assert len(with_reason(hub, "EnteringDisruptionMode")) == 1
    fault(hub, ["member-4"], "up")
    wait_until(lambda: all_ready(hub), timeout=20)
