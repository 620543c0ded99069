"""The `navarch` CLI's read commands as users time them, against a hub holding a big fleet.

Starts its own hub (`navarch up --detach`, gateway only) and writes what the read commands
read, as the services would have: 100 Karmada Clusters with status, 1,000 ResourceBindings
placing a Deployment on 2 clusters each (with aggregated status) and their 2,000 Works.
Then times whole `navarch` processes (start to exit, the median of several runs):
`get clusters` and `get workload --all-clusters -A`, and the import of what `navarch get`
loads (`python -X importtime`). Targets: < 300 ms each.
"""

import asyncio
import json
import os
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
import yaml
from common import REPO, navarch, report

from shared.natsserver import free_port

CLUSTERS = 100
WORKLOADS = 1_000
PER_WORKLOAD = 2
WRITERS = 8
RUNS = 7


def cluster(index: int) -> tuple[dict, dict]:
    name = f"member-{index}"
    body = {
        "apiVersion": "cluster.karmada.io/v1alpha1",
        "kind": "Cluster",
        "metadata": {"name": name},
        "spec": {"syncMode": "Push", "apiEndpoint": f"https://127.0.0.1:1/clusters/{name}"},
    }
    status = {
        "status": {
            "kubernetesVersion": "v1.30.2",
            "conditions": [
                {
                    "type": "Ready",
                    "status": "True",
                    "reason": "ClusterReady",
                    "message": "cluster is healthy and ready to accept workloads",
                    "lastTransitionTime": "2026-01-01T00:00:00Z",
                }
            ],
            "nodeSummary": {"totalNum": 3, "readyNum": 3},
            "resourceSummary": {
                "allocatable": {"cpu": "24", "memory": "96Gi", "pods": "330"},
                "allocated": {"cpu": "4", "memory": "8Gi", "pods": "20"},
            },
        }
    }
    return body, status


def targets(index: int) -> list[str]:
    return [f"member-{(index + offset) % CLUSTERS + 1}" for offset in range(PER_WORKLOAD)]


def binding(index: int) -> tuple[dict, dict]:
    name = f"web-{index:04d}"
    body = {
        "apiVersion": "work.karmada.io/v1alpha2",
        "kind": "ResourceBinding",
        "metadata": {"name": f"{name}-deployment", "namespace": "default"},
        "spec": {
            "resource": {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "namespace": "default",
                "name": name,
            },
            "replicas": 4,
            "clusters": [{"name": c, "replicas": 2} for c in targets(index)],
        },
    }
    ready = {"replicas": 2, "readyReplicas": 2, "availableReplicas": 2}
    status = {
        "status": {
            "aggregatedStatus": [
                {"clusterName": c, "status": ready, "applied": True, "health": "Healthy"}
                for c in targets(index)
            ]
        }
    }
    return body, status


def work(index: int, cluster_name: str) -> dict:
    name = f"web-{index:04d}"
    return {
        "apiVersion": "work.karmada.io/v1alpha1",
        "kind": "Work",
        "metadata": {
            "name": f"{name}-deployment",
            "namespace": f"karmada-es-{cluster_name}",
            "annotations": {
                "propagation.navarch.dev/binding": f"ResourceBinding/default/{name}-deployment",
                "propagation.navarch.dev/cluster": cluster_name,
            },
        },
        "spec": {
            "workload": {
                "manifests": [
                    {
                        "apiVersion": "apps/v1",
                        "kind": "Deployment",
                        "metadata": {"name": name, "namespace": "default"},
                        "spec": {
                            "replicas": 2,
                            "selector": {"matchLabels": {"app": name}},
                            "template": {
                                "metadata": {"labels": {"app": name}},
                                "spec": {"containers": [{"name": "web", "image": "nginx:1.25"}]},
                            },
                        },
                    }
                ]
            }
        },
    }


