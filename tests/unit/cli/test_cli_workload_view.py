"""`navarch get workload`: bindings and Works turned into per-cluster rows, without I/O."""

import pytest

from shared.cli.printing import fully_applied
from shared.cli.workload_view import (
    cluster_states,
    workload_name,
    workload_object,
    workload_table,
    workloads,
)

CREATED = "2026-01-01T00:00:00Z"


def binding(name: str, targets: dict[str, int], reports: dict[str, dict] | None = None) -> dict:
    return {
        "apiVersion": "work.karmada.io/v1alpha2",
        "kind": "ResourceBinding",
        "metadata": {
            "name": f"{name}-deployment",
            "namespace": "default",
            "creationTimestamp": CREATED,
        },
        "spec": {
            "resource": {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "namespace": "default",
                "name": name,
            },
            "clusters": [{"name": c, "replicas": r} for c, r in targets.items()],
        },
        "status": {
            "aggregatedStatus": [
                {"clusterName": cluster, **report} for cluster, report in (reports or {}).items()
            ]
        },
    }


def work(binding_name: str, cluster: str, *, image: str, replicas: int) -> dict:
    return {
        "metadata": {
            "name": f"{binding_name}-abc",
            "namespace": f"karmada-es-{cluster}",
            "annotations": {
                "propagation.navarch.dev/binding": f"ResourceBinding/default/{binding_name}",
                "propagation.navarch.dev/cluster": cluster,
            },
        },
        "spec": {
            "workload": {
                "manifests": [
                    {
                        "spec": {
                            "replicas": replicas,
                            "template": {"spec": {"containers": [{"image": image}]}},
                        }
                    }
                ]
            }
        },
    }


def ready(count: int, *, applied: bool = True) -> dict:
    return {"applied": applied, "status": {"readyReplicas": count, "availableReplicas": count}}


def test_each_cluster_shows_what_it_was_sent_and_what_it_reports() -> None:
    nginx = binding("nginx", {"hz": 6, "sh": 4}, {"hz": ready(6), "sh": ready(3)})
    works = {
        "hz": work("nginx-deployment", "hz", image="nginx:1.25", replicas=6),
        "sh": work("nginx-deployment", "sh", image="mirror/nginx:1.25", replicas=4),
    }
    states = cluster_states(nginx, works)
    assert [(s.cluster, s.desired, s.ready, s.available, s.image, s.applied) for s in states] == [
        ("hz", 6, 6, 6, "nginx:1.25", "True"),
        ("sh", 4, 3, 3, "mirror/nginx:1.25", "True"),
    ]


def test_before_any_work_or_report_the_binding_says_how_many() -> None:
    (state,) = cluster_states(binding("web", {"hz": 2}), {})
    assert (state.desired, state.ready, state.image, state.applied) == (2, 0, "<none>", "Unknown")


def test_an_override_changing_replicas_is_what_desired_shows() -> None:
    works = {"hz": work("web-deployment", "hz", image="web", replicas=5)}
    (state,) = cluster_states(binding("web", {"hz": 2}), works)
    assert state.desired == 5


def test_tables_per_workload_and_per_cluster() -> None:
    bindings = [
        binding("nginx", {"hz": 6, "sh": 4}, {"hz": ready(6), "sh": ready(4)}),
        binding("api", {}),
    ]
    works = [
        work("nginx-deployment", "hz", image="nginx:1.25", replicas=6),
        work("nginx-deployment", "sh", image="nginx:1.25", replicas=4),
    ]
    found = workloads(bindings, works)
    assert [w.name for w in found] == ["api", "nginx"]
    summary = workload_table(found, all_clusters=False, all_namespaces=False).splitlines()
    assert summary[0].split() == ["NAME", "KIND", "READY", "AVAILABLE", "CLUSTERS", "AGE"]
    assert summary[2].split()[:5] == ["nginx", "Deployment", "10/10", "10", "hz:6,sh:4"]
    assert summary[1].split()[:5] == ["api", "Deployment", "0/0", "0", "<none>"]
    per_cluster = workload_table(found, all_clusters=True, all_namespaces=True).splitlines()
    assert per_cluster[0].split() == [
        "NAMESPACE",
        "NAME",
        "KIND",
        "CLUSTER",
        "DESIRED",
        "READY",
        "AVAILABLE",
        "IMAGE",
        "AGE",
    ]
    assert [line.split()[3] for line in per_cluster[1:]] == ["<none>", "hz", "sh"]
    assert per_cluster[3].split()[4:8] == ["4", "4", "4", "nginx:1.25"]
    wide = workload_table(found, all_clusters=True, all_namespaces=False, wide=True)
    assert wide.splitlines()[0].split()[-3:] == ["APPLIED", "BINDING", "AGE"]


def test_by_name_and_machine_forms() -> None:
    found = workloads([binding("nginx", {"hz": 1}), binding("api", {"hz": 1})], [], name="nginx")
    assert [w.name for w in found] == ["nginx"]
    assert workload_name(found[0]) == "deployment.apps/nginx"
    document = workload_object(found[0])
    assert document["kind"] == "Workload" and document["spec"]["binding"] == "nginx-deployment"
    assert document["status"]["clusters"][0] == {
        "name": "hz",
        "desired": 1,
        "ready": 0,
        "available": 0,
        "image": "<none>",
        "applied": "Unknown",
    }


@pytest.mark.parametrize(
    ("reports", "conditions", "expected"),
    [
        ({"hz": ready(1), "sh": ready(1)}, [], "True"),
        ({"hz": ready(1), "sh": ready(0, applied=False)}, [], "False"),
        ({"hz": ready(1)}, [], "Unknown"),
        ({"hz": ready(1), "sh": ready(1)}, [{"type": "FullyApplied", "status": "False"}], "False"),
    ],
)
def test_fully_applied(reports: dict, conditions: list, expected: str) -> None:
    obj = binding("nginx", {"hz": 1, "sh": 1}, reports)
    obj["status"]["conditions"] = conditions
    assert fully_applied(obj) == expected
