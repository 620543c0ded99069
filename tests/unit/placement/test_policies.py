"""Webhook defaulting/validation of PropagationSpec and the DistributionPolicy conversion."""

import pytest

from shared.api.propagation import (
    DistributionPolicy,
    Placement,
    PropagationSpec,
    default_placement,
    default_propagation_spec,
    distribution_to_propagation,
    validate_placement_extras,
    validate_propagation_spec,
)


def spec(placement: dict[str, object], **extra: object) -> PropagationSpec:
    selectors = [
        {"apiVersion": "apps/v1", "kind": "Deployment", "namespace": "default", "name": "x"}
    ]
    return PropagationSpec.model_validate(
        {"resourceSelectors": selectors, "placement": placement, **extra}
    )


def test_defaulting() -> None:
    raw = PropagationSpec.model_validate(
        {
            "resourceSelectors": [
                {"apiVersion": "apps/v1", "kind": "Deployment"},
                {"apiVersion": "multicluster.x-k8s.io/v1alpha1", "kind": "ServiceImport"},
            ],
            "placement": {
                "spreadConstraints": [{"maxGroups": 2}, {"spreadByLabel": "team"}],
                "replicaScheduling": {"replicaSchedulingType": "Divided"},
            },
            "failover": {"application": {"decisionConditions": {}}},
        }
    )
    result = default_propagation_spec(raw, namespace="shop")
    assert [s.namespace for s in result.resource_selectors] == ["shop", "shop"]
    first, second = result.placement.spread_constraints
    assert (first.spread_by_field, first.min_groups, first.max_groups) == ("cluster", 1, 2)
    assert (second.spread_by_field, second.spread_by_label, second.min_groups) == ("", "team", 1)
    assert result.placement.replica_scheduling is not None
    assert result.placement.replica_scheduling.replica_division_preference == "Weighted"
    assert result.propagate_deps is True
    assert result.failover is not None and result.failover.application is not None
    assert result.failover.application.grace_period_seconds == 600
    assert raw.resource_selectors[0].namespace == ""  # the input is not mutated


def test_absent_replica_scheduling_means_duplicated() -> None:
    assert Placement().replica_scheduling_type() == "Duplicated"
    assert default_placement(Placement()).replica_scheduling is None
    divided = Placement.model_validate(
        {"replicaScheduling": {"replicaDivisionPreference": "Weighted"}}
    )
    assert divided.replica_scheduling_type() == "Divided"


