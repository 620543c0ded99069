"""kubectl top and the fleet metrics endpoint against a real hub with the seed fleet.

The tests run in file order: the last one takes a member down."""

import json
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from kubernetes_asyncio import config
from prometheus_client.parser import text_string_to_metric_families

from shared.api.aggregated import CLUSTER_LABEL, QUERY_SOURCE_ANNOTATION
from tests.integration.fleet_manager.conftest import SEED_FLEET, FleetHub

pytestmark = pytest.mark.integration

KUBECTL = Path(sys.executable).parent / "kubectl"
SEED = yaml.safe_load(SEED_FLEET.read_text())["clusters"]
SEED_CLUSTERS = {cluster["name"] for cluster in SEED}
SEED_NODES = sum(group["count"] for cluster in SEED for group in cluster["nodes"])
NAMESPACE = "telemetry-demo"
WORKLOAD = f"""
apiVersion: v1
kind: Namespace
metadata: {{name: {NAMESPACE}}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {{name: loadgen, namespace: {NAMESPACE}, labels: {{app: loadgen}}}}
spec:
  replicas: 4
  selector: {{matchLabels: {{app: loadgen}}}}
  template:
    metadata: {{labels: {{app: loadgen}}}}
    spec:
      containers:
      - name: work
        image: busybox
        resources: {{requests: {{cpu: 200m, memory: 64Mi}}}}
---
apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata: {{name: loadgen, namespace: {NAMESPACE}}}
spec:
  resourceSelectors: [{{apiVersion: apps/v1, kind: Deployment, name: loadgen}}]
  placement:
    clusterAffinity: {{clusterNames: [cluster-hangzhou, cluster-shanghai]}}
    replicaScheduling:
      replicaSchedulingType: Divided
      replicaDivisionPreference: Weighted
      weightPreference:
        staticWeightList:
        - targetCluster: {{clusterNames: [cluster-hangzhou]}}
          weight: 1
        - targetCluster: {{clusterNames: [cluster-shanghai]}}
          weight: 1
"""


