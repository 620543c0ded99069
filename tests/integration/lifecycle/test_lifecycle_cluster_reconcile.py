"""`kubectl apply -f examples/12-cluster-lifecycle.yaml` under `navarch up --sim`: the Cluster
is provisioned by the simulator, becomes Ready with 5 workers and joins the fleet; 5 → 2
drains one node at a time without ever breaking the PodDisruptionBudget (ready pods are
watched through the whole drain); a budget that can never be met blocks the drain with a
condition naming it and the node is kept; deleting detaches, then deprovisions."""

import asyncio
import base64
import json
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from shared.members.client import MemberClient, MemberError
from tests.integration.fleet_manager.conftest import REPO, FleetHub

pytestmark = pytest.mark.integration

EXAMPLE = REPO / "examples" / "12-cluster-lifecycle.yaml"
NAME = "production-cluster"
APP = {"app": "web"}
REPLICAS = 4
MIN_AVAILABLE = 3


def kurator_cluster(hub: FleetHub) -> dict | None:
    result = hub.navarch("get", "clusters.cluster.kurator.dev", NAME, "-n", "default", "-o", "json")
    if result.returncode != 0:
        assert "NotFound" in result.stderr or "not found" in result.stderr, result.stderr
        return None
    return json.loads(result.stdout)


def condition_of(cluster: dict | None, type_: str) -> dict:
    conditions = ((cluster or {}).get("status") or {}).get("conditions") or []
    return next((c for c in conditions if c["type"] == type_), {})


async def wait_for(check: Callable[[], object], *, timeout: float, what: str) -> object:
    deadline = time.monotonic() + timeout
    while True:
        value = await asyncio.to_thread(check)
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.2)


def apply_count(hub: FleetHub, tmp: Path, count: int) -> None:
    document = yaml.safe_load(EXAMPLE.read_text())
    document["spec"]["workerNodes"]["count"] = count
    path = tmp / f"cluster-{count}.yaml"
    path.write_text(yaml.safe_dump(document))
    result = hub.navarch("apply", "-f", str(path))
    assert result.returncode == 0, result.stderr


def member_kubeconfig(hub: FleetHub) -> str:
    secret = hub.json("get", "secrets", f"{NAME}-kubeconfig", "-n", "default")
    return base64.b64decode(secret["data"]["value"]).decode()


def worker_names(nodes: dict) -> list[str]:
    return sorted(
        n["metadata"]["name"]
        for n in nodes["items"]
        if "node-role.kubernetes.io/control-plane" not in n["metadata"]["labels"]
    )


def deployment(replicas: int, cpu: str) -> dict:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": APP},
            "template": {
                "metadata": {"labels": APP},
                "spec": {
                    "containers": [
                        {"name": "web", "image": "nginx", "resources": {"requests": {"cpu": cpu}}}
                    ]
                },
            },
        },
    }


def budget(min_available: int) -> dict:
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": {"name": "web-pdb", "namespace": "default"},
        "spec": {"minAvailable": min_available, "selector": {"matchLabels": APP}},
    }


def ready_pods(pods: dict) -> set[str]:
    ready = set()
    for pod in pods["items"]:
        conditions = (pod.get("status") or {}).get("conditions") or []
        if pod["metadata"].get("deletionTimestamp"):
            continue
        if any(c["type"] == "Ready" and c["status"] == "True" for c in conditions):
            ready.add(pod["metadata"]["name"])
    return ready


async def watch_ready(member: MemberClient, lowest: list[int], stop: asyncio.Event) -> None:
    """The fewest ready `web` pods seen, from a watch of every pod event."""
    listed = await member.request(
        "GET", "/api/v1/namespaces/default/pods", query=[("labelSelector", "app=web")]
    )
    ready = ready_pods(listed)
    lowest.append(len(ready))
    version = listed["metadata"]["resourceVersion"]
    while not stop.is_set():
        async for event in member.watch(
            "/api/v1/namespaces/default/pods",
            resource_version=version,
            timeout_seconds=5,
            query=[("labelSelector", "app=web")],
        ):
            pod = event["object"]
            if event["type"] == "BOOKMARK":
                version = pod["metadata"]["resourceVersion"]
                continue
            version = pod["metadata"]["resourceVersion"]
            name = pod["metadata"]["name"]
            if event["type"] != "DELETED" and ready_pods({"items": [pod]}):
                ready.add(name)
            else:
                ready.discard(name)
            lowest.append(len(ready))
            if stop.is_set():
                return


