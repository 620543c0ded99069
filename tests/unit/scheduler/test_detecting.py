"""The detector's index: policies defaulted, which policy claims a template, claim marks."""

from typing import Any

import pytest

from services.scheduler.binding_sync import TemplateKey
from services.scheduler.detecting import (
    Detector,
    claimed_template,
    parse_policy,
    unclaimed_template,
)
from services.scheduler.resources import (
    CLUSTER_PROPAGATION_POLICIES,
    DISTRIBUTION_POLICIES,
    PROPAGATION_POLICIES,
)
from shared.api.meta import ObjectMeta
from shared.api.propagation import ClusterPropagationPolicy, PropagationPolicy
from shared.placement.matching import (
    CPP_NAME_ANNOTATION,
    PP_NAME_ANNOTATION,
    PP_NAMESPACE_ANNOTATION,
    PP_PERMANENT_ID_LABEL,
)
from shared.runtime.informing import InformerEvent

WEB = TemplateKey("apps/v1", "Deployment", "default", "web")
DEPLOYMENTS = [{"apiVersion": "apps/v1", "kind": "Deployment"}]


def policy(
    name: str,
    *,
    kind: str = "PropagationPolicy",
    namespace: str | None = "default",
    selectors: list[dict[str, Any]] | None = None,
    placement: dict[str, Any] | None = None,
) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": name, "uid": f"{name}-uid"}
    if namespace:
        metadata["namespace"] = namespace
    return {
        "kind": kind,
        "metadata": metadata,
        "spec": {"resourceSelectors": selectors or DEPLOYMENTS, "placement": placement or {}},
    }


def template(**annotations: str) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "default", "annotations": annotations},
    }


def detector() -> Detector:
    return Detector(enable_preemption=True, skipped_namespaces=[])


def added(obj: dict[str, Any]) -> InformerEvent:
    return InformerEvent("ADDED", obj)


def test_parse_policy_defaults_and_reads_the_permanent_id_label_only() -> None:
    entry = parse_policy(PROPAGATION_POLICIES, policy("web"))
    assert isinstance(entry.policy, PropagationPolicy)
    assert entry.permanent_id == "", "the uid is no stand-in: the scheduler writes an id"
    labelled = policy("web")
    labelled["metadata"]["labels"] = {PP_PERMANENT_ID_LABEL: "id-1"}
    assert parse_policy(PROPAGATION_POLICIES, labelled).permanent_id == "id-1"
    assert entry.claim() == ("PropagationPolicy", "default", "web")
    assert entry.selected_kinds() == {("apps/v1", "Deployment")}
    assert not entry.cluster_scoped


def test_a_cluster_policy_claims_cluster_wide() -> None:
    entry = parse_policy(
        CLUSTER_PROPAGATION_POLICIES, policy("all", kind="ClusterPropagationPolicy", namespace=None)
    )
    assert isinstance(entry.policy, ClusterPropagationPolicy)
    assert entry.claim() == ("ClusterPropagationPolicy", None, "all")
    assert entry.cluster_scoped


def test_a_distribution_policy_becomes_a_propagation_policy_with_extras() -> None:
    obj = policy(
        "dp",
        kind="DistributionPolicy",
        placement={"resourceConstraints": [{"name": "cpu", "min": "1"}]},
    )
    obj["apiVersion"] = "policy.kurator.dev/v1alpha1"
    entry = parse_policy(DISTRIBUTION_POLICIES, obj)
    assert isinstance(entry.policy, PropagationPolicy)
    assert entry.extras.resource_constraints
    assert entry.claim() == ("PropagationPolicy", "default", "dp")


def test_the_selected_policy_claims_and_an_invalid_one_claims_nothing() -> None:
    index = detector()
    change = index.observe_policy(PROPAGATION_POLICIES, added(policy("web")))
    assert change.kinds == {("apps/v1", "Deployment")}
    assert change.namespace == "default" and not change.cluster_scoped
    selected = index.resolve(WEB, ObjectMeta(name="web", namespace="default")).entry
    assert selected is not None and selected.policy.metadata.name == "web"

    broken = policy("broken")
    broken["spec"]["resourceSelectors"] = "not a list"
    other = detector()
    assert other.observe_policy(PROPAGATION_POLICIES, added(broken)).kinds == frozenset()
    assert other.resolve(WEB, ObjectMeta(name="web", namespace="default")).entry is None


def test_a_propagation_policy_beats_a_same_named_distribution_policy() -> None:
    index = detector()
    dp = policy("web", kind="DistributionPolicy", selectors=DEPLOYMENTS)
    dp["apiVersion"] = "policy.kurator.dev/v1alpha1"
    index.observe_policy(DISTRIBUTION_POLICIES, added(dp))
    pp = policy("web", placement={"clusterAffinity": {"clusterNames": ["a"]}})
    index.observe_policy(PROPAGATION_POLICIES, added(pp))
    selected = index.resolve(WEB, ObjectMeta(name="web", namespace="default")).entry
    assert selected is not None
    assert selected.placement.cluster_affinity is not None
    assert selected.placement.cluster_affinity.cluster_names == ["a"]


