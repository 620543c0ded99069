"""The fleet-manager against simulated members: inventory, health, taints, capacity, restarts."""

import asyncio
import base64
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable

import pytest
import yaml

from shared.bus import Bus
from shared.cli.supervising import read_state
from tests.integration.fleet_manager.conftest import SEED_FLEET, FleetHub

pytestmark = pytest.mark.integration
KUBECTL = __import__("pathlib").Path(sys.executable).parent / "kubectl"


def wait_until(condition: Callable[[], bool], *, timeout: float, interval: float = 0.2) -> float:
    """Seconds it took; fails the test when the condition never holds."""
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > timeout:
            raise AssertionError(f"not true within {timeout}s")
        time.sleep(interval)
    return time.monotonic() - started


def ready(cluster: dict) -> str:
    return next(
        (c["status"] for c in cluster["status"].get("conditions", []) if c["type"] == "Ready"),
        "Unknown",
    )


def test_every_seed_cluster_is_ready_with_its_capacity(fleet_hub: FleetHub) -> None:
    config = yaml.safe_load(SEED_FLEET.read_text())

    def all_ready() -> bool:
        items = fleet_hub.json("get", "clusters")["items"]
        return len(items) == len(config["clusters"]) and all(ready(c) == "True" for c in items)

    wait_until(all_ready, timeout=5)
    table = fleet_hub.navarch("get", "clusters").stdout
    assert table.splitlines()[0].split() == [
        "NAME",
        "READY",
        "MODE",
        "VERSION",
        "PROVIDER",
        "REGION",
        "NODES",
        "CPU",
        "MEMORY",
        "GPUS",
        "AGE",
    ]
    for spec in config["clusters"]:
        cluster = fleet_hub.cluster(spec["name"])
        nodes = sum(group["count"] for group in spec["nodes"])
        assert cluster["status"]["nodeSummary"] == {"totalNum": nodes, "readyNum": nodes}
        cpu = sum(group["count"] * int(group["capacity"]["cpu"]) for group in spec["nodes"])
        assert cluster["status"]["resourceSummary"]["allocatable"]["cpu"] == str(cpu)
        assert cluster["spec"]["region"] == spec["region"]
        assert cluster["spec"]["provider"] == spec["provider"]
        gpus = sum(g["count"] * int(g["capacity"].get("nvidia.com/gpu", 0)) for g in spec["nodes"])
        if gpus:
            allocatable = cluster["status"]["resourceSummary"]["allocatable"]
            assert allocatable["nvidia.com/gpu"] == str(gpus)
    zone_a = fleet_hub.cluster("cluster-zone-a")
    assert {"key": "dedicated", "value": "special", "effect": "NoSchedule"}.items() <= (
        zone_a["spec"]["taints"][0].items()
    )
    fleet = fleet_hub.json("get", "fleets", "simulated", "-n", "kurator-system")
    assert fleet["status"]["phase"] == "Ready"


def test_down_cluster_is_tainted_and_recovers(fleet_hub: FleetHub) -> None:
    assert fleet_hub.navarch("sim", "fault", "cluster-shanghai", "down").returncode == 0
    took = wait_until(lambda: ready(fleet_hub.cluster("cluster-shanghai")) == "False", timeout=7)
    cluster = fleet_hub.cluster("cluster-shanghai")
    keys = {(t["key"], t["effect"]) for t in cluster["spec"].get("taints", [])}
    assert ("cluster.karmada.io/unreachable", "NoExecute") in keys
    assert took <= 3 * 2 + 1
    assert (
        fleet_hub.json("get", "fleets", "simulated", "-n", "kurator-system")["status"]["phase"]
        == "NotReady"
    )
    assert fleet_hub.navarch("sim", "fault", "cluster-shanghai", "up").returncode == 0
    wait_until(lambda: ready(fleet_hub.cluster("cluster-shanghai")) == "True", timeout=5)
    assert not fleet_hub.cluster("cluster-shanghai")["spec"].get("taints")


