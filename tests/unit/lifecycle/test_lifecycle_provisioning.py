"""What a Kurator Cluster asks of its provider and the hub, and how its status reads."""

import base64

import pytest

from services.fleet_manager.lifecycle_provisioning import (
    MANAGED_LABEL,
    attached_cluster,
    condition,
    create_request,
    kubeconfig_secret,
    no_provider_message,
    phase_after,
    with_condition,
    worker_pools,
)
from shared.api.kurator_cluster import KuratorCluster, KuratorClusterStatus, kurator_form

ARTICLE = {
    "metadata": {"name": "production-cluster", "namespace": "default", "uid": "u-1"},
    "spec": {
        "infrastructure": {"cloudProvider": "aws", "region": "us-west-2", "version": "1.25"},
        "workerNodes": {"count": 5, "instanceType": "m5.large"},
        "podIdentity": {"enabled": True},
    },
}


def article_cluster() -> KuratorCluster:
    return kurator_form(KuratorCluster.model_validate(ARTICLE))


def test_the_cluster_is_created_with_its_control_plane_and_empty_worker_pools() -> None:
    request = create_request(article_cluster())
    assert request.infra_type == "aws" and request.region == "us-west-2"
    assert request.control_plane.name == "production-cluster-control-plane"
    assert request.control_plane.replicas == 1
    assert [(p.name, p.replicas, p.instance_type) for p in request.pools] == [
        ("production-cluster-md-0", 0, "m5.large")
    ], "workers wait for the pod identity they use"
    assert request.pod_identity is True
    assert [p.replicas for p in worker_pools(article_cluster())] == [5]


def test_secret_and_attached_cluster_name_each_other_and_the_cluster() -> None:
    cluster = article_cluster()
    secret = kubeconfig_secret(cluster, "apiVersion: v1\n")
    attached = attached_cluster(cluster)
    assert base64.b64decode(secret["data"]["value"]).decode() == "apiVersion: v1\n"
    assert attached["spec"]["kubeconfig"] == {"name": secret["metadata"]["name"], "key": "value"}
    for obj in (secret, attached):
        assert obj["metadata"]["labels"][MANAGED_LABEL] == "default.production-cluster"
        assert obj["metadata"]["ownerReferences"][0]["uid"] == "u-1"
    assert attached["spec"]["labels"] == {"region": "us-west-2", "provider": "aws"}


@pytest.mark.parametrize(
    ("phase", "ready", "failed", "expected"),
    [
        (None, False, False, "Provisioning"),
        (None, True, False, "Ready"),
        ("Ready", False, False, "Ready"),
        ("Provisioning", False, True, "Failed"),
    ],
)
def test_phases(phase: str | None, ready: bool, failed: bool, expected: str) -> None:
    status = KuratorClusterStatus.model_validate({"phase": phase} if phase else {})
    assert phase_after(status, ready=ready, failed=failed) == expected


def test_a_condition_keeps_its_transition_time_while_its_status_holds() -> None:
    status = with_condition(
        KuratorClusterStatus(),
        condition("Ready", False, reason="WaitingForWorkerNodes", message="1 of 5"),
        now="t1",
    )
    status = with_condition(
        status,
        condition("Ready", False, reason="WaitingForWorkerNodes", message="3 of 5"),
        now="t2",
    )
    ready = status.conditions[0]
    assert (ready.last_transition_time, ready.message, ready.severity) == ("t1", "3 of 5", "Info")
    status = with_condition(status, condition("Ready", True), now="t3")
    assert status.conditions[0].last_transition_time == "t3"
    assert status.conditions[0].severity == "" and status.conditions[0].reason == ""


def test_no_provider_names_the_infra_type_and_what_would_provide() -> None:
    message = no_provider_message("aws", "/home/members/simulator.json")
    assert message.startswith('no provider is configured for infraType "aws"')
    assert "navarch up --sim" in message
