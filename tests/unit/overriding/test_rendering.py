"""render(): replicas from the binding first, overrides last, the applied-policy
annotations in Karmada's format, errors that name what failed, templates left alone."""

import copy
import json
from typing import Any

import pytest

from shared.api.cluster import Cluster
from shared.api.overrides import ClusterOverridePolicy, KuratorOverridePolicy, OverridePolicy
from shared.overriding.rendering import (
    APPLIED_CLUSTER_OVERRIDES_ANNOTATION,
    APPLIED_OVERRIDES_ANNOTATION,
    OverrideError,
    RenderError,
    applied_overrides_annotation,
    matching_rules,
    render,
)

MEMBER = Cluster.model_validate({"metadata": {"name": "member-1", "labels": {"env": "dr"}}})


def workload(api_version: str, kind: str, **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": api_version,
        "kind": kind,
        "metadata": {"name": "w", "namespace": "default"},
        "spec": spec,
    }


def op(name: str, overriders: dict[str, Any], **spec: Any) -> OverridePolicy:
    return OverridePolicy.model_validate(
        {
            "metadata": {"name": name, "namespace": "default"},
            "spec": {"overrideRules": [{"overriders": overriders}], **spec},
        }
    )


def cop(name: str, overriders: dict[str, Any]) -> ClusterOverridePolicy:
    return ClusterOverridePolicy.model_validate(
        {"metadata": {"name": name}, "spec": {"overrideRules": [{"overriders": overriders}]}}
    )


def rendered(
    template: dict[str, Any],
    *,
    replicas: int | None = None,
    cops: list[ClusterOverridePolicy] | None = None,
    ops: list[OverridePolicy | KuratorOverridePolicy] | None = None,
    job_completions: int | None = None,
) -> dict[str, Any]:
    return render(
        template,
        cluster=MEMBER,
        replicas=replicas,
        cluster_override_policies=cops or [],
        override_policies=ops or [],
        job_completions=job_completions,
    )


@pytest.mark.parametrize(
    ("template", "field", "expected"),
    [
        (workload("apps/v1", "Deployment", replicas=10), "replicas", 4),
        (workload("apps/v1", "StatefulSet", replicas=10), "replicas", 4),
        (workload("apps/v1", "ReplicaSet", replicas=10), "replicas", 4),
        (workload("batch/v1", "Job", parallelism=10, completions=20), "parallelism", 4),
        (workload("batch/v1", "Job", parallelism=10, completions=20), "completions", 20),
        (workload("apps/v1", "Deployment"), "replicas", None),
        (workload("apps/v1", "DaemonSet", replicas=10), "replicas", 10),
        (workload("extensions/v1beta1", "Deployment", replicas=10), "replicas", 10),
        (workload("example.io/v1", "Widget", replicas=10), "replicas", 10),
    ],
)
def test_replicas_follow_the_default_interpreter(
    template: dict[str, Any], field: str, expected: int | None
) -> None:
    assert rendered(template, replicas=4)["spec"].get(field) == expected


def test_no_replicas_for_a_non_workload() -> None:
    assert rendered(workload("apps/v1", "Deployment", replicas=10), replicas=None)["spec"] == {
        "replicas": 10
    }


def test_divided_job_completions_are_written_when_the_template_has_them() -> None:
    job = workload("batch/v1", "Job", parallelism=6, completions=12)
    assert rendered(job, replicas=2, job_completions=4)["spec"] == {
        "parallelism": 2,
        "completions": 4,
    }
    work_queue = workload("batch/v1", "Job", parallelism=6)
    assert rendered(work_queue, replicas=2, job_completions=4)["spec"] == {"parallelism": 2}


def test_replicas_that_are_not_integers_fail() -> None:
    with pytest.raises(RenderError, match=r"spec.replicas is of the type str"):
        rendered(workload("apps/v1", "Deployment", replicas="3"), replicas=1)


def test_an_override_on_replicas_beats_the_scheduler() -> None:
    policy = op(
        "pin", {"plaintext": [{"path": "/spec/replicas", "operator": "replace", "value": 1}]}
    )
    assert (
        rendered(workload("apps/v1", "Deployment", replicas=10), replicas=7, ops=[policy])["spec"][
            "replicas"
        ]
        == 1
    )