def test_scaling_a_member_workload_moves_allocated_within_a_second(fleet_hub: FleetHub) -> None:
    kubeconfig = fleet_hub.member_kubeconfig("cluster-dr")
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "load", "namespace": "default"},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": "load"}},
            "template": {
                "metadata": {"labels": {"app": "load"}},
                "spec": {
                    "containers": [
                        {"name": "c", "image": "busybox", "resources": {"requests": {"cpu": "1"}}}
                    ]
                },
            },
        },
    }
    subprocess.run(
        [str(KUBECTL), f"--kubeconfig={kubeconfig}", "apply", "-f", "-"],
        input=json.dumps(deployment),
        text=True,
        check=True,
        capture_output=True,
    )

    def allocated_cpu() -> str:
        summary = fleet_hub.cluster("cluster-dr")["status"]["resourceSummary"]
        return summary.get("allocated", {}).get("cpu", "0")

    wait_until(lambda: allocated_cpu() == "2", timeout=5)
    subprocess.run(
        [str(KUBECTL), f"--kubeconfig={kubeconfig}", "scale", "deployment", "load", "--replicas=5"],
        check=True,
        capture_output=True,
    )
    took = wait_until(lambda: allocated_cpu() == "5", timeout=5, interval=0.05)
    assert took < 1.5


def test_bad_credentials_get_clear_conditions_and_harm_no_one(fleet_hub: FleetHub) -> None:
    good = yaml.safe_load(fleet_hub.member_kubeconfig("cluster-dr").read_text())
    good["users"][0]["user"]["token"] = "wrong-token"
    cases = {
        "garbage": base64.b64encode(b"\x00not a kubeconfig: [").decode(),
        "wrong-token": base64.b64encode(yaml.safe_dump(good).encode()).decode(),
    }
    for name, value in cases.items():
        manifest = [
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {"name": f"{name}-kubeconfig", "namespace": "kurator-system"},
                "data": {"value": value},
            },
            {
                "apiVersion": "cluster.kurator.dev/v1alpha1",
                "kind": "AttachedCluster",
                "metadata": {"name": name, "namespace": "kurator-system"},
                "spec": {"kubeconfig": {"name": f"{name}-kubeconfig"}},
            },
        ]
        applied = fleet_hub.navarch("apply", "-f", "-", stdin=yaml.safe_dump_all(manifest))
        assert applied.returncode == 0, applied.stderr

    def reason(name: str) -> str:
        attached = fleet_hub.json("get", "attachedclusters", name, "-n", "kurator-system")
        conditions = attached.get("status", {}).get("conditions", [])
        return conditions[0]["reason"] if conditions else ""

    wait_until(lambda: reason("garbage") == "InvalidKubeconfig", timeout=10)
    wait_until(lambda: reason("wrong-token") == "Unauthorized", timeout=15)
    items = fleet_hub.json("get", "clusters")["items"]
    seeded = [c for c in items if c["metadata"]["name"] not in cases]
    assert all(ready(c) == "True" for c in seeded)
    for name in cases:
        fleet_hub.navarch("delete", "attachedcluster", name, "-n", "kurator-system")
    wait_until(
        lambda: all(fleet_hub.navarch("get", "clusters", name).returncode == 1 for name in cases),
        timeout=10,
    )


def test_fleet_manager_restart_neither_flaps_nor_repeats_events(fleet_hub: FleetHub) -> None:
    before = {c["metadata"]["name"]: c for c in fleet_hub.json("get", "clusters")["items"]}
    url = json.loads((fleet_hub.home / "nats.json").read_text())["url"]
    events: list[bytes] = []

    async def restart_and_listen() -> None:
        bus = await Bus.connect(url, name="restart-watch")

        async def record(msg) -> None:
            events.append(msg.data)

        await bus.subscribe("navarch.cluster.health.>", record)
        state = read_state(fleet_hub.home)
        assert state is not None
        pid = next(p["pid"] for p in state["processes"] if p["name"] == "fleet_manager")
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            current = read_state(fleet_hub.home)
            now = next(p["pid"] for p in current["processes"] if p["name"] == "fleet_manager")
            if now != pid and fleet_hub.navarch("status").returncode == 0:
                break
            await asyncio.sleep(0.2)
        await asyncio.sleep(5)
        await bus.close()

    asyncio.run(restart_and_listen())
    assert events == [], events
    after = {c["metadata"]["name"]: c for c in fleet_hub.json("get", "clusters")["items"]}
    for name, cluster in before.items():
        was = next(c for c in cluster["status"]["conditions"] if c["type"] == "Ready")
        now = next(c for c in after[name]["status"]["conditions"] if c["type"] == "Ready")
        assert now["lastTransitionTime"] == was["lastTransitionTime"], name
