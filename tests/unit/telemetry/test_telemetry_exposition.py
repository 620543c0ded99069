"""The fleet endpoint's series: kube-state-metrics / kubelet names, cluster and fleet labels,
text or OpenMetrics as the scraper asks."""

from prometheus_client.parser import text_string_to_metric_families

from services.telemetry.exposition import (
    BindingFacts,
    BindingTarget,
    ClusterFacts,
    fleet_families,
    render,
    series_count,
)
from services.telemetry.samples import ClusterSample, DeploymentSample, NodeSample, PodSample
from shared.api.meta import Taint

CLUSTERS = [
    ClusterFacts(
        name="west",
        fleet="prod",
        ready=True,
        taints=[Taint(key="dedicated", value="gpu", effect="NoSchedule")],
    ),
    ClusterFacts(name="down", ready=False),
]
SAMPLES = {
    "west": ClusterSample(
        cluster="west",
        taken_at=0.0,
        duration_s=0.02,
        nodes=[
            NodeSample(
                name="west-0",
                capacity={"cpu": 16.0, "memory": 64.0 * 2**30, "nvidia.com/gpu": 8.0},
                allocatable={"cpu": 15.5},
                ready=True,
                unschedulable=False,
                cpu_cores=1.5,
                memory_bytes=2.0**30,
                cpu_seconds=42.0,
            )
        ],
        pods=[
            PodSample(
                namespace="web", name="nginx-1", cpu_cores=0.1, memory_bytes=8.0, cpu_seconds=3.0
            )
        ],
        deployments=[
            DeploymentSample(namespace="web", name="nginx", desired=6, ready=4, available=4)
        ],
    ),
    "down": ClusterSample(cluster="down", taken_at=0.0, error="cluster is not Ready"),
}
BINDINGS = [
    BindingFacts(
        namespace="web",
        name="nginx-deployment",
        kind="Deployment",
        resource="nginx",
        targets=[BindingTarget(cluster="west", replicas=6, applied=True, healthy=True)],
    )
]


def scraped(accept: str = "") -> dict[str, list[tuple[dict[str, str], float]]]:
    body, _ = render(
        fleet_families(clusters=CLUSTERS, samples=SAMPLES, bindings=BINDINGS), accept=accept
    )
    series: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in text_string_to_metric_families(body.decode()):
        for sample in family.samples:
            series.setdefault(sample.name, []).append((sample.labels, sample.value))
    return series


def test_cluster_health_taints_and_scrape_state() -> None:
    series = scraped()
    assert sorted(series["navarch_cluster_ready"], key=str) == sorted(
        [({"cluster": "west", "fleet": "prod"}, 1.0), ({"cluster": "down", "fleet": ""}, 0.0)],
        key=str,
    )
    assert series["navarch_cluster_taint"] == [
        (
            {
                "cluster": "west",
                "fleet": "prod",
                "key": "dedicated",
                "value": "gpu",
                "effect": "NoSchedule",
            },
            1.0,
        )
    ]
    assert ({"cluster": "down", "fleet": ""}, 0.0) in series["navarch_cluster_scrape_success"]


def test_node_series_follow_kube_state_metrics_and_the_kubelet() -> None:
    series = scraped()
    node = {"cluster": "west", "fleet": "prod", "node": "west-0"}
    assert ({**node, "resource": "cpu", "unit": "core"}, 16.0) in series[
        "kube_node_status_capacity"
    ]
    assert ({**node, "resource": "nvidia_com_gpu", "unit": "integer"}, 8.0) in series[
        "kube_node_status_capacity"
    ]
    assert series["kube_node_status_allocatable"] == [
        ({**node, "resource": "cpu", "unit": "core"}, 15.5)
    ]
    assert ({**node, "condition": "Ready", "status": "true"}, 1.0) in series[
        "kube_node_status_condition"
    ]
    assert series["node_cpu_usage_seconds_total"] == [(node, 42.0)]
    assert series["node_memory_working_set_bytes"] == [(node, 2.0**30)]


def test_pod_deployment_and_binding_series() -> None:
    series = scraped()
    pod = {"cluster": "west", "fleet": "prod", "namespace": "web", "pod": "nginx-1"}
    assert series["pod_cpu_usage_seconds_total"] == [(pod, 3.0)]
    assert series["pod_memory_working_set_bytes"] == [(pod, 8.0)]
    deployment = {"cluster": "west", "fleet": "prod", "namespace": "web", "deployment": "nginx"}
    assert series["kube_deployment_spec_replicas"] == [(deployment, 6.0)]
    assert series["kube_deployment_status_replicas_ready"] == [(deployment, 4.0)]
    binding = {
        "cluster": "west",
        "fleet": "prod",
        "namespace": "web",
        "binding": "nginx-deployment",
        "kind": "Deployment",
        "resource": "nginx",
    }
    assert series["navarch_binding_cluster_replicas"] == [(binding, 6.0)]
    assert series["navarch_binding_applied"] == [(binding, 1.0)]


def test_openmetrics_when_asked() -> None:
    families = fleet_families(clusters=CLUSTERS, samples=SAMPLES, bindings=BINDINGS)
    body, content_type = render(families, accept="application/openmetrics-text; version=1.0.0")
    assert content_type.startswith("application/openmetrics-text; version=1.0.0")
    text = body.decode()
    assert text.endswith("# EOF\n")
    assert "# TYPE pod_cpu_usage_seconds counter" in text
    _, plain = render(families, accept="")
    assert plain.startswith("text/plain; version=0.0.4")


def test_series_count_counts_samples() -> None:
    families = fleet_families(clusters=CLUSTERS, samples=SAMPLES, bindings=BINDINGS)
    assert series_count(families) == sum(len(v) for v in scraped().values())


def test_openmetrics_parses_as_openmetrics() -> None:
    from prometheus_client.openmetrics.parser import (
        text_string_to_metric_families as openmetrics_families,
    )

    families = fleet_families(clusters=CLUSTERS, samples=SAMPLES, bindings=BINDINGS)
    body, _ = render(families, accept="application/openmetrics-text; version=1.0.0")
    parsed = {family.name: family for family in openmetrics_families(body.decode())}
    assert parsed["pod_cpu_usage_seconds"].type == "counter"
    assert [s.value for s in parsed["pod_cpu_usage_seconds"].samples] == [3.0]


def test_label_values_are_escaped() -> None:
    odd = ClusterFacts(
        name="west",
        fleet='say "hi"\\now',
        ready=True,
        taints=[Taint(key="k", value="a\nb", effect="NoSchedule")],
    )
    body, _ = render(fleet_families(clusters=[odd], samples={}, bindings=[]), accept="")
    (taint,) = [
        sample
        for family in text_string_to_metric_families(body.decode())
        for sample in family.samples
        if sample.name == "navarch_cluster_taint"
    ]
    assert taint.labels["fleet"] == 'say "hi"\\now'
    assert taint.labels["value"] == "a\nb"
