"""Re-organising policies never takes the workload down: deleting a policy keeps it on the
members; the next policy that claims it moves it.

Ported from karmada `test/e2e/suites/base/propagationpolicy_test.go`, [AdvancedCase]
"delete the propagationPolicy and check whether labels and annotations are deleted
correctly" and "delete the old propagationPolicy to unbind and create a new one".
"""

import time

import pytest

from tests.e2e.conftest import Fleet, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

WORKLOAD = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: default}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: nginx:1.27}]
"""
POLICY = """
apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata: {{name: {name}, namespace: default}}
spec:
  resourceSelectors: [{{apiVersion: apps/v1, kind: Deployment, name: web}}]
  placement:
    clusterAffinity: {{clusterNames: [{cluster}]}}
"""
CLAIM_ANNOTATION = "propagationpolicy.karmada.io/name"


def on_member(fleet: Fleet, cluster: str) -> bool:
    return fleet.member(cluster, "get", "deployment", "web", "-n", "default").returncode == 0


def claim(fleet: Fleet) -> str | None:
    template = fleet.json("get", "deployment", "web")
    return (template["metadata"].get("annotations") or {}).get(CLAIM_ANNOTATION)


def test_deleting_a_policy_keeps_the_workload_on_the_members(three_clusters: Fleet) -> None:
    fleet = three_clusters
    applied = fleet.navarch(
        "apply", "-f", "-", stdin=WORKLOAD + "---" + POLICY.format(name="one", cluster="member-1")
    )
    assert applied.returncode == 0, applied.stderr
    wait_until(lambda: on_member(fleet, "member-1"), timeout=60)

    deleted = fleet.navarch("delete", "propagationpolicy", "one", "-n", "default")
    assert deleted.returncode == 0, deleted.stderr
    wait_until(lambda: claim(fleet) is None, timeout=30)
    binding = fleet.json("get", "resourcebindings", "web-deployment")
    assert [c["name"] for c in binding["spec"]["clusters"]] == ["member-1"]
    for _ in range(6):
        time.sleep(0.5)
        assert on_member(fleet, "member-1"), "the workload stays after its policy went"

    applied = fleet.navarch("apply", "-f", "-", stdin=POLICY.format(name="two", cluster="member-2"))
    assert applied.returncode == 0, applied.stderr
    wait_until(lambda: on_member(fleet, "member-2"), timeout=60)
    wait_until(lambda: not on_member(fleet, "member-1"), timeout=60)
    assert claim(fleet) == "two"


CLUSTER_POLICY = """
apiVersion: policy.karmada.io/v1alpha1
kind: ClusterPropagationPolicy
metadata: {{name: {name}}}
spec:
  {priority}
  resourceSelectors: [{selector}]
  placement:
    clusterAffinity: {{clusterNames: [member-1, member-2, member-3]}}
"""
LABELLED_WORKLOAD = WORKLOAD.replace(
    "metadata: {name: web, namespace: default}",
    "metadata: {name: web, namespace: default, labels: {priority: priority-x}}",
)


def test_explicit_priority_beats_name_precedence_among_cluster_policies(
    three_clusters: Fleet,
) -> None:
    """clusterpropagationpolicy_test.go, "high explicit/low priority/implicit priority
    ClusterPropagationPolicy propagation testing", through kubectl-style apply."""
    fleet = three_clusters
    by_name = "{apiVersion: apps/v1, kind: Deployment, name: web}"
    by_labels = (
        "{apiVersion: apps/v1, kind: Deployment, "
        "labelSelector: {matchLabels: {priority: priority-x}}}"
    )
    policies = [
        CLUSTER_POLICY.format(name="higher-label", priority="priority: 2", selector=by_labels),
        CLUSTER_POLICY.format(name="lower-name", priority="priority: 1", selector=by_name),
        CLUSTER_POLICY.format(name="implicit-name", priority="", selector=by_name),
    ]
    applied = fleet.navarch("apply", "-f", "-", stdin="---".join(policies))
    assert applied.returncode == 0, applied.stderr
    applied = fleet.navarch("apply", "-f", "-", stdin=LABELLED_WORKLOAD)
    assert applied.returncode == 0, applied.stderr
    for cluster in ("member-1", "member-2", "member-3"):
        wait_until(lambda cluster=cluster: on_member(fleet, cluster), timeout=60)
    template = fleet.json("get", "deployment", "web")
    annotations = template["metadata"]["annotations"]
    assert annotations["clusterpropagationpolicy.karmada.io/name"] == "higher-label"
