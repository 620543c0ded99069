"""Examples 03, 09 and 01 end to end: hub objects in, member objects and status out."""

import asyncio
import subprocess
from pathlib import Path

import pytest
import yaml
from propagation_world import (
    Members,
    RunningEngine,
    attach,
    bind,
    create_hub,
    eventually_async,
    hub_type,
    member_get,
)

from shared.store.objects import ObjectStore

pytestmark = pytest.mark.integration

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
KUBECTL = Path(__file__).resolve().parents[3] / ".venv" / "bin" / "kubectl"
DEPLOY_PATH = "/apis/apps/v1/namespaces/default/deployments/{}"


def example(name: str) -> list[dict]:
    return [doc for doc in yaml.safe_load_all((EXAMPLES / name).read_text()) if doc]


def of_kind(documents: list[dict], kind: str) -> list[dict]:
    return [doc for doc in documents if doc["kind"] == kind]


async def test_example_03_images_and_commands_per_cloud(
    store: ObjectStore, members: Members, engine: RunningEngine, tmp_path: Path
) -> None:
    documents = example("03-cross-cloud-overrides.yaml")
    for name in ("cluster-hangzhou", "cluster-frankfurt"):
        await attach(store, members, name)
    for policy in of_kind(documents, "OverridePolicy"):
        await create_hub(store, policy)
    template = await create_hub(store, of_kind(documents, "Deployment")[0])
    await bind(store, template, {"cluster-hangzhou": 3, "cluster-frankfurt": 3})

    expected = {
        "cluster-hangzhou": (
            "registry.cn-hangzhou.aliyuncs.com/company/global-app:1.4.2",
            ["/app/server", "--region=asia-east"],
        ),
        "cluster-frankfurt": (
            "registry.eu-central.example.com/company/global-app:1.4.2",
            ["/app/server", "--region=eu-central", "--compliance=gdpr"],
        ),
    }
    for cluster, (image, command) in expected.items():

        async def arrived(cluster: str = cluster) -> bool:
            return await member_get(members, cluster, DEPLOY_PATH.format("global-app")) is not None

        await eventually_async(arrived)
        live = await member_get(members, cluster, DEPLOY_PATH.format("global-app"))
        assert live is not None
        assert "spec" in live, live
        container = live["spec"]["template"]["spec"]["containers"][0]
        assert (container["image"], container["command"]) == (image, command)
        assert live["spec"]["replicas"] == 3

    kubeconfig = tmp_path / "frankfurt.kubeconfig"
    kubeconfig.write_text(members.kubeconfig("cluster-frankfurt"))
    result = await asyncio.to_thread(
        subprocess.run,
        [
            str(KUBECTL),
            f"--kubeconfig={kubeconfig}",
            f"--cache-dir={tmp_path / 'cache'}",
            "get",
            "deployment",
            "global-app",
            "-o",
            "jsonpath={.spec.template.spec.containers[0].image} "
            "{.spec.template.spec.containers[0].command}",
        ],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    assert result.stdout.startswith("registry.eu-central.example.com/company/global-app:1.4.2 ")
    assert "--compliance=gdpr" in result.stdout


async def test_example_09_kurator_override_gives_dr_one_replica(
    store: ObjectStore, members: Members, engine: RunningEngine
) -> None:
    documents = example("09-kurator-distribution-override.yaml")
    for name in ("cluster-prod", "cluster-dr"):
        await attach(store, members, name)
    await create_hub(store, of_kind(documents, "OverridePolicy")[0])
    template = await create_hub(store, of_kind(documents, "Deployment")[0])
    await bind(store, template, {"cluster-prod": 9, "cluster-dr": 1})

    async def replicas_are(cluster: str, count: int) -> bool:
        live = await member_get(members, cluster, DEPLOY_PATH.format("example-app"))
        return live is not None and live["spec"]["replicas"] == count

    await eventually_async(lambda: replicas_are("cluster-prod", 9))
    await eventually_async(lambda: replicas_are("cluster-dr", 1))


async def test_example_09_override_beats_the_scheduler(
    store: ObjectStore, members: Members, engine: RunningEngine
) -> None:
    """Whatever the binding gives cluster-dr, the override's `/spec/replicas: 1` wins."""
    documents = example("09-kurator-distribution-override.yaml")
    await attach(store, members, "cluster-dr")
    await create_hub(store, of_kind(documents, "OverridePolicy")[0])
    template = await create_hub(store, of_kind(documents, "Deployment")[0])
    await bind(store, template, {"cluster-dr": 5})

    async def one_replica() -> bool:
        live = await member_get(members, "cluster-dr", DEPLOY_PATH.format("example-app"))
        return live is not None and live["spec"]["replicas"] == 1

    await eventually_async(one_replica)


async def test_example_01_hub_status_sums_ready_replicas(
    store: ObjectStore, members: Members, engine: RunningEngine
) -> None:
    documents = example("01-nginx-weighted.yaml")
    for name in ("cluster-hangzhou", "cluster-shanghai"):
        await attach(store, members, name)
    template = await create_hub(store, of_kind(documents, "Deployment")[0])
    binding = await bind(store, template, {"cluster-hangzhou": 6, "cluster-shanghai": 4})
    template_type = hub_type("apps/v1", "Deployment")
    bindings = hub_type("work.karmada.io/v1alpha2", "ResourceBinding")

    async def ten_ready() -> bool:
        hub = await store.get(template_type, "default", "nginx")
        return (hub.get("status") or {}).get("readyReplicas") == 10

    await eventually_async(ten_ready, timeout=15)
    hub = await store.get(template_type, "default", "nginx")
    assert hub["status"]["replicas"] == 10
    assert hub["status"]["availableReplicas"] == 10
    written = await store.get(bindings, "default", binding["metadata"]["name"])
    items = {item["clusterName"]: item for item in written["status"]["aggregatedStatus"]}
    assert items["cluster-hangzhou"]["status"]["readyReplicas"] == 6
    assert items["cluster-shanghai"]["status"]["readyReplicas"] == 4
    assert {item["health"] for item in items.values()} == {"Healthy"}
    assert all(item["applied"] for item in items.values())
    assert "navarch.dev/override-engine" in written["metadata"]["finalizers"]
