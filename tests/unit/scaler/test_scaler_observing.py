"""The fleet's pods and PodMetrics in the cores' terms, the kept history, the scale target."""

import pytest

from services.scaler.autoscaling import ScaleObservation, ScalingHistory, evaluate
from services.scaler.behaviors import Recommendation, ScaleEvent
from services.scaler.defaulting import default_spec
from services.scaler.history_keeping import history_text, parse_history
from services.scaler.models import (
    CrossVersionObjectReference,
    FederatedHPASpec,
    HorizontalPodAutoscalerStatus,
)
from services.scaler.observing import (
    UNSUPPORTED_SOURCE,
    duration_seconds,
    observations,
    pod_sample,
    resource_usage,
)
from services.scaler.replica_calculating import GO_ZERO_TIME, CalculatorSettings
from services.scaler.targets import (
    ScaleTargetError,
    calibration,
    observe_scale,
    resolve_target,
    scaled,
    target_selector,
)
from shared.api.aggregated import CLUSTER_LABEL

NOW = 1_700_000_000.0
STARTED = "2023-11-14T22:00:00Z"


def member_pod(name: str, *, ready: str = "True", cpu: str = "200m") -> dict:
    return {
        "metadata": {"name": name, "namespace": "shop"},
        "spec": {
            "containers": [{"name": "app", "resources": {"requests": {"cpu": cpu}}}],
            "initContainers": [
                {"name": "proxy", "restartPolicy": "Always", "resources": {"requests": {}}},
                {"name": "setup", "resources": {"requests": {"cpu": "1"}}},
            ],
        },
        "status": {
            "phase": "Running",
            "startTime": STARTED,
            "conditions": [
                {"type": "Ready", "status": ready, "lastTransitionTime": STARTED},
            ],
        },
    }


def pod_metrics(cluster: str, name: str, cpu: str) -> dict:
    return {
        "metadata": {"name": name, "labels": {CLUSTER_LABEL: cluster}},
        "timestamp": STARTED,
        "window": "15s",
        "containers": [{"name": "app", "usage": {"cpu": cpu, "memory": "10Mi"}}],
    }


def test_a_member_pod_is_keyed_by_cluster_and_counts_sidecars_only() -> None:
    sample = pod_sample("spot", member_pod("web-1", ready="False"))
    assert sample.name == "spot/web-1"
    assert [c.name for c in sample.containers] == ["app", "proxy"]
    assert sample.containers[0].requests == {"cpu": 200}
    assert sample.ready == "False"
    assert sample.start_time == sample.ready_transition_time == NOW - 800
    assert not sample.deleting


def test_a_pod_without_status_is_pending_and_never_ready() -> None:
    sample = pod_sample("spot", {"metadata": {"name": "p"}, "spec": {"containers": []}})
    assert (sample.phase, sample.ready, sample.start_time) == ("Pending", None, None)
    assert sample.ready_transition_time == GO_ZERO_TIME


def test_usage_of_same_named_pods_in_two_clusters_stays_apart() -> None:
    usage = resource_usage(
        [pod_metrics("spot", "web-1", "100m"), pod_metrics("ondemand", "web-1", "150m")],
        resource="cpu",
    )
    assert {key: item.containers for key, item in usage.items()} == {
        "spot/web-1": {"app": 100},
        "ondemand/web-1": {"app": 150},
    }
    assert usage["spot/web-1"].window == 15.0


@pytest.mark.parametrize(
    ("text", "seconds"), [("15s", 15.0), ("1m0s", 60.0), ("1h2m3.5s", 3723.5), ("x", 60.0)]
)
def test_go_durations(text: str, seconds: float) -> None:
    assert duration_seconds(text) == seconds


def fhpa_spec(min_replicas: int = 1) -> FederatedHPASpec:
    return default_spec(
        FederatedHPASpec(
            scale_target_ref=CrossVersionObjectReference(
                api_version="apps/v1", kind="Deployment", name="web"
            ),
            min_replicas=min_replicas,
            max_replicas=10,
        )
    )