async def test_a_declared_cluster_is_provisioned_joined_scaled_down_safely_and_deleted(
    lifecycle_hub: FleetHub, tmp_path: Path
) -> None:
    hub = lifecycle_hub
    apply_count(hub, tmp_path, 5)
    ready = await wait_for(
        lambda: (c := kurator_cluster(hub)) and c["status"].get("phase") == "Ready" and c,
        timeout=30,
        what="the Cluster to be Ready",
    )
    assert condition_of(ready, "InfrastructureReady")["status"] == "True"
    assert ready["status"]["kubeconfigSecretRef"] == f"{NAME}-kubeconfig"
    assert ready["status"]["apiEndpoint"].endswith(f"/clusters/{NAME}")
    assert ready["status"]["serviceAccountIssuer"], "podIdentity.enabled gives an issuer"
    await wait_for(
        lambda: condition_of(hub.cluster(NAME), "Ready").get("status") == "True",
        timeout=30,
        what="the Karmada Cluster to be Ready (joined to the fleet)",
    )
    attached = hub.json("get", "attachedclusters", NAME, "-n", "default")
    assert attached["spec"]["kubeconfig"]["name"] == f"{NAME}-kubeconfig"

    kubeconfig = member_kubeconfig(hub)
    member = await MemberClient.from_kubeconfig(kubeconfig)
    stop = asyncio.Event()
    lowest: list[int] = []
    try:
        nodes = await member.request("GET", "/api/v1/nodes")
        assert len(worker_names(nodes)) == 5
        await member.request(
            "POST",
            "/apis/policy/v1/namespaces/default/poddisruptionbudgets",
            body=budget(MIN_AVAILABLE),
        )
        await member.request(
            "POST",
            "/apis/apps/v1/namespaces/default/deployments",
            body=deployment(REPLICAS, "300m"),
        )

        async def all_ready() -> bool:
            pods = await member.request(
                "GET", "/api/v1/namespaces/default/pods", query=[("labelSelector", "app=web")]
            )
            return len(ready_pods(pods)) == REPLICAS

        deadline = time.monotonic() + 20
        while not await all_ready():
            assert time.monotonic() < deadline, "the Deployment never became ready"
            await asyncio.sleep(0.2)
        watcher = asyncio.create_task(watch_ready(member, lowest, stop))
        apply_count(hub, tmp_path, 2)

        async def two_workers() -> bool:
            listed = await member.request("GET", "/api/v1/nodes")
            return len(worker_names(listed)) == 2

        deadline = time.monotonic() + 60
        while not await two_workers():
            assert time.monotonic() < deadline, f"still not 2 workers: {kurator_cluster(hub)}"
            await asyncio.sleep(0.3)
        while not await all_ready():
            assert time.monotonic() < deadline, "the Deployment did not recover"
            await asyncio.sleep(0.2)
        stop.set()
        await asyncio.wait_for(watcher, 10)
        assert lowest and min(lowest) >= MIN_AVAILABLE, f"the PDB was violated: {lowest}"
        left = await member.request("GET", "/api/v1/nodes")
        assert not any(n["spec"].get("unschedulable") for n in left["items"]), "none left cordoned"
        done = await wait_for(
            lambda: (
                condition_of(kurator_cluster(hub), "ScaledDown").get("status") == "True"
                and kurator_cluster(hub)
            ),
            timeout=10,
            what="ScaledDown True",
        )
        assert done["status"]["phase"] == "Ready"

        await member.request(
            "PATCH",
            "/apis/policy/v1/namespaces/default/poddisruptionbudgets/web-pdb",
            body={"spec": {"minAvailable": REPLICAS}},
            content_type="application/merge-patch+json",
        )
        apply_count(hub, tmp_path, 1)
        blocked = await wait_for(
            lambda: (
                (found := condition_of(kurator_cluster(hub), "ScaledDown"))
                and "web-pdb" in found.get("message", "")
                and found
            ),
            timeout=20,
            what="a condition naming the blocking PDB",
        )
        assert blocked["status"] == "False"
        failed = await wait_for(
            lambda: (
                (found := condition_of(kurator_cluster(hub), "ScaledDown"))
                and found.get("reason") == "DrainFailed"
                and found
            ),
            timeout=20,
            what="the drain to give up after its timeout",
        )
        assert (
            'global timeout reached: 4s (blocked by PodDisruptionBudget "web-pdb"'
            in failed["message"]
        )
        kept = await member.request("GET", "/api/v1/nodes")
        assert len(worker_names(kept)) == 2, "the blocked node is kept"
        assert condition_of(hub.cluster(NAME), "Ready").get("status") == "True", "still healthy"
    finally:
        stop.set()
        await member.close()

    result = hub.navarch("delete", "clusters.cluster.kurator.dev", NAME, "-n", "default")
    assert result.returncode == 0, result.stderr
    await wait_for(lambda: kurator_cluster(hub) is None, timeout=30, what="the Cluster to go")
    gone = hub.navarch("get", "attachedclusters", NAME, "-n", "default")
    assert gone.returncode != 0, "the AttachedCluster was removed"
    clusters = hub.json("get", "clusters")
    assert NAME not in [c["metadata"]["name"] for c in clusters["items"]]
    probe = await MemberClient.from_kubeconfig(kubeconfig)
    try:
        with pytest.raises(MemberError):
            await probe.request("GET", "/api/v1/nodes")
    finally:
        await probe.close()
