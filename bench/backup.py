"""Backup: a 10-cluster fleet backed up, then restored into the emptied clusters.

1. A hub (`navarch up --detach` with gateway and backup) and 10 simulated clusters, each
   holding 2,000 ConfigMaps (1 KiB of data each) in one namespace: 20,000 objects. The
   Fleet, its AttachedClusters and their kubeconfig Secrets are applied to the hub as
   Kurator's examples write them.
2. `backup_10_clusters_s`: an on-demand Kurator Backup of the whole fleet, from create to
   `Completed` as the hub reports it (every cluster listed, archived, stored in JetStream).
3. `restore_objects_per_s`: the namespace deleted on every member, then a Restore of the
   backup; restored objects (Velero's `itemsRestored`, summed) over the time from create
   to `Completed`.
4. `backup_rss_mb`: the backup process's peak RSS, sampled every 100 ms across both runs.

Anchors: the article's 10-cluster backup in 5 min and RTO 15 min; Velero restores ~10
objects/s (velero#6845) and OOMs at 512 MiB on 10,000 Secrets (velero#3851). Targets:
backup_10_clusters_s < 30, restore_objects_per_s >= 500, backup_rss_mb < 300.
"""

import asyncio
import base64
import json
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import psutil
import yaml
from common import navarch, report

from shared.members.client import MemberClient, MemberError, resource_path
from shared.natsserver import free_port

CLUSTERS = 10
OBJECTS_PER_CLUSTER = 2_000
NAMESPACE = "bench-app"
HUB_NAMESPACE = "default"
FLEET = "bench"
CREATES_AT_ONCE = 8
PAYLOAD = "x" * 1024
TIMEOUT_S = 120.0
FINISHED = ("Completed", "PartiallyFailed", "Failed", "FailedValidation")


def fleet_document() -> dict:
    node = {"count": 1, "capacity": {"cpu": "8", "memory": "32Gi", "pods": "110"}}
    clusters = [{"name": f"bench-{index:02d}", "nodes": [node]} for index in range(CLUSTERS)]
    return {"apiVersion": "navarch.dev/v1alpha1", "kind": "SimulatedFleet", "clusters": clusters}


class PeakRss:
    """The peak RSS of one process, sampled on a thread so the event loop's load is not."""

    def __init__(self, pid: int) -> None:
        self._process = psutil.Process(pid)
        self._stop = threading.Event()
        self.peak = 0
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._process.memory_info().rss)
            self._stop.wait(0.1)

    def __enter__(self) -> "PeakRss":
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