def test_a_namespaced_policy_wins_over_a_cluster_policy_and_deletion_hands_over() -> None:
    index = detector()
    index.observe_policy(
        CLUSTER_PROPAGATION_POLICIES,
        added(policy("all", kind="ClusterPropagationPolicy", namespace=None)),
    )
    index.observe_policy(PROPAGATION_POLICIES, added(policy("web")))
    meta = ObjectMeta(name="web", namespace="default")
    assert index.resolve(WEB, meta).entry.policy.metadata.name == "web"  # type: ignore[union-attr]
    index.observe_policy(PROPAGATION_POLICIES, InformerEvent("DELETED", policy("web")))
    assert index.resolve(WEB, meta).entry.policy.metadata.name == "all"  # type: ignore[union-attr]


def test_a_policy_change_wakes_the_templates_it_claimed() -> None:
    index = detector()
    index.observe_policy(PROPAGATION_POLICIES, added(policy("web")))
    claimed = template(**{PP_NAMESPACE_ANNOTATION: "default", PP_NAME_ANNOTATION: "web"})
    index.observe_template(WEB, old=None, new=claimed)
    assert index.claimed(("PropagationPolicy", "default", "web")) == {WEB}
    change = index.observe_policy(PROPAGATION_POLICIES, InformerEvent("DELETED", policy("web")))
    assert change.claimed == {WEB}

    moved = template(**{CPP_NAME_ANNOTATION: "all"})
    index.observe_template(WEB, old=claimed, new=moved)
    assert index.claimed(("PropagationPolicy", "default", "web")) == set()
    assert index.claimed(("ClusterPropagationPolicy", None, "all")) == {WEB}
    index.observe_template(WEB, old=moved, new=None)
    assert index.claimed(("ClusterPropagationPolicy", None, "all")) == set()


@pytest.mark.parametrize("kind", ["PropagationPolicy", "ClusterPropagationPolicy"])
def test_claim_marks_are_written_once_and_removed(kind: str) -> None:
    source = PROPAGATION_POLICIES if kind == "PropagationPolicy" else CLUSTER_PROPAGATION_POLICIES
    namespace = "default" if kind == "PropagationPolicy" else None
    entry = parse_policy(source, policy("web", kind=kind, namespace=namespace))
    claimed = claimed_template(template(), entry.policy)
    assert claimed is not None
    assert claimed_template(claimed, entry.policy) is None, "already claimed: no write"
    unclaimed = unclaimed_template(claimed)
    assert unclaimed is not None
    assert not unclaimed["metadata"].get("annotations")
    assert not unclaimed["metadata"].get("labels")
    assert unclaimed_template(unclaimed) is None, "nothing to remove: no write"


def claimed_meta(name: str = "web", **labels: str) -> ObjectMeta:
    return ObjectMeta(
        name="web",
        namespace="default",
        labels={PP_PERMANENT_ID_LABEL: f"{name}-id", **labels},
        annotations={PP_NAMESPACE_ANNOTATION: "default", PP_NAME_ANNOTATION: name},
    )


def front(name: str, tier: str = "front") -> dict[str, Any]:
    selector = {**DEPLOYMENTS[0], "labelSelector": {"matchLabels": {"tier": tier}}}
    return policy(name, selectors=[selector])


def test_deleting_the_claimed_policy_releases_to_the_next_match() -> None:
    """propagationpolicy_test.go "delete the old propagationPolicy to unbind and create a
    new one": release, then the other matching policy claims."""
    index = detector()
    index.observe_policy(PROPAGATION_POLICIES, added(policy("web")))
    index.observe_policy(PROPAGATION_POLICIES, added(policy("zz-other")))
    index.observe_policy(PROPAGATION_POLICIES, InformerEvent("DELETED", policy("web")))
    resolution = index.resolve(WEB, claimed_meta())
    assert resolution.release and not resolution.hold
    assert resolution.entry is not None and resolution.entry.policy.metadata.name == "zz-other"
    index.observe_policy(PROPAGATION_POLICIES, InformerEvent("DELETED", policy("zz-other")))
    gone = index.resolve(WEB, claimed_meta("zz-other"))
    assert gone.release and gone.entry is None


def test_an_unmatched_claim_is_released_only_after_its_policy_changed() -> None:
    """pkg/detector/policy.go: `getAndApplyPolicy` returns nil for a claimed template the
    policy no longer selects; the policy's reconcile (`cleanPPUnmatchedRBs`) releases it."""
    index = detector()
    index.observe_policy(PROPAGATION_POLICIES, added(front("front")))
    meta = claimed_meta("front", tier="back")
    index.observe_template(WEB, old=None, new={"metadata": meta.to_dict()})
    held = index.resolve(WEB, meta)
    assert held.hold and held.entry is None

    index.observe_policy(PROPAGATION_POLICIES, InformerEvent("MODIFIED", front("front")))
    released = index.resolve(WEB, meta)
    assert released.release and released.entry is None
    index.settled(WEB)
    assert index.resolve(WEB, meta).hold, "settled: the next template change holds again"


def test_a_policy_being_deleted_holds_its_claim() -> None:
    """`getAndApplyPolicy`: "policy(%s/%s) is being deleted" — retried, nothing changed."""
    index = detector()
    deleting = policy("web")
    deleting["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:00Z"
    index.observe_policy(PROPAGATION_POLICIES, added(deleting))
    index.observe_policy(PROPAGATION_POLICIES, added(policy("other")))
    resolution = index.resolve(WEB, claimed_meta())
    assert resolution.hold and resolution.entry is None