@pytest.mark.parametrize(
    ("placement", "extra", "expected"),
    [
        ({}, {}, []),
        (
            {"clusterAffinity": {}, "clusterAffinities": [{"affinityName": "a"}]},
            {},
            [("spec.placement", "clusterAffinities cannot co-exist with clusterAffinity")],
        ),
        (
            {
                "replicaScheduling": {
                    "replicaDivisionPreference": "Weighted",
                    "weightPreference": {"staticWeightList": [{"targetCluster": {}, "weight": 0}]},
                }
            },
            {},
            [
                (
                    "spec.placement.replicaScheduling.weightPreference.staticWeightList[0].weight",
                    "must be ≥ 1",
                )
            ],
        ),
        (
            {"spreadConstraints": [{"spreadByField": "region", "minGroups": 1}]},
            {},
            [
                (
                    "spec.placement.spreadConstraints",
                    "the cluster spread constraint must be enabled in one of the "
                    "constraints in case of SpreadByField is enabled",
                )
            ],
        ),
        (
            {
                "spreadConstraints": [
                    {"spreadByField": "cluster", "spreadByLabel": "x", "minGroups": 1}
                ]
            },
            {},
            [
                (
                    "spec.placement.spreadConstraints[0]",
                    "spreadByLabel should not co-exist with spreadByField",
                )
            ],
        ),
        (
            {"spreadConstraints": [{"spreadByField": "cluster", "minGroups": 3, "maxGroups": 2}]},
            {},
            [
                (
                    "spec.placement.spreadConstraints[0]",
                    "maxGroups lower than minGroups is not allowed",
                )
            ],
        ),
        (
            {"spreadConstraints": [{"spreadByField": "cluster", "minGroups": -1}]},
            {},
            [("spec.placement.spreadConstraints[0]", "minGroups lower than 0 is not allowed")],
        ),
        (
            {
                "spreadConstraints": [
                    {"spreadByField": "cluster", "minGroups": 1},
                    {"spreadByField": "cluster", "minGroups": 1},
                ]
            },
            {},
            [
                (
                    "spec.placement.spreadConstraints",
                    "multiple cluster spread constraints are not allowed",
                )
            ],
        ),
        (
            {
                "spreadConstraints": [
                    {"spreadByField": "region", "maxSkew": 2, "minGroups": 1},
                    {"spreadByField": "zone", "maxSkew": 1, "minGroups": 1},
                ]
            },
            {},
            [],
        ),
        (
            {"spreadConstraints": [{"spreadByField": "zone", "maxSkew": 0, "minGroups": 1}]},
            {},
            [("spec.placement.spreadConstraints[0].maxSkew", "must be ≥ 1")],
        ),
        (
            {
                "clusterAffinity": {
                    "fieldSelector": {
                        "matchExpressions": [{"key": "color", "operator": "In", "values": ["x"]}]
                    }
                }
            },
            {},
            [
                (
                    "spec.placement.clusterAffinity.fieldSelector",
                    'unsupported key "color", must be provider, region, or zone',
                )
            ],
        ),
        (
            {
                "clusterAffinity": {
                    "fieldSelector": {"matchExpressions": [{"key": "zone", "operator": "Exists"}]}
                }
            },
            {},
            [
                (
                    "spec.placement.clusterAffinity.fieldSelector",
                    'unsupported operator "Exists", must be In or NotIn',
                )
            ],
        ),
        (
            {"clusterAffinities": [{"affinityName": "a"}, {"affinityName": "a"}]},
            {},
            [
                (
                    "spec.placement.clusterAffinities",
                    "each affinity term in a policy must have a unique name",
                )
            ],
        ),
        (
            {
                "clusterAffinities": [
                    {
                        "affinityName": "a",
                        "clusterNames": ["m"],
                        "overflowAffinities": [{"affinityName": "b"}],
                    }
                ]
            },
            {},
            [
                (
                    "spec.placement.clusterAffinities[0].overflowAffinities",
                    "overflowAffinities can only be used together with "
                    "dynamic weight or aggregated scheduling",
                )
            ],
        ),
        (
            {},
            {
                "preemption": "Always",
                "resourceSelectors": [
                    {"apiVersion": "apps/v1", "kind": "Deployment", "namespace": "default"}
                ],
            },
            [
                (
                    "spec.resourceSelectors[0].name",
                    "name cannot be empty if preemption is Always, the empty name "
                    "may cause unexpected resources preemption",
                )
            ],
        ),
        (
            {},
            {
                "resourceSelectors": [
                    {
                        "apiVersion": "apps/v1",
                        "kind": "Deployment",
                        "namespace": "other",
                        "name": "x",
                    }
                ]
            },
            [
                (
                    "spec.resourceSelectors[0].namespace",
                    "namespace of resource selector must be the same "
                    "as the namespace of the policy",
                )
            ],
        ),
        ({}, {"resourceSelectors": []}, [("spec.resourceSelectors", "must not be empty")]),
        (
            {},
            {
                "failover": {
                    "application": {
                        "decisionConditions": {"tolerationSeconds": 10},
                        "purgeMode": "Directly",
                        "gracePeriodSeconds": 5,
                    }
                },
                "propagateDeps": True,
            },
            [
                (
                    "spec.failover.application.gracePeriodSeconds",
                    "only takes effect when purgeMode is gracefully",
                )
            ],
        ),
        (
            {},
            {"failover": {"application": {"decisionConditions": {}}}},
            [
                ("spec.propagateDeps", "application failover is set, propagateDeps must be true"),
                (
                    "spec.failover.application.gracePeriodSeconds",
                    "should not be empty when purgeMode is gracefully",
                ),
            ],
        ),
        (
            {},
            {"suspension": {"dispatching": True, "dispatchingOnClusters": {"clusterNames": ["m"]}}},
            [
                (
                    "spec.suspension.suspension",
                    "suspension dispatching cannot co-exist with "
                    "dispatchingOnClusters.clusterNames",
                )
            ],
        ),
    ],
)
def test_validation(
    placement: dict[str, object], extra: dict[str, object], expected: list[tuple[str, str]]
) -> None:
    assert validate_propagation_spec(spec(placement, **extra), namespace="default") == expected


KURATOR_11 = {
    "apiVersion": "apps.kurator.dev/v1alpha1",
    "kind": "DistributionPolicy",
    "metadata": {"name": "ai", "namespace": "default"},
    "spec": {
        "resourceSelectors": [
            {"apiVersion": "apps/v1", "kind": "Deployment", "name": "llm-inference"}
        ],
        "placement": {
            "clusterAffinity": {"clusterNames": ["cluster-gpu-a100", "cluster-gpu-h100"]},
            "resourceConstraints": [
                {
                    "name": "nvidia.com/gpu",
                    "requirements": [{"operator": "In", "values": ["a100", "h100"]}],
                    "minQuantity": 4,
                }
            ],
            "preference": [{"weight": 100, "preference": {"operator": "In", "values": ["a100"]}}],
        },
    },
}


def test_distribution_policy_conversion() -> None:
    policy, extras = distribution_to_propagation(DistributionPolicy.model_validate(KURATOR_11))
    assert policy.kind == "PropagationPolicy"
    assert policy.metadata.namespace == "default"
    dumped = policy.spec.placement.to_dict()
    assert "resourceConstraints" not in dumped and "preference" not in dumped
    assert policy.spec.placement.cluster_affinity is not None
    assert policy.spec.placement.cluster_affinity.cluster_names == [
        "cluster-gpu-a100",
        "cluster-gpu-h100",
    ]
    assert extras.resource_constraints[0].requirements[0].key == "nvidia.com/gpu.product"
    assert extras.preference[0].weight == 100
    assert validate_placement_extras(extras) == []
    bad = extras.model_copy(
        update={"preference": [extras.preference[0].model_copy(update={"weight": 0})]}
    )
    assert validate_placement_extras(bad) == [
        ("spec.placement.preference[0].weight", "must be in the range 1-100")
    ]


def test_article_tolerations_alias_and_round_trip() -> None:
    placement = Placement.model_validate(
        {
            "tolerations": [
                {
                    "key": "dedicated",
                    "operator": "Equal",
                    "value": "special",
                    "effect": "NoSchedule",
                }
            ]
        }
    )
    assert [t.key for t in placement.all_tolerations()] == ["dedicated"]
    assert placement.to_dict()["tolerations"][0]["value"] == "special"