def test_the_template_is_never_modified() -> None:
    template = workload(
        "apps/v1",
        "Deployment",
        replicas=10,
        template={"spec": {"containers": [{"name": "app", "image": "app:1", "args": ["a"]}]}},
    )
    template["metadata"]["labels"] = {"app": "a"}
    template["data"] = {"doc": '{"a":1}'}
    before = copy.deepcopy(template)
    overriders = {
        "imageOverrider": [{"component": "Registry", "operator": "add", "value": "r.io"}],
        "commandOverrider": [{"containerName": "app", "operator": "add", "value": ["run"]}],
        "argsOverrider": [{"containerName": "app", "operator": "remove", "value": ["a"]}],
        "labelsOverrider": [{"operator": "replace", "value": {"app": "b"}}],
        "annotationsOverrider": [{"operator": "add", "value": {"x": "y"}}],
        "fieldOverrider": [
            {
                "fieldPath": "/data/doc",
                "json": [{"subPath": "/a", "operator": "replace", "value": 2}],
            }
        ],
        "plaintext": [{"path": "/spec/paused", "operator": "add", "value": True}],
    }
    result = rendered(template, replicas=3, cops=[cop("c", overriders)], ops=[op("o", overriders)])
    assert template == before
    assert result["spec"]["replicas"] == 3
    assert result["spec"]["template"]["spec"]["containers"][0] == {
        "name": "app",
        "image": "r.ior.io/app:1",
        "args": [],
        "command": ["run", "run"],
    }


def test_applied_policies_are_recorded_in_karmadas_format() -> None:
    plaintext_remove = {"plaintext": [{"path": "/metadata/annotations/gone", "operator": "remove"}]}
    labels = {"labelsOverrider": [{"operator": "add", "value": {"b": "2", "a": "1&<>"}}]}
    image = {
        "imageOverrider": [
            {"predicate": {"path": "/spec/image"}, "component": "Tag", "operator": "remove"}
        ]
    }
    template = workload("apps/v1", "Deployment", image="app:1")
    template["metadata"]["annotations"] = {"gone": "soon"}
    result = rendered(
        template,
        cops=[cop("zeta", labels), cop("alpha", image)],
        ops=[op("only", plaintext_remove)],
    )
    annotations = result["metadata"]["annotations"]
    assert annotations[APPLIED_CLUSTER_OVERRIDES_ANNOTATION] == (
        '[{"policyName":"alpha","overriders":{"imageOverrider":[{"predicate":{"path":"/spec/image"},'
        '"component":"Tag","operator":"remove"}]}},'
        '{"policyName":"zeta","overriders":{"labelsOverrider":[{"operator":"add",'
        '"value":{"a":"1\\u0026\\u003c\\u003e","b":"2"}}]}}]'
    )
    assert annotations[APPLIED_OVERRIDES_ANNOTATION] == (
        '[{"policyName":"only","overriders":{"plaintext":'
        '[{"path":"/metadata/annotations/gone","operator":"remove","value":null}]}}]'
    )
    assert "gone" not in annotations
    assert result["spec"]["image"] == "app"


def test_one_item_per_applied_rule_sorted_by_policy_name() -> None:
    policy = OverridePolicy.model_validate(
        {
            "metadata": {"name": "b", "namespace": "default"},
            "spec": {
                "overrideRules": [
                    {
                        "overriders": {
                            "plaintext": [
                                {"path": "/x", "operator": "add", "value": {"z": 1, "y": 2.0}}
                            ]
                        }
                    },
                    {
                        "targetCluster": {"clusterNames": ["elsewhere"]},
                        "overriders": {"plaintext": []},
                    },
                    {
                        "overriders": {
                            "commandOverrider": [{"containerName": "c", "operator": "remove"}],
                            "fieldOverrider": [
                                {
                                    "fieldPath": "/d",
                                    "yaml": [{"subPath": "/k", "operator": "remove"}],
                                }
                            ],
                        }
                    },
                ]
            },
        }
    )
    other = op("a", {"argsOverrider": [{"containerName": "c", "operator": "add", "value": ["-v"]}]})
    template = workload("apps/v1", "Deployment")
    matched = matching_rules(resource=template, cluster=MEMBER, policies=[policy, other])
    assert json.loads(applied_overrides_annotation(matched) or "") == [
        {
            "policyName": "a",
            "overriders": {
                "argsOverrider": [{"containerName": "c", "operator": "add", "value": ["-v"]}]
            },
        },
        {
            "policyName": "b",
            "overriders": {
                "plaintext": [{"path": "/x", "operator": "add", "value": {"y": 2, "z": 1}}]
            },
        },
        {
            "policyName": "b",
            "overriders": {
                "commandOverrider": [{"containerName": "c", "operator": "remove"}],
                "fieldOverrider": [
                    {
                        "fieldPath": "/d",
                        "yaml": [{"subPath": "/k", "operator": "remove", "value": None}],
                    }
                ],
            },
        },
    ]
    assert '"value":{"y":2,"z":1}' in (applied_overrides_annotation(matched) or "")


