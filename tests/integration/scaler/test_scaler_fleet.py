"""The scaler against a real hub: FederatedHPAs and hub-only HPAs scale templates from the
fleet's metrics (the simulator's load annotation), restart-safe; policy-selected HPAs are
left to the members."""

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from shared.cli.supervising import read_state
from tests.integration.fleet_manager.conftest import FleetHub

pytestmark = pytest.mark.integration

KUBECTL = Path(sys.executable).parent / "kubectl"
HISTORY = "scaler.navarch.dev/history"


def kubectl(hub: FleetHub, *args: str, stdin: str | None = None) -> str:
    result = subprocess.run(
        [str(KUBECTL), f"--kubeconfig={hub.home / 'hub.kubeconfig'}", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def get(hub: FleetHub, *args: str) -> dict:
    return json.loads(kubectl(hub, "get", *args, "-o", "json"))


def member_replicas(hub: FleetHub, cluster: str, namespace: str, name: str) -> int:
    result = subprocess.run(
        [
            str(KUBECTL),
            f"--kubeconfig={hub.member_kubeconfig(cluster)}",
            "get",
            "deployment",
            name,
            "-n",
            namespace,
            "-o",
            "json",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if result.returncode != 0:
        return -1
    return int(json.loads(result.stdout)["spec"].get("replicas") or 0)


def wait_for(condition: Callable[[], bool], *, timeout: float, interval: float = 0.5) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(interval)


def workload(namespace: str, *, replicas: int, load: str, clusters: list[str]) -> str:
    targets = "".join(
        f"        - targetCluster: {{clusterNames: [{cluster}]}}\n          weight: 1\n"
        for cluster in clusters
    )
    return f"""
apiVersion: v1
kind: Namespace
metadata: {{name: {namespace}}}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: {namespace}
  labels: {{app: web}}
  annotations: {{sim.navarch.dev/load: "{load}"}}
spec:
  replicas: {replicas}
  selector: {{matchLabels: {{app: web}}}}
  template:
    metadata: {{labels: {{app: web}}}}
    spec:
      containers:
      - name: app
        image: busybox
        resources: {{requests: {{cpu: 200m, memory: 64Mi}}}}
---
apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata: {{name: web, namespace: {namespace}}}
spec:
  resourceSelectors: [{{apiVersion: apps/v1, kind: Deployment, name: web}}]
  placement:
    clusterAffinity: {{clusterNames: [{", ".join(clusters)}]}}
    replicaScheduling:
      replicaSchedulingType: Divided
      replicaDivisionPreference: Weighted
      weightPreference:
        staticWeightList:
{targets}"""


def template_replicas(hub: FleetHub, namespace: str) -> int:
    return int(get(hub, "deployment", "web", "-n", namespace)["spec"]["replicas"])


def test_federated_hpa_scales_a_divided_workload_up_to_its_max(scaler_hub: FleetHub) -> None:
    namespace = "scaler-fhpa"
    clusters = ["cluster-hangzhou", "cluster-shanghai"]
    kubectl(
        scaler_hub,
        "apply",
        "-f",
        "-",
        stdin=workload(namespace, replicas=2, load="1.0", clusters=clusters)
        + f"""---
apiVersion: autoscaling.karmada.io/v1alpha1
kind: FederatedHPA
metadata: {{name: web, namespace: {namespace}}}
spec:
  scaleTargetRef: {{apiVersion: apps/v1, kind: Deployment, name: web}}
  minReplicas: 1
  maxReplicas: 6
  metrics:
  - type: Resource
    resource: {{name: cpu, target: {{type: Utilization, averageUtilization: 50}}}}
""",
    )
    wait_for(lambda: template_replicas(scaler_hub, namespace) == 6, timeout=90)
    wait_for(
        lambda: sum(member_replicas(scaler_hub, c, namespace, "web") for c in clusters) == 6,
        timeout=60,
    )

    def limited() -> bool:
        status = get(scaler_hub, "federatedhpa", "web", "-n", namespace).get("status") or {}
        reasons = {c["type"]: c["reason"] for c in status.get("conditions") or []}
        return (
            status.get("currentReplicas") == 6
            and reasons.get("ScalingLimited") == "TooManyReplicas"
            and reasons.get("ScalingActive") == "ValidMetricFound"
        )

    wait_for(limited, timeout=60)
    status = get(scaler_hub, "federatedhpa", "web", "-n", namespace)["status"]
    assert status["desiredReplicas"] == 6
    assert status["lastScaleTime"]
    assert status["currentMetrics"][0]["resource"]["name"] == "cpu"
    assert status["currentMetrics"][0]["resource"]["current"]["averageUtilization"] == 100


def scaler_pid(hub: FleetHub) -> int:
    state = read_state(hub.home)
    assert state is not None
    return int(next(p["pid"] for p in state["processes"] if p["name"] == "scaler"))


def test_a_hub_hpa_scales_down_and_a_kill_9_takes_no_extra_step(scaler_hub: FleetHub) -> None:
    """Example 08's scale-down rules (`Min` of 50 % and 5 pods per 60 s), without the
    300 s window: 10 → 5 at once, then nothing for 60 s even across a kill -9."""
    namespace = "scaler-hpa"
    clusters = ["spot-cluster", "ondemand-cluster"]
    kubectl(
        scaler_hub,
        "apply",
        "-f",
        "-",
        stdin=workload(namespace, replicas=10, load="0.1", clusters=clusters)
        + f"""---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {{name: web, namespace: {namespace}}}
spec:
  scaleTargetRef: {{apiVersion: apps/v1, kind: Deployment, name: web}}
  minReplicas: 3
  maxReplicas: 20
  metrics:
  - type: Resource
    resource: {{name: cpu, target: {{type: Utilization, averageUtilization: 50}}}}
  behavior:
    scaleDown:
      stabilizationWindowSeconds: 0
      policies:
      - {{type: Percent, value: 50, periodSeconds: 60}}
      - {{type: Pods, value: 5, periodSeconds: 60}}
      selectPolicy: Min
""",
    )
    wait_for(lambda: template_replicas(scaler_hub, namespace) == 5, timeout=90)
    stepped_at = time.monotonic()
    hpa = get(scaler_hub, "hpa", "web", "-n", namespace)
    assert HISTORY in hpa["metadata"]["annotations"]
    pid = scaler_pid(scaler_hub)
    os.kill(pid, signal.SIGKILL)
    wait_for(lambda: scaler_pid(scaler_hub) != pid, timeout=30, interval=0.2)
    while time.monotonic() - stepped_at < 45:
        assert template_replicas(scaler_hub, namespace) == 5
        time.sleep(1)
    wait_for(lambda: template_replicas(scaler_hub, namespace) == 3, timeout=60)


def test_an_hpa_a_policy_propagates_is_left_to_the_members(scaler_hub: FleetHub) -> None:
    namespace = "scaler-propagated"
    kubectl(
        scaler_hub,
        "apply",
        "-f",
        "-",
        stdin=workload(namespace, replicas=2, load="1.0", clusters=["cluster-frankfurt"])
        + f"""---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {{name: web, namespace: {namespace}}}
spec:
  scaleTargetRef: {{apiVersion: apps/v1, kind: Deployment, name: web}}
  maxReplicas: 8
  metrics:
  - type: Resource
    resource: {{name: cpu, target: {{type: Utilization, averageUtilization: 50}}}}
---
apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata: {{name: web-hpa, namespace: {namespace}}}
spec:
  resourceSelectors: [{{apiVersion: autoscaling/v2, kind: HorizontalPodAutoscaler, name: web}}]
  placement:
    clusterAffinity: {{clusterNames: [cluster-frankfurt]}}
""",
    )
    wait_for(
        lambda: member_replicas(scaler_hub, "cluster-frankfurt", namespace, "web") == 2, timeout=60
    )
    time.sleep(8)
    assert template_replicas(scaler_hub, namespace) == 2
    hpa = get(scaler_hub, "hpa", "web", "-n", namespace)
    assert HISTORY not in (hpa["metadata"].get("annotations") or {})
    assert not (hpa.get("status") or {}).get("conditions")