async def populate(home: Path) -> None:
    config = yaml.safe_load((home / "hub.kubeconfig").read_text())
    server = config["clusters"][0]["cluster"]["server"]
    tls = ssl.create_default_context(cafile=str(home / "pki" / "ca.crt"))
    headers = {"Authorization": f"Bearer {config['users'][0]['user']['token']}"}
    connector = aiohttp.TCPConnector(ssl=tls, limit=WRITERS * 2)
    async with aiohttp.ClientSession(headers=headers, connector=connector) as session:

        async def send(method: str, path: str, body: dict, content_type: str) -> None:
            async with session.request(
                method,
                f"{server}{path}",
                params={"fieldManager": "bench"} if method == "PATCH" else None,
                data=json.dumps(body),
                headers={"Content-Type": content_type},
            ) as response:
                assert response.status in (200, 201), await response.text()
                await response.read()

        async def in_parallel(requests: list[tuple[str, str, dict, str]]) -> None:
            queue = list(reversed(requests))

            async def writer() -> None:
                while queue:
                    await send(*queue.pop())

            await asyncio.gather(*(writer() for _ in range(WRITERS)))

        apply = "application/apply-patch+yaml"
        merge = "application/merge-patch+json"
        clusters = "/apis/cluster.karmada.io/v1alpha1/clusters"
        bindings = "/apis/work.karmada.io/v1alpha2/namespaces/default/resourcebindings"
        steps: list[tuple[str, str, dict, str]] = []
        for index in range(1, CLUSTERS + 1):
            body, _ = cluster(index)
            steps.append(("PATCH", f"{clusters}/member-{index}", body, apply))
            namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {}}
            namespace["metadata"]["name"] = f"karmada-es-member-{index}"
            steps.append(
                ("PATCH", f"/api/v1/namespaces/karmada-es-member-{index}", namespace, apply)
            )
        await in_parallel(steps)
        statuses = [
            ("PATCH", f"{clusters}/member-{i}/status", cluster(i)[1], merge)
            for i in range(1, CLUSTERS + 1)
        ]
        await in_parallel(statuses)
        await in_parallel(
            [
                ("PATCH", f"{bindings}/web-{i:04d}-deployment", binding(i)[0], apply)
                for i in range(WORKLOADS)
            ]
        )
        await in_parallel(
            [
                ("PATCH", f"{bindings}/web-{i:04d}-deployment/status", binding(i)[1], merge)
                for i in range(WORKLOADS)
            ]
        )
        works = (
            "/apis/work.karmada.io/v1alpha1/namespaces/karmada-es-{}/works/web-{:04d}-deployment"
        )
        await in_parallel(
            [
                ("PATCH", works.format(c, i), work(i, c), apply)
                for i in range(WORKLOADS)
                for c in targets(i)
            ]
        )


def timed_command(home: Path, *args: str, expect_lines: int) -> float:
    """Median wall time of whole `navarch` processes, after one warm-up run."""
    env = {**os.environ, "NAVARCH_HOME": str(home)}
    samples = []
    for run in range(RUNS + 1):
        started = time.perf_counter()
        result = subprocess.run(
            [sys.executable, "-m", "shared.cli.main", *args],
            capture_output=True,
            text=True,
            cwd=REPO,
            env=env,
            check=True,
        )
        elapsed = (time.perf_counter() - started) * 1000
        lines = len(result.stdout.splitlines())
        assert lines == expect_lines, f"{args}: {lines} lines, expected {expect_lines}"
        if run:
            samples.append(elapsed)
    return statistics.median(samples)


def import_ms() -> float:
    """What `navarch get` imports, as `python -X importtime` counts it (cumulative)."""
    samples = []
    for _ in range(RUNS):
        result = subprocess.run(
            [
                sys.executable,
                "-X",
                "importtime",
                "-c",
                "import shared.cli.main as m; m.build_parser('get')",
            ],
            capture_output=True,
            text=True,
            cwd=REPO,
            check=True,
        )
        top_level = [
            int(line.split("|")[1])
            for line in result.stderr.splitlines()
            if line.startswith("import time:")
            and "|" in line
            and not line.split("|")[2].startswith("  ")
            and line.split("|")[1].strip().isdigit()
        ]
        samples.append(sum(top_level) / 1000)
    return statistics.median(samples)


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="navarch-bench-cli-") as directory:
        home = Path(directory)
        navarch(
            "up", "--detach", "--services", "gateway", "--gateway-port", str(free_port()), home=home
        )
        try:
            started = time.perf_counter()
            asyncio.run(populate(home))
            populate_s = time.perf_counter() - started
            clusters_ms = timed_command(home, "get", "clusters", expect_lines=CLUSTERS + 1)
            workloads_ms = timed_command(
                home,
                "get",
                "workload",
                "--all-clusters",
                "-A",
                expect_lines=WORKLOADS * PER_WORKLOAD + 1,
            )
        finally:
            navarch("down", home=home)
    report(
        "cli",
        {
            "clusters": CLUSTERS,
            "workloads": WORKLOADS,
            "populate_s": populate_s,
            "get_clusters_ms": clusters_ms,
            "get_workload_all_clusters_ms": workloads_ms,
            "import_ms": import_ms(),
        },
    )


if __name__ == "__main__":
    main()