def test_a_metrics_outage_never_scales_down() -> None:
    """Kubernetes' rule: no metrics, no decision; the replica count stays."""
    spec = fhpa_spec()
    decision = evaluate(
        spec=spec,
        status=HorizontalPodAutoscalerStatus(),
        namespace="shop",
        scale=ScaleObservation(spec_replicas=6, status_replicas=6),
        pods=[pod_sample("spot", member_pod(f"web-{i}")) for i in range(6)],
        observations=observations(
            spec.metrics, pod_metrics=None, error="the server is currently unable"
        ),
        history=ScalingHistory(),
        now=NOW,
        settings=CalculatorSettings(),
    )
    assert not decision.rescale
    active = next(c for c in decision.status.conditions if c.type == "ScalingActive")
    assert (active.status, active.reason) == ("False", "FailedGetResourceMetric")
    assert "the server is currently unable" in active.message


def test_metric_types_telemetry_does_not_serve_report_an_error() -> None:
    spec = FederatedHPASpec.model_validate(
        {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
            "maxReplicas": 3,
            "metrics": [
                {
                    "type": "External",
                    "external": {
                        "metric": {"name": "queue"},
                        "target": {"type": "Value", "value": "1"},
                    },
                }
            ],
        }
    )
    [observed] = observations(spec.metrics, pod_metrics=[], error=None)
    assert observed.error == UNSUPPORTED_SOURCE


def test_history_round_trips_through_the_annotation() -> None:
    history = ScalingHistory(
        recommendations=[Recommendation(5, NOW)],
        scale_up_events=[ScaleEvent(2, NOW - 30, True)],
        scale_down_events=[ScaleEvent(5, NOW - 10)],
    )
    assert parse_history(history_text(history)) == history
    assert parse_history(history_text(ScalingHistory())) == ScalingHistory()


@pytest.mark.parametrize("text", [None, "", "not json", '{"recommendations": 3}'])
def test_a_missing_or_unreadable_history_starts_afresh(text: str | None) -> None:
    assert parse_history(text) == ScalingHistory()


def test_targets_resolve_through_the_kind_table_with_kubernetes_wording() -> None:
    target = resolve_target(
        CrossVersionObjectReference(api_version="apps/v1", kind="Deployment", name="web")
    )
    assert target.resource.group_resource == "deployments.apps"
    with pytest.raises(ScaleTargetError, match='no matches for kind "Rollout" in group "argo"'):
        resolve_target(CrossVersionObjectReference(api_version="argo/v1", kind="Rollout", name="r"))
    with pytest.raises(ScaleTargetError, match="does not have a scale subresource"):
        resolve_target(CrossVersionObjectReference(api_version="v1", kind="ConfigMap", name="c"))


def test_scale_view_and_write_of_a_deployment() -> None:
    target = resolve_target(
        CrossVersionObjectReference(api_version="apps/v1", kind="Deployment", name="web")
    )
    template = {
        "metadata": {"name": "web"},
        "spec": {"replicas": 4, "selector": {"matchLabels": {"app": "web"}}},
        "status": {"replicas": 3},
    }
    observed = observe_scale(template, target, member_replicas=[4, 4])
    assert (observed.spec_replicas, observed.status_replicas, observed.calibration) == (4, 3, 2.0)
    assert target_selector(template, target).match_labels == {"app": "web"}
    assert scaled(template, target, 4) is None
    written = scaled(template, target, 7)
    assert written["spec"] == {"replicas": 7, "selector": {"matchLabels": {"app": "web"}}}
    assert template["spec"]["replicas"] == 4
    assert target_selector({"spec": {"selector": {}}}, target) is None


@pytest.mark.parametrize(
    ("template", "members", "expected"),
    [(6, [4, 2], 1.0), (3, [3, 3, 3], 3.0), (0, [1], 1.0), (5, [], 1.0)],
)
def test_calibration_is_member_replicas_over_template_replicas(
    template: int, members: list[int], expected: float
) -> None:
    assert calibration(template, members) == expected