async def fill(member: MemberClient) -> None:
    await member.request(
        "POST",
        "/api/v1/namespaces",
        body={"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}},
    )
    path = resource_path(group="", version="v1", plural="configmaps", namespace=NAMESPACE)
    limit = asyncio.Semaphore(CREATES_AT_ONCE)

    async def one(index: int) -> None:
        body = {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": f"settings-{index:05d}", "labels": {"app": "bench"}},
            "data": {"payload": PAYLOAD},
        }
        async with limit:
            await member.request("POST", path, body=body)

    await asyncio.gather(*(one(index) for index in range(OBJECTS_PER_CLUSTER)))


async def empty(member: MemberClient) -> None:
    await member.request("DELETE", f"/api/v1/namespaces/{NAMESPACE}")
    async with asyncio.timeout(TIMEOUT_S):
        while True:
            try:
                await member.request("GET", f"/api/v1/namespaces/{NAMESPACE}")
            except MemberError as error:
                if error.status == 404:
                    return
                raise
            await asyncio.sleep(0.1)


def hub_objects(kubeconfigs: dict[str, str]) -> list[tuple[str, dict[str, Any]]]:
    """(collection path, object): Kurator's quickstart shape for this fleet."""
    objects: list[tuple[str, dict[str, Any]]] = []
    for name, kubeconfig in kubeconfigs.items():
        objects.append(
            (
                f"/api/v1/namespaces/{HUB_NAMESPACE}/secrets",
                {
                    "apiVersion": "v1",
                    "kind": "Secret",
                    "metadata": {"name": name},
                    "data": {"kubeconfig": base64.b64encode(kubeconfig.encode()).decode()},
                },
            )
        )
        objects.append(
            (
                f"/apis/cluster.kurator.dev/v1alpha1/namespaces/{HUB_NAMESPACE}/attachedclusters",
                {
                    "apiVersion": "cluster.kurator.dev/v1alpha1",
                    "kind": "AttachedCluster",
                    "metadata": {"name": name},
                    "spec": {"kubeconfig": {"name": name, "key": "kubeconfig"}},
                },
            )
        )
    objects.append(
        (
            f"/apis/fleet.kurator.dev/v1alpha1/namespaces/{HUB_NAMESPACE}/fleets",
            {
                "apiVersion": "fleet.kurator.dev/v1alpha1",
                "kind": "Fleet",
                "metadata": {"name": FLEET},
                "spec": {
                    "clusters": [{"name": name, "kind": "AttachedCluster"} for name in kubeconfigs]
                },
            },
        )
    )
    return objects


async def run_to_completion(
    hub: MemberClient, plural: str, body: dict[str, Any]
) -> tuple[float, dict[str, Any]]:
    """Create a Kurator Backup or Restore; seconds until it ended, and its final status."""
    collection = f"/apis/backup.kurator.dev/v1alpha1/namespaces/{HUB_NAMESPACE}/{plural}"
    started = time.perf_counter()
    await hub.request("POST", collection, body=body)
    async with asyncio.timeout(TIMEOUT_S):
        while True:
            obj = await hub.request("GET", f"{collection}/{body['metadata']['name']}")
            status = obj.get("status") or {}
            if status.get("phase") in FINISHED:
                return time.perf_counter() - started, status
            await asyncio.sleep(0.05)


async def measure(home: Path, rss: PeakRss) -> dict[str, float | int | str]:
    paths = sorted((home / "members").glob("bench-*.kubeconfig"))
    kubeconfigs = {path.stem: path.read_text() for path in paths}
    members = [
        await MemberClient.from_kubeconfig(text, timeout=60) for text in kubeconfigs.values()
    ]
    hub = await MemberClient.from_kubeconfig((home / "hub.kubeconfig").read_text(), timeout=30)
    try:
        started = time.perf_counter()
        await asyncio.gather(*(fill(member) for member in members))
        fill_s = time.perf_counter() - started
        for path, body in hub_objects(kubeconfigs):
            await hub.request("POST", path, body=body)
        with rss:
            backup_s, backup = await run_to_completion(
                hub,
                "backups",
                {
                    "apiVersion": "backup.kurator.dev/v1alpha1",
                    "kind": "Backup",
                    "metadata": {"name": "fleet"},
                    "spec": {"destination": {"fleet": FLEET}},
                },
            )
            backed_up = sum(
                (detail["backupStatusInCluster"].get("progress") or {}).get("itemsBackedUp", 0)
                for detail in backup["backupDetails"]
            )
            await asyncio.gather(*(empty(member) for member in members))
            restore_s, restore = await run_to_completion(
                hub,
                "restores",
                {
                    "apiVersion": "backup.kurator.dev/v1alpha1",
                    "kind": "Restore",
                    "metadata": {"name": "fleet"},
                    "spec": {"backupName": "fleet"},
                },
            )
        restored = sum(
            (detail["restoreStatusInCluster"].get("progress") or {}).get("itemsRestored", 0)
            for detail in restore["restoreDetails"]
        )
    finally:
        for member in members:
            await member.close()
        await hub.close()
    return {
        "backup_10_clusters_s": backup_s,
        "backup_phase": backup["phase"],
        "items_backed_up": backed_up,
        "restore_objects_per_s": restored / restore_s,
        "restore_s": restore_s,
        "restore_phase": restore["phase"],
        "items_restored": restored,
        "fill_objects_per_s": CLUSTERS * OBJECTS_PER_CLUSTER / fill_s,
    }


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="navarch-bench-backup-") as directory:
        home = Path(directory)
        (home / "fleet.yaml").write_text(yaml.safe_dump(fleet_document()))
        navarch(
            "up",
            "--detach",
            "--services",
            "gateway,backup",
            "--gateway-port",
            str(free_port()),
            "--sim",
            str(home / "fleet.yaml"),
            home=home,
        )
        try:
            state = json.loads((home / "up.json").read_text())
            pid = next(p["pid"] for p in state["processes"] if p["name"] == "backup")
            rss = PeakRss(pid)
            figures = asyncio.run(measure(home, rss))
            figures["backup_rss_mb"] = rss.peak / 2**20
        finally:
            navarch("down", home=home)
    figures["clusters"] = CLUSTERS
    figures["objects_per_cluster"] = OBJECTS_PER_CLUSTER
    figures["note"] = (
        "10 simulated clusters x 2,000 ConfigMaps of 1 KiB; on-demand fleet Backup then a "
        "Restore into the emptied clusters, both through the hub; RSS of the backup process"
    )
    report("backup", figures)


if __name__ == "__main__":
    main()
