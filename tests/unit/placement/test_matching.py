"""Policy matching and precedence, after Karmada's selector_test/compare_test/preemption_test."""

import pytest

from shared.api.meta import ObjectMeta
from shared.api.propagation import ClusterPropagationPolicy, PropagationPolicy, ResourceSelector
from shared.placement.matching import (
    CPP_NAME_ANNOTATION,
    CPP_PERMANENT_ID_LABEL,
    PP_NAME_ANNOTATION,
    PP_NAMESPACE_ANNOTATION,
    PP_PERMANENT_ID_LABEL,
    ImplicitPriority,
    can_preempt,
    claim_metadata,
    claimed_by,
    is_skipped,
    select_policy,
    selector_priority,
)

NGINX = ObjectMeta(name="nginx", namespace="default", labels={"app": "nginx"})


def selector(**fields: object) -> ResourceSelector:
    return ResourceSelector.model_validate(
        {"apiVersion": "apps/v1", "kind": "Deployment", **fields}
    )


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({}, ImplicitPriority.MATCH_ALL),
        ({"name": "nginx"}, ImplicitPriority.NAME),
        ({"name": "other"}, ImplicitPriority.MISMATCH),
        (
            {"name": "nginx", "labelSelector": {"matchLabels": {"app": "other"}}},
            ImplicitPriority.NAME,
        ),
        ({"labelSelector": {"matchLabels": {"app": "nginx"}}}, ImplicitPriority.LABEL_SELECTOR),
        ({"labelSelector": {"matchLabels": {"app": "other"}}}, ImplicitPriority.MISMATCH),
        ({"namespace": "default"}, ImplicitPriority.MATCH_ALL),
        ({"namespace": "other"}, ImplicitPriority.MISMATCH),
        ({"kind": "StatefulSet"}, ImplicitPriority.MISMATCH),
        ({"apiVersion": "apps/v1beta1"}, ImplicitPriority.MISMATCH),
    ],
    ids=[
        "kind only",
        "name",
        "other name",
        "name beats labels",
        "labels",
        "labels mismatch",
        "same namespace",
        "other namespace",
        "other kind",
        "other apiVersion",
    ],
)
def test_selector_priority(fields: dict[str, object], expected: ImplicitPriority) -> None:
    result = selector_priority(
        api_version="apps/v1", kind="Deployment", meta=NGINX, selector=selector(**fields)
    )
    assert result == expected


def pp(
    name: str,
    *selectors: dict[str, object],
    priority: int = 0,
    preemption: str = "Never",
    namespace: str = "default",
    deleting: bool = False,
) -> PropagationPolicy:
    metadata: dict[str, object] = {
        "name": name,
        "namespace": namespace,
        "labels": {PP_PERMANENT_ID_LABEL: f"id-{name}"},
    }
    if deleting:
        metadata["deletionTimestamp"] = "2026-01-01T00:00:00Z"
    return PropagationPolicy.model_validate(
        {
            "metadata": metadata,
            "spec": {
                "resourceSelectors": [
                    {"apiVersion": "apps/v1", "kind": "Deployment", **s} for s in selectors
                ],
                "priority": priority,
                "preemption": preemption,
            },
        }
    )


def cpp(
    name: str, *selectors: dict[str, object], priority: int = 0, preemption: str = "Never"
) -> ClusterPropagationPolicy:
    return ClusterPropagationPolicy.model_validate(
        {
            "metadata": {"name": name, "labels": {CPP_PERMANENT_ID_LABEL: f"id-{name}"}},
            "spec": {
                "resourceSelectors": [
                    {"apiVersion": "apps/v1", "kind": "Deployment", **s} for s in selectors
                ],
                "priority": priority,
                "preemption": preemption,
            },
        }
    )


def choose(
    pps: list[PropagationPolicy], cpps: list[ClusterPropagationPolicy], meta: ObjectMeta = NGINX
) -> str | None:
    chosen = select_policy(
        api_version="apps/v1",
        kind="Deployment",
        meta=meta,
        propagation_policies=pps,
        cluster_propagation_policies=cpps,
    )
    return None if chosen is None else f"{chosen.kind}/{chosen.metadata.name}"


