"""Workloads, metrics and eviction through the simulator server, as users and the hub see them."""

import json
from collections.abc import Iterator

import pytest
import yaml
from kubernetes_asyncio import client
from kubernetes_asyncio.client.rest import ApiException
from simhelpers import deployment
from simserving import RunningSimulator, fleet_document, running_simulator

from tests.integration.kubeapi.conftest import ApiServer

SMALL = "small"


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSimulator]:
    document = fleet_document(
        {
            "name": SMALL,
            "podReadyDelay": "50ms",
            "nodes": [{"count": 1, "capacity": {"cpu": "7", "memory": "16Gi", "pods": "110"}}],
        },
    )
    with running_simulator(tmp_path_factory.mktemp("sim-serving"), document) as running:
        yield running


@pytest.fixture(scope="module")
def web_deployment(sim: RunningSimulator) -> ApiServer:
    """10 replicas of 1 CPU on a 7-CPU cluster, applied with kubectl and settled."""
    api = sim.api(SMALL)
    manifest = yaml.safe_dump(deployment("web", replicas=10, cpu="1"))
    assert "created" in api.kubectl("apply", "-f", "-", stdin=manifest).stdout
    api.kubectl("wait", "deploy/web", "--for=jsonpath={.status.readyReplicas}=7", "--timeout=20s")
    return api


def test_ten_replicas_seven_fit(web_deployment: ApiServer) -> None:
    api = web_deployment
    obj = api.kubectl_json("get", "deploy", "web")
    assert obj["status"]["replicas"] == 10 and obj["status"]["readyReplicas"] == 7
    pods = api.kubectl_json("get", "pods", "-l", "app=web")["items"]
    phases = sorted(pod["status"]["phase"] for pod in pods)
    assert phases == ["Pending"] * 3 + ["Running"] * 7
    for pod in pods:
        conditions = {c["type"]: c for c in pod["status"]["conditions"]}
        if pod["status"]["phase"] == "Pending":
            assert conditions["PodScheduled"]["reason"] == "Unschedulable"
            assert "Insufficient cpu" in conditions["PodScheduled"]["message"]
        else:
            assert conditions["Ready"]["status"] == "True" and pod["spec"]["nodeName"]
    table = api.kubectl("get", "pods").stdout.splitlines()
    assert table[0].split()[:3] == ["NAME", "READY", "STATUS"]
    statuses = sorted(line.split()[2] for line in table[1:])
    assert statuses == ["Pending"] * 3 + ["Running"] * 7


async def test_metrics_api_answers(sim: RunningSimulator, web_deployment: ApiServer) -> None:
    async with client.ApiClient(sim.configuration(SMALL)) as api_client:
        custom = client.CustomObjectsApi(api_client)
        pods = await custom.list_namespaced_custom_object(
            "metrics.k8s.io", "v1beta1", "default", "pods", label_selector="app=web"
        )
        assert pods["kind"] == "PodMetricsList" and len(pods["items"]) == 7
        usage = pods["items"][0]["containers"][0]["usage"]
        assert usage["cpu"] == "500000000n", "1 CPU requested at the default load 0.5"
        one = pods["items"][0]["metadata"]["name"]
        single = await custom.get_namespaced_custom_object(
            "metrics.k8s.io", "v1beta1", "default", "pods", one
        )
        assert single["kind"] == "PodMetrics" and single["metadata"]["name"] == one
        nodes = await custom.list_cluster_custom_object("metrics.k8s.io", "v1beta1", "nodes")
        assert len(nodes["items"]) == 1 and nodes["items"][0]["usage"]["cpu"].endswith("n")
        with pytest.raises(ApiException) as missing:
            await custom.get_namespaced_custom_object(
                "metrics.k8s.io", "v1beta1", "default", "pods", "nope"
            )
        assert missing.value.status == 404
        assert json.loads(missing.value.body)["reason"] == "NotFound"


def test_kubectl_top(web_deployment: ApiServer) -> None:
    api = web_deployment
    top = api.kubectl("top", "pods", "-l", "app=web").stdout.splitlines()
    assert top[0].split()[:3] == ["NAME", "CPU(cores)", "MEMORY(bytes)"]
    assert len(top) == 8 and all(line.split()[1] == "500m" for line in top[1:])
    nodes = api.kubectl("top", "nodes").stdout.splitlines()
    assert len(nodes) == 2 and nodes[1].split()[0].startswith(SMALL)


async def test_eviction_respects_budgets(sim: RunningSimulator, web_deployment: ApiServer) -> None:
    api = web_deployment
    running = [
        pod["metadata"]["name"]
        for pod in api.kubectl_json("get", "pods", "-l", "app=web")["items"]
        if pod["status"]["phase"] == "Running"
    ]
    pdb = {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": {"name": "web"},
        "spec": {"minAvailable": 7, "selector": {"matchLabels": {"app": "web"}}},
    }
    api.kubectl("apply", "-f", "-", stdin=json.dumps(pdb))
    eviction = client.V1Eviction(metadata=client.V1ObjectMeta(name=running[0]))
    async with client.ApiClient(sim.configuration(SMALL)) as api_client:
        core = client.CoreV1Api(api_client)
        with pytest.raises(ApiException) as refused:
            await core.create_namespaced_pod_eviction(running[0], "default", eviction)
        assert refused.value.status == 429
        assert json.loads(refused.value.body)["reason"] == "TooManyRequests"
        api.kubectl("delete", "pdb", "web")
        await core.create_namespaced_pod_eviction(running[0], "default", eviction)
        with pytest.raises(ApiException) as mismatched:
            await core.create_namespaced_pod_eviction("nope", "default", eviction)
        assert mismatched.value.status == 400
        missing_body = client.V1Eviction(metadata=client.V1ObjectMeta(name="nope"))
        with pytest.raises(ApiException) as missing:
            await core.create_namespaced_pod_eviction("nope", "default", missing_body)
        assert missing.value.status == 404
    remaining = {pod["metadata"]["name"] for pod in api.kubectl_json("get", "pods")["items"]}
    assert running[0] not in remaining