def test_no_annotation_when_nothing_applied() -> None:
    policy = op("p", {"plaintext": []}, resourceSelectors=[{"apiVersion": "v1", "kind": "Pod"}])
    result = rendered(workload("apps/v1", "Deployment"), ops=[policy])
    assert "annotations" not in result["metadata"]
    assert applied_overrides_annotation([]) is None


def test_an_error_names_policy_rule_overrider_and_path() -> None:
    failing = OverridePolicy.model_validate(
        {
            "metadata": {"name": "broken", "namespace": "default"},
            "spec": {
                "overrideRules": [
                    {
                        "overriders": {
                            "plaintext": [{"path": "/spec/a", "operator": "add", "value": 1}]
                        }
                    },
                    {
                        "overriders": {
                            "plaintext": [
                                {"path": "/spec/missing/b", "operator": "add", "value": 1}
                            ]
                        }
                    },
                ]
            },
        }
    )
    with pytest.raises(OverrideError) as caught:
        rendered(workload("apps/v1", "Deployment"), ops=[failing])
    error = caught.value
    assert (error.policy, error.rule, error.overrider, error.path) == (
        "OverridePolicy default/broken",
        "spec.overrideRules[1]",
        "plaintext[0]",
        "/spec/missing/b",
    )
    assert str(error).startswith(
        "OverridePolicy default/broken: spec.overrideRules[1].plaintext[0] at /spec/missing/b: "
    )


def test_an_error_in_the_deprecated_form_names_the_spec() -> None:
    legacy = ClusterOverridePolicy.model_validate(
        {
            "metadata": {"name": "legacy"},
            "spec": {
                "overriders": {
                    "plaintext": [{"path": "/nope/x", "operator": "replace", "value": 1}]
                }
            },
        }
    )
    with pytest.raises(
        OverrideError, match=r"^ClusterOverridePolicy legacy: spec\.plaintext\[0\] at /nope/x"
    ):
        rendered(workload("apps/v1", "Deployment"), cops=[legacy])


def test_kurator_policies_render_like_their_karmada_form() -> None:
    kurator = KuratorOverridePolicy.model_validate(
        {
            "apiVersion": "policy.kurator.dev/v1alpha1",
            "kind": "OverridePolicy",
            "metadata": {"name": "k", "namespace": "default"},
            "spec": {
                "overrideRules": [
                    {
                        "targetClusters": {"labelSelector": {"matchLabels": {"env": "dr"}}},
                        "overrides": [
                            {"path": "/spec/replicas", "value": 1},
                            {"path": "/spec/paused", "value": True, "op": "add"},
                        ],
                    }
                ]
            },
        }
    )
    result = rendered(workload("apps/v1", "Deployment", replicas=5), replicas=5, ops=[kurator])
    assert result["spec"] == {"replicas": 1, "paused": True}
    assert (
        json.loads(result["metadata"]["annotations"][APPLIED_OVERRIDES_ANNOTATION])[0]["policyName"]
        == "k"
    )


def test_kurator_replace_on_a_missing_path_fails_loudly() -> None:
    kurator = KuratorOverridePolicy.model_validate(
        {
            "metadata": {"name": "k", "namespace": "default"},
            "spec": {"overrideRules": [{"overrides": [{"path": "/spec/replica", "value": 1}]}]},
        }
    )
    with pytest.raises(OverrideError, match="replace operation does not apply"):
        rendered(workload("apps/v1", "Deployment", replicas=5), ops=[kurator])