@pytest.mark.parametrize(
    ("pps", "cpps", "expected"),
    [
        ([pp("a", {}), pp("b", {"name": "nginx"})], [], "PropagationPolicy/b"),
        (
            [pp("a", {"labelSelector": {"matchLabels": {"app": "nginx"}}}), pp("b", {})],
            [],
            "PropagationPolicy/a",
        ),
        ([pp("b", {"name": "nginx"}), pp("a", {"name": "nginx"})], [], "PropagationPolicy/a"),
        ([pp("a", {"name": "nginx"}), pp("b", {}, priority=5)], [], "PropagationPolicy/b"),
        ([pp("a", {}, priority=-1)], [], "PropagationPolicy/a"),
        ([pp("a", {"name": "other"})], [cpp("c", {})], "ClusterPropagationPolicy/c"),
        ([pp("a", {})], [cpp("c", {"name": "nginx"}, priority=100)], "PropagationPolicy/a"),
        ([], [cpp("z", {"name": "nginx"}), cpp("y", {}, priority=1)], "ClusterPropagationPolicy/y"),
        ([pp("a", {}, namespace="other")], [], None),
        ([pp("a", {"name": "nginx"}, deleting=True), pp("b", {})], [], "PropagationPolicy/b"),
        ([], [], None),
    ],
    ids=[
        "name beats kind-only",
        "labels beat kind-only",
        "tie by smallest name",
        "explicit priority first",
        "negative explicit priority still matches",
        "CPP only when no PP matches",
        "PP beats a higher-priority CPP",
        "CPP precedence by explicit priority",
        "PP of another namespace ignored",
        "deleting policy ignored",
        "nothing matches",
    ],
)
def test_precedence(
    pps: list[PropagationPolicy], cpps: list[ClusterPropagationPolicy], expected: str | None
) -> None:
    assert choose(pps, cpps) == expected


def claimed(meta: ObjectMeta, policy: PropagationPolicy | ClusterPropagationPolicy) -> ObjectMeta:
    return claim_metadata(meta, policy)


def test_claim_metadata_and_stickiness() -> None:
    holder = pp("zz-holder", {})
    meta = claimed(NGINX, holder)
    assert meta.labels[PP_PERMANENT_ID_LABEL] == "id-zz-holder"
    assert meta.annotations[PP_NAMESPACE_ANNOTATION] == "default"
    assert meta.annotations[PP_NAME_ANNOTATION] == "zz-holder"
    assert claimed_by(meta) == ("PropagationPolicy", "default", "zz-holder")
    newcomer = pp("a", {"name": "nginx"}, priority=10)
    assert choose([holder, newcomer], [], meta) == "PropagationPolicy/zz-holder"
    preempting = pp("a", {"name": "nginx"}, priority=10, preemption="Always")
    assert choose([holder, preempting], [], meta) == "PropagationPolicy/a"
    equal = pp("b", {"name": "nginx"}, priority=0, preemption="Always")
    assert choose([holder, equal], [], meta) == "PropagationPolicy/zz-holder"


def test_claim_by_cpp_then_pp_replaces_it() -> None:
    meta = claimed(NGINX, cpp("global", {}))
    assert meta.annotations[CPP_NAME_ANNOTATION] == "global"
    assert claimed_by(meta) == ("ClusterPropagationPolicy", None, "global")
    taken = claimed(meta, pp("local", {}))
    assert CPP_NAME_ANNOTATION not in taken.annotations
    assert CPP_PERMANENT_ID_LABEL not in taken.labels
    assert claimed_by(taken) == ("PropagationPolicy", "default", "local")


@pytest.mark.parametrize(
    ("challenger", "holder", "expected"),
    [
        (pp("a", {"name": "x"}, priority=2, preemption="Always"), pp("b", {}, priority=1), True),
        (pp("a", {"name": "x"}, priority=1, preemption="Always"), pp("b", {}, priority=1), False),
        (pp("a", {"name": "x"}, priority=2), pp("b", {}, priority=1), False),
        (
            pp("a", {"name": "x"}, priority=-5, preemption="Always"),
            cpp("c", {}, priority=100),
            True,
        ),
        (cpp("c", {"name": "x"}, priority=100, preemption="Always"), pp("a", {}), False),
        (cpp("c", {"name": "x"}, priority=2, preemption="Always"), cpp("d", {}, priority=1), True),
    ],
    ids=[
        "PP over lower PP",
        "equal priority",
        "preemption Never",
        "PP over any CPP",
        "CPP never over PP",
        "CPP over lower CPP",
    ],
)
def test_preemption(
    challenger: PropagationPolicy | ClusterPropagationPolicy,
    holder: PropagationPolicy | ClusterPropagationPolicy,
    expected: bool,
) -> None:
    assert can_preempt(challenger, holder) is expected


@pytest.mark.parametrize(
    ("api_version", "namespace", "expected"),
    [
        ("apps/v1", "default", False),
        ("apps/v1", "kube-system", True),
        ("apps/v1", "karmada-system", True),
        ("apps/v1", "karmada-es-member1", True),
        ("policy.karmada.io/v1alpha1", "default", True),
        ("work.karmada.io/v1alpha2", None, True),
        ("v1", None, False),
    ],
)
def test_skipped(api_version: str, namespace: str | None, expected: bool) -> None:
    assert is_skipped(api_version=api_version, namespace=namespace) is expected


def test_skipped_namespace_never_matches() -> None:
    meta = ObjectMeta(name="nginx", namespace="kube-system")
    assert choose([pp("a", {}, namespace="kube-system")], [cpp("c", {})], meta) is None
