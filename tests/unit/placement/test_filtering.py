"""Filter plugins and FitError wording, after Karmada's plugin tests."""

import pytest

from shared.api.affinity import ClusterAffinity
from shared.api.cluster import Cluster
from shared.api.meta import Toleration
from shared.api.propagation import ResourceConstraint, SpreadConstraint
from shared.placement.filtering import (
    REASON_AFFINITY,
    REASON_API,
    REASON_EVICTION,
    FilterContext,
    FitError,
    api_enablement,
    cluster_affinity,
    cluster_eviction,
    filter_clusters,
    resource_constraints,
    spread_constraint,
    taint_toleration,
)


def cluster(name: str = "member1", **fields: object) -> Cluster:
    data: dict[str, object] = {"metadata": {"name": name}}
    data.update(fields)
    return Cluster.model_validate(data)


def context(**overrides: object) -> FilterContext:
    values: dict[str, object] = {"api_version": "apps/v1", "kind": "Deployment", "affinities": None}
    values.update(overrides)
    return FilterContext(**values)  # type: ignore[arg-type]


DEPLOYMENTS = {
    "apiEnablements": [
        {"groupVersion": "apps/v1", "resources": [{"name": "deployments", "kind": "Deployment"}]}
    ]
}


@pytest.mark.parametrize(
    ("status", "scheduled", "expected"),
    [
        (DEPLOYMENTS, set(), None),
        (
            {
                "apiEnablements": [
                    {
                        "groupVersion": "apps/v1",
                        "resources": [{"name": "statefulsets", "kind": "StatefulSet"}],
                    }
                ]
            },
            set(),
            REASON_API,
        ),
        ({}, set(), REASON_API),
        ({}, {"member1"}, None),
        (
            {
                "apiEnablements": [
                    {
                        "groupVersion": "apps/v1",
                        "resources": [{"name": "statefulsets", "kind": "StatefulSet"}],
                    },
                    {
                        "groupVersion": "apps/v1",
                        "resources": [{"name": "deployments", "kind": "Deployment"}],
                    },
                ]
            },
            set(),
            None,
        ),
    ],
    ids=["enabled", "kind missing", "no enablements", "already scheduled", "split group version"],
)
def test_api_enablement(status: dict, scheduled: set[str], expected: str | None) -> None:
    assert api_enablement(context(scheduled=scheduled), cluster(status=status)) == expected


@pytest.mark.parametrize(
    ("taints", "tolerations", "scheduled", "expected"),
    [
        ([], [], set(), None),
        (
            [{"key": "foo", "value": "bar", "effect": "NoSchedule"}],
            [],
            set(),
            "cluster(s) had untolerated taint {foo=bar:NoSchedule}",
        ),
        (
            [{"key": "foo", "effect": "NoExecute"}],
            [],
            set(),
            "cluster(s) had untolerated taint {foo:NoExecute}",
        ),
        ([{"key": "foo", "value": "bar", "effect": "PreferNoSchedule"}], [], set(), None),
        (
            [{"key": "foo", "value": "bar", "effect": "NoSchedule"}],
            [{"key": "foo", "operator": "Equal", "value": "bar", "effect": "NoSchedule"}],
            set(),
            None,
        ),
        (
            [{"key": "foo", "value": "bar", "effect": "NoSchedule"}],
            [{"key": "foo", "operator": "Equal", "value": "baz"}],
            set(),
            "cluster(s) had untolerated taint {foo=bar:NoSchedule}",
        ),
        (
            [{"key": "foo", "value": "bar", "effect": "NoSchedule"}],
            [{"key": "foo", "operator": "Exists"}],
            set(),
            None,
        ),
        (
            [{"key": "foo", "value": "bar", "effect": "NoSchedule"}],
            [{"operator": "Exists"}],
            set(),
            None,
        ),
        (
            [{"key": "foo", "value": "bar", "effect": "NoSchedule"}],
            [{"key": "foo", "operator": "Exists", "effect": "NoExecute"}],
            set(),
            "cluster(s) had untolerated taint {foo=bar:NoSchedule}",
        ),
        (
            [{"key": "cluster.karmada.io/not-ready", "effect": "NoSchedule"}],
            [],
            set(),
            "cluster(s) had untolerated taint {cluster.karmada.io/not-ready:NoSchedule}",
        ),
        ([{"key": "foo", "value": "bar", "effect": "NoSchedule"}], [], {"member1"}, None),
    ],
    ids=[
        "no taints",
        "untolerated NoSchedule",
        "untolerated NoExecute without value",
        "PreferNoSchedule ignored",
        "tolerated by Equal",
        "value differs",
        "Exists ignores value",
        "empty key Exists tolerates all",
        "effect differs",
        "not-ready taint filters an unready cluster",
        "already scheduled stays",
    ],
)
def test_taint_toleration(
    taints: list, tolerations: list, scheduled: set[str], expected: str | None
) -> None:
    parsed = [Toleration.model_validate(t) for t in tolerations]
    result = taint_toleration(
        context(tolerations=parsed, scheduled=scheduled), cluster(spec={"taints": taints})
    )
    assert result == expected


