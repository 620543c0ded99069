"""The kubeapi conformance scenarios, run unchanged against a cluster of the simulator server.

The scenarios are the kubeapi tests themselves (imported, so pytest collects them here with
this module's `api` fixture): kubectl and kubernetes-asyncio must not tell a simulated
member from the API package served alone. Only discovery differs (a member serves no
Karmada kinds, and does serve metrics.k8s.io), so it has its own test.
"""

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from simserving import RunningSimulator, fleet_document, running_simulator

from tests.integration.kubeapi.conftest import TOKEN, ApiServer
from tests.integration.kubeapi.test_asyncio_client import (  # noqa: F401 (collected here)
    api_client,
    ns,
    test_bookmarks_selectors_and_timeout,
    test_create_conflicts_and_errors,
    test_list_pages_and_expired_continue,
    test_typed_patch_scale_status_and_dry_run,
    test_unauthenticated_requests_get_401,
    test_watch_from_revision_and_after_expiry,
)
from tests.integration.kubeapi.test_kubectl import (  # noqa: F401 (collected here)
    test_authentication_and_ca,
    test_client_side_apply_creates_then_configures,
    test_crd_then_custom_objects,
    test_delete_and_finalizers,
    test_get_watch_sees_another_clients_change,
    test_label_and_field_selectors,
    test_namespace_deletion_empties_it,
    test_pagination_with_chunks,
    test_patch_types,
    test_server_side_apply_conflict_and_force,
)

CLUSTER = "conformance"


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSimulator]:
    document = fleet_document(
        {"name": CLUSTER, "nodes": [{"count": 1, "capacity": {"cpu": "8", "memory": "16Gi"}}]},
        {"name": "bystander"},
    )
    with running_simulator(
        tmp_path_factory.mktemp("sim-conformance"), document, tokens={CLUSTER: TOKEN}
    ) as running:
        yield running


@pytest.fixture(scope="module")
def api(sim: RunningSimulator) -> ApiServer:
    return sim.api(CLUSTER)


@pytest.fixture
def namespace(api: ApiServer) -> str:
    name = f"t-{uuid.uuid4().hex[:8]}"
    api.kubectl("create", "namespace", name)
    return name


def test_discovery_of_a_member(api: ApiServer) -> None:
    out = api.kubectl("api-resources", "-o", "wide").stdout
    assert "deployments" in out and "poddisruptionbudgets" in out
    assert "propagationpolicies" not in out, "a member serves no Karmada kinds"
    versions = set(api.kubectl("api-versions").stdout.split())
    assert {"v1", "apps/v1", "batch/v1", "metrics.k8s.io/v1beta1"} <= versions
    assert "policy.karmada.io/v1alpha1" not in versions
    version = api.kubectl_json("version")["serverVersion"]
    assert version["gitVersion"] == "v1.30.2", "the cluster's configured Kubernetes version"
    pods = json.loads(api.kubectl("get", "--raw", "/api/v1").stdout)["resources"]
    assert "pods/eviction" in {resource["name"] for resource in pods}


def test_each_cluster_has_its_own_token(sim: RunningSimulator, tmp_path: Path) -> None:
    """The bystander's kubeconfig works for it and is refused by the conformance cluster."""
    bystander = sim.api("bystander")
    assert "default" in bystander.kubectl("get", "ns", "-o", "name").stdout
    other = sim.server.tokens["bystander"]
    result = bystander.kubectl(
        "--server", sim.server.cluster_url(CLUSTER), "get", "ns", check=False
    )
    assert result.returncode != 0 and "You must be logged in" in result.stderr
    assert other != TOKEN