def kubectl(
    hub: FleetHub, *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(KUBECTL), f"--kubeconfig={hub.home / 'hub.kubeconfig'}", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def member(hub: FleetHub, cluster: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(KUBECTL), f"--kubeconfig={hub.member_kubeconfig(cluster)}", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def wait_for(condition: Callable[[], bool], *, timeout: float, interval: float = 0.5) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not true within {timeout}s")
        time.sleep(interval)


def raw(hub: FleetHub, path: str) -> dict:
    result = kubectl(hub, "get", "--raw", path)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def top_rows(result: subprocess.CompletedProcess[str]) -> list[list[str]]:
    assert result.returncode == 0, result.stderr
    return [line.split() for line in result.stdout.splitlines() if line.strip()]


def all_ready(hub: FleetHub) -> bool:
    clusters = hub.json("get", "clusters")["items"]
    ready = {
        item["metadata"]["name"]
        for item in clusters
        if any(
            c["type"] == "Ready" and c["status"] == "True"
            for c in item.get("status", {}).get("conditions", [])
        )
    }
    return ready == SEED_CLUSTERS


@pytest.fixture(scope="module")
def hub(telemetry_hub: FleetHub) -> FleetHub:
    wait_for(lambda: all_ready(telemetry_hub), timeout=60)
    return telemetry_hub


@pytest.fixture(scope="module")
def loadgen(hub: FleetHub) -> FleetHub:
    applied = kubectl(hub, "apply", "-f", "-", stdin=WORKLOAD)
    assert applied.returncode == 0, applied.stderr
    waited = kubectl(
        hub,
        "wait",
        "-n",
        NAMESPACE,
        "--for=jsonpath={.status.readyReplicas}=4",
        "deployment/loadgen",
        "--timeout=90s",
    )
    assert waited.returncode == 0, waited.stderr
    return hub


def test_discovery_lists_the_aggregated_groups(hub: FleetHub) -> None:
    resources = kubectl(hub, "api-resources", "--api-group=metrics.k8s.io", "--no-headers")
    assert sorted(row[0] for row in top_rows(resources)) == ["nodes", "pods"]
    custom = raw(hub, "/apis/custom.metrics.k8s.io/v1beta2")
    assert custom["kind"] == "APIResourceList"
    assert custom["resources"] == [], "the simulator serves no custom metrics"
    assert raw(hub, "/apis/metrics.k8s.io")["preferredVersion"]["version"] == "v1beta1"


def test_top_nodes_lists_every_members_nodes_with_their_cluster(hub: FleetHub) -> None:
    rows = top_rows(kubectl(hub, "top", "nodes", "--no-headers"))
    assert len(rows) == SEED_NODES
    assert all(row[1].endswith("m") and row[2].endswith("%") for row in rows)
    listing = raw(hub, "/apis/metrics.k8s.io/v1beta1/nodes")
    clusters = {item["metadata"]["labels"][CLUSTER_LABEL] for item in listing["items"]}
    assert clusters == SEED_CLUSTERS
    assert all(
        item["metadata"]["annotations"][QUERY_SOURCE_ANNOTATION]
        == item["metadata"]["labels"][CLUSTER_LABEL]
        for item in listing["items"]
    )
    one = rows[0][0]
    named = top_rows(kubectl(hub, "top", "node", one, "--no-headers"))
    assert [row[0] for row in named] == [one]
    by_cluster = top_rows(
        kubectl(hub, "top", "nodes", "--no-headers", "-l", f"{CLUSTER_LABEL}=cluster-prod")
    )
    assert len(by_cluster) == 4
    assert all(row[0].startswith("cluster-prod-") for row in by_cluster)


def test_top_pods_across_the_fleet(loadgen: FleetHub) -> None:
    everywhere = top_rows(kubectl(loadgen, "top", "pods", "-A", "--no-headers"))
    ours = [row for row in everywhere if row[0] == NAMESPACE]
    assert len(ours) == 4
    selected = top_rows(
        kubectl(loadgen, "top", "pods", "-n", NAMESPACE, "-l", "app=loadgen", "--no-headers")
    )
    assert sorted(row[0] for row in selected) == sorted(row[1] for row in ours)
    assert all(row[1] == "100m" for row in selected), "request 200m x the default load 0.5"
    assert top_rows(kubectl(loadgen, "top", "pods", "-n", NAMESPACE, "-l", "app=none")) == []
    name = selected[0][0]
    one = top_rows(kubectl(loadgen, "top", "pod", name, "-n", NAMESPACE, "--no-headers"))
    assert [row[0] for row in one] == [name]
    listing = raw(loadgen, f"/apis/metrics.k8s.io/v1beta1/namespaces/{NAMESPACE}/pods")
    clusters = sorted(item["metadata"]["labels"][CLUSTER_LABEL] for item in listing["items"])
    assert clusters == ["cluster-hangzhou"] * 2 + ["cluster-shanghai"] * 2
    missing = kubectl(loadgen, "top", "pod", "nothing-here", "-n", NAMESPACE)
    assert 'podmetrics.metrics.k8s.io "telemetry-demo/nothing-here" not found' in missing.stderr


def test_raising_the_simulated_load_moves_the_figures(loadgen: FleetHub) -> None:
    annotated = member(
        loadgen,
        "cluster-hangzhou",
        "annotate",
        "-n",
        NAMESPACE,
        "deployment/loadgen",
        "sim.navarch.dev/load=2",
        "--overwrite",
    )
    assert annotated.returncode == 0, annotated.stderr

    def hangzhou_cpu() -> list[str]:
        rows = top_rows(
            kubectl(
                loadgen,
                "top",
                "pods",
                "-n",
                NAMESPACE,
                "-l",
                f"app=loadgen,{CLUSTER_LABEL}=cluster-hangzhou",
                "--no-headers",
            )
        )
        return [row[1] for row in rows]

    wait_for(lambda: hangzhou_cpu() == ["400m", "400m"], timeout=15)
    shanghai = top_rows(
        kubectl(
            loadgen,
            "top",
            "pods",
            "-n",
            NAMESPACE,
            "-l",
            f"{CLUSTER_LABEL}=cluster-shanghai",
            "--no-headers",
        )
    )
    assert [row[1] for row in shanghai] == ["100m", "100m"]


def fleet_series(hub: FleetHub, accept: str = "") -> dict[str, list[dict[str, str]]]:
    state = json.loads((hub.home / "up.json").read_text())
    port = next(p["http_port"] for p in state["processes"] if p["name"] == "telemetry")
    request = urllib.request.Request(f"http://127.0.0.1:{port}/metrics/fleet")
    if accept:
        request.add_header("Accept", accept)
    with urllib.request.urlopen(request, timeout=10) as response:
        body = response.read().decode()
        content_type = response.headers["Content-Type"]
    if accept:
        assert content_type.startswith("application/openmetrics-text"), content_type
        assert body.endswith("# EOF\n")
        return {}
    series: dict[str, list[dict[str, str]]] = {}
    for family in text_string_to_metric_families(body):
        for sample in family.samples:
            series.setdefault(sample.name, []).append(
                {**sample.labels, "_value": str(sample.value)}
            )
    return series


def test_the_fleet_endpoint_has_every_seed_cluster(loadgen: FleetHub) -> None:
    scrapes: list[dict[str, list[dict[str, str]]]] = []

    def complete() -> bool:
        """Every cluster's nodes and our four pods in one scrape (collections are periodic)."""
        series = fleet_series(loadgen)
        scrapes.append(series)
        nodes = {s["cluster"] for s in series.get("kube_node_status_capacity", [])}
        pods = [
            s for s in series.get("pod_memory_working_set_bytes", []) if s["namespace"] == NAMESPACE
        ]
        return nodes == SEED_CLUSTERS and len(pods) == 4

    wait_for(complete, timeout=15)
    series = scrapes[-1]
    ready = {s["cluster"]: s for s in series["navarch_cluster_ready"]}
    assert set(ready) == SEED_CLUSTERS
    assert all(s["_value"] == "1.0" and s["fleet"] == "simulated" for s in ready.values())
    assert {s["cluster"] for s in series["kube_node_info"]} == SEED_CLUSTERS
    taints = series["navarch_cluster_taint"]
    assert {"cluster": "cluster-zone-a", "key": "dedicated", "value": "special"}.items() <= next(
        s for s in taints if s["cluster"] == "cluster-zone-a"
    ).items()
    desired = {
        s["cluster"]: s["_value"]
        for s in series["kube_deployment_spec_replicas"]
        if s["namespace"] == NAMESPACE
    }
    assert desired == {"cluster-hangzhou": "2.0", "cluster-shanghai": "2.0"}
    placed = {
        s["cluster"]: s["_value"]
        for s in series["navarch_binding_cluster_replicas"]
        if s["namespace"] == NAMESPACE
    }
    assert placed == {"cluster-hangzhou": "2.0", "cluster-shanghai": "2.0"}
    fleet_series(loadgen, accept="application/openmetrics-text; version=1.0.0")


async def pod_metrics_through_the_hub(hub: FleetHub) -> tuple[dict, list[str], float]:
    """One `metrics.k8s.io` pod list via kubernetes-asyncio: body, Warning headers, seconds."""
    api = await config.new_client_from_config(str(hub.home / "hub.kubeconfig"))
    async with api:
        started = time.perf_counter()
        response = await api.call_api(
            f"/apis/metrics.k8s.io/v1beta1/namespaces/{NAMESPACE}/pods",
            "GET",
            auth_settings=["BearerToken"],
            _preload_content=False,
            _return_http_data_only=True,
        )
        body = json.loads(await response.read())
        return body, response.headers.getall("Warning", []), time.perf_counter() - started


async def test_a_slow_member_is_cut_off_at_its_deadline(loadgen: FleetHub) -> None:
    slow = loadgen.navarch("sim", "fault", "cluster-shanghai", "latency", "3000")
    assert slow.returncode == 0, slow.stderr
    try:
        body, warnings, elapsed = await pod_metrics_through_the_hub(loadgen)
        # the member deadline is 0.8 s; the slack is for a busy 2-core machine, far from 3 s
        assert elapsed < 1.5, elapsed
        clusters = {item["metadata"]["labels"][CLUSTER_LABEL] for item in body["items"]}
        assert clusters == {"cluster-hangzhou"}
        assert any("cluster-shanghai" in w and "no answer within 0.8s" in w for w in warnings)
    finally:
        healed = loadgen.navarch("sim", "fault", "cluster-shanghai", "up")
        assert healed.returncode == 0, healed.stderr


async def test_a_member_down_is_left_out_and_the_rest_answer_fast(loadgen: FleetHub) -> None:
    down = loadgen.navarch("sim", "fault", "cluster-shanghai", "down")
    assert down.returncode == 0, down.stderr
    try:
        body, warnings, elapsed = await pod_metrics_through_the_hub(loadgen)
        assert elapsed < 1.5, elapsed
        clusters = {item["metadata"]["labels"][CLUSTER_LABEL] for item in body["items"]}
        assert clusters == {"cluster-hangzhou"}
        assert any('cluster \\"cluster-shanghai\\" is left out' in w for w in warnings), warnings
        result = kubectl(loadgen, "top", "pods", "-A", "--no-headers")
        assert result.returncode == 0, result.stderr
        assert 'Warning: cluster "cluster-shanghai" is left out of this answer' in result.stderr
        nodes = top_rows(kubectl(loadgen, "top", "nodes", "--no-headers"))
        assert nodes, "the other members still answer"
        assert not any(row[0].startswith("cluster-shanghai-") for row in nodes)
    finally:
        up = loadgen.navarch("sim", "fault", "cluster-shanghai", "up")
        assert up.returncode == 0, up.stderr