@pytest.mark.parametrize(
    ("affinities", "expected"),
    [
        (None, None),
        ([ClusterAffinity(cluster_names=["member1"])], None),
        ([ClusterAffinity(cluster_names=["member2"])], REASON_AFFINITY),
        (
            [
                ClusterAffinity(cluster_names=["member2"]),
                ClusterAffinity(cluster_names=["member1"]),
            ],
            None,
        ),
        ([ClusterAffinity(exclude=["member1"])], REASON_AFFINITY),
        (
            [
                ClusterAffinity.model_validate(
                    {
                        "fieldSelector": {
                            "matchExpressions": [
                                {"key": "region", "operator": "In", "values": ["cn"]}
                            ]
                        }
                    }
                )
            ],
            None,
        ),
        (
            [
                ClusterAffinity.model_validate(
                    {
                        "fieldSelector": {
                            "matchExpressions": [
                                {"key": "zone", "operator": "In", "values": ["z9"]}
                            ]
                        }
                    }
                )
            ],
            REASON_AFFINITY,
        ),
        (
            [ClusterAffinity.model_validate({"labelSelector": {"matchLabels": {"env": "prod"}}})],
            None,
        ),
    ],
    ids=[
        "no affinity",
        "by name",
        "other name",
        "any of several terms",
        "excluded",
        "region field",
        "zone field",
        "labels",
    ],
)
def test_cluster_affinity(affinities: list[ClusterAffinity] | None, expected: str | None) -> None:
    member = cluster(
        metadata={"name": "member1", "labels": {"env": "prod"}},
        spec={"region": "cn", "zones": ["z1"]},
    )
    assert cluster_affinity(context(affinities=affinities), member) == expected


@pytest.mark.parametrize(
    ("field", "spec", "expected"),
    [
        ("provider", {}, "cluster(s) did not have provider property"),
        ("region", {"provider": "aws"}, "cluster(s) did not have region property"),
        ("zone", {"region": "r"}, "cluster(s) did not have zones property"),
        ("zone", {"zones": ["z"]}, None),
        ("cluster", {}, None),
    ],
)
def test_spread_constraint_filter(field: str, spec: dict, expected: str | None) -> None:
    constraints = [SpreadConstraint(spread_by_field=field)]  # type: ignore[arg-type]
    assert (
        spread_constraint(context(spread_constraints=constraints), cluster(spec=spec)) == expected
    )


def test_cluster_eviction() -> None:
    assert cluster_eviction(context(evicting={"member1"}), cluster()) == REASON_EVICTION
    assert cluster_eviction(context(evicting={"other"}), cluster()) is None


GPU = ResourceConstraint.model_validate(
    {
        "name": "nvidia.com/gpu",
        "requirements": [{"operator": "In", "values": ["a100", "h100"]}],
        "minQuantity": 4,
    }
)


@pytest.mark.parametrize(
    ("labels", "gpus", "expected"),
    [
        ({"nvidia.com/gpu.product": "a100"}, "16", None),
        ({"nvidia.com/gpu.product": "h100"}, "4", None),
        (
            {"nvidia.com/gpu.product": "h100"},
            "3",
            "cluster(s) had insufficient allocatable nvidia.com/gpu",
        ),
        (
            {"nvidia.com/gpu.product": "t4"},
            "16",
            "cluster(s) did not have the required nvidia.com/gpu product",
        ),
        ({}, None, "cluster(s) did not have the required nvidia.com/gpu product"),
    ],
)
def test_gpu_resource_constraints(
    labels: dict[str, str], gpus: str | None, expected: str | None
) -> None:
    allocatable = {"nvidia.com/gpu": gpus} if gpus else {}
    member = cluster(
        metadata={"name": "gpu", "labels": labels},
        status={"resourceSummary": {"allocatable": allocatable}},
    )
    assert resource_constraints(context(resource_constraints=[GPU]), member) == expected


def test_first_failing_plugin_is_recorded_and_deleting_clusters_skipped() -> None:
    tainted = cluster(
        "tainted",
        spec={"taints": [{"key": "dedicated", "value": "special", "effect": "NoSchedule"}]},
        status=DEPLOYMENTS,
    )
    no_api = cluster("no-api", spec={"taints": [{"key": "x", "effect": "NoSchedule"}]})
    fine = cluster("fine", status=DEPLOYMENTS)
    deleting = cluster(
        "deleting",
        metadata={"name": "deleting", "deletionTimestamp": "2026-01-01T00:00:00Z"},
        status=DEPLOYMENTS,
    )
    feasible, rejected = filter_clusters(context(), [tainted, no_api, fine, deleting])
    assert [c.name for c in feasible] == ["fine"]
    assert rejected == {
        "tainted": "cluster(s) had untolerated taint {dedicated=special:NoSchedule}",
        "no-api": REASON_API,
    }


@pytest.mark.parametrize(
    ("total", "reasons", "message"),
    [
        (0, {}, "0/0 clusters are available: no cluster exists."),
        (
            3,
            {"a": "cluster(s) had untolerated taint {dedicated=special:NoSchedule}"},
            "0/3 clusters are available: 1 cluster(s) had untolerated "
            "taint {dedicated=special:NoSchedule}.",
        ),
        (
            3,
            {"a": REASON_AFFINITY, "b": REASON_AFFINITY, "c": REASON_API},
            "0/3 clusters are available: 1 cluster(s) did not have the API resource, "
            "2 cluster(s) did not match the placement cluster affinity constraint.",
        ),
    ],
)
def test_fit_error_message(total: int, reasons: dict[str, str], message: str) -> None:
    assert str(FitError(num_all_clusters=total, reasons=reasons)) == message
