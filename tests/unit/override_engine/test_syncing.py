"""Desired manifests, drift decisions and workload dependencies."""

import pytest

from services.override_engine.syncing import (
    HASH_ANNOTATION,
    contained,
    dependencies,
    desired_manifest,
    drifted,
    retain_member_fields,
)
from services.override_engine.works import (
    BINDING_ANNOTATION,
    MANAGED_BY_LABEL,
    BindingKey,
    ManifestId,
)

KEY = BindingKey("ResourceBinding", "default", "nginx-deployment")


def rendered(image: str = "nginx:1.25", replicas: int = 3) -> dict:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": "nginx",
            "namespace": "default",
            "uid": "u-1",
            "resourceVersion": "17",
            "generation": 4,
            "labels": {"app": "nginx"},
            "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{}"},
            "finalizers": ["navarch.dev/override-engine"],
        },
        "spec": {
            "replicas": replicas,
            "template": {"spec": {"containers": [{"name": "nginx", "image": image}]}},
        },
        "status": {"readyReplicas": 3},
    }


def test_desired_manifest_keeps_user_metadata_and_marks_ownership() -> None:
    manifest = desired_manifest(rendered(), binding=KEY)
    metadata = manifest["metadata"]
    assert set(metadata) == {"name", "namespace", "labels", "annotations"}
    assert metadata["labels"] == {"app": "nginx", MANAGED_BY_LABEL: "navarch"}
    assert metadata["annotations"][BINDING_ANNOTATION] == "ResourceBinding/default/nginx-deployment"
    assert "kubectl.kubernetes.io/last-applied-configuration" not in metadata["annotations"]
    assert "status" not in manifest


def test_the_hash_changes_with_the_content_only() -> None:
    first = desired_manifest(rendered(), binding=KEY)["metadata"]["annotations"][HASH_ANNOTATION]
    same = desired_manifest(rendered(), binding=KEY)["metadata"]["annotations"][HASH_ANNOTATION]
    other = desired_manifest(rendered(image="nginx:1.26"), binding=KEY)
    assert first == same != other["metadata"]["annotations"][HASH_ANNOTATION]


def live_of(manifest: dict) -> dict:
    """The member's copy: defaults, status and another manager's fields added."""
    live = {**manifest, "metadata": dict(manifest["metadata"], uid="m-1", resourceVersion="9")}
    live["metadata"]["labels"] = dict(manifest["metadata"]["labels"], local="yes")
    spec = dict(manifest["spec"], progressDeadlineSeconds=600)
    container = dict(spec["template"]["spec"]["containers"][0], imagePullPolicy="IfNotPresent")
    spec["template"] = {"spec": {"containers": [container]}}
    live["spec"] = spec
    live["status"] = {"replicas": 3}
    return live


def test_defaults_and_foreign_fields_are_not_drift() -> None:
    manifest = desired_manifest(rendered(), binding=KEY)
    assert not drifted(manifest, live_of(manifest))


@pytest.mark.parametrize(
    "change",
    [
        lambda live: live["spec"].update(replicas=1),
        lambda live: live["spec"]["template"]["spec"]["containers"][0].update(image="evil:1"),
        lambda live: live["metadata"]["labels"].pop("app"),
        lambda live: live["spec"]["template"]["spec"]["containers"].append({"name": "x"}),
    ],
)
def test_a_changed_owned_field_is_drift(change) -> None:  # type: ignore[no-untyped-def]
    manifest = desired_manifest(rendered(), binding=KEY)
    live = live_of(manifest)
    change(live)
    assert drifted(manifest, live)


def test_missing_or_deleting_objects_need_an_apply() -> None:
    manifest = desired_manifest(rendered(), binding=KEY)
    assert drifted(manifest, None)
    deleting = live_of(manifest)
    deleting["metadata"]["deletionTimestamp"] = "2024-01-01T00:00:00Z"
    assert drifted(manifest, deleting)


def test_empty_desired_values_match_absent_live_ones() -> None:
    assert contained({"a": {}, "b": [], "c": None}, {})
    assert not contained({"a": 1}, {})
    assert not contained({"flag": True}, {"flag": 1})


def test_retain_replicas_sends_the_members_count_back() -> None:
    manifest = rendered()
    manifest["metadata"]["labels"]["resourcetemplate.karmada.io/retain-replicas"] = "true"
    desired = desired_manifest(manifest, binding=KEY)
    live = live_of(desired)
    live["spec"]["replicas"] = 7
    retained = retain_member_fields(desired, live)
    assert retained["spec"]["replicas"] == 7
    assert not drifted(retained, live)


def test_without_the_label_replicas_are_navarchs() -> None:
    desired = desired_manifest(rendered(), binding=KEY)
    live = live_of(desired)
    live["spec"]["replicas"] = 7
    assert retain_member_fields(desired, live)["spec"]["replicas"] == 3


def test_dependencies_named_by_the_pod_template() -> None:
    workload = {
        "kind": "Deployment",
        "metadata": {"name": "app", "namespace": "shop"},
        "spec": {
            "template": {
                "spec": {
                    "serviceAccountName": "app-sa",
                    "imagePullSecrets": [{"name": "pull"}],
                    "volumes": [
                        {"name": "c", "configMap": {"name": "conf"}},
                        {"name": "s", "secret": {"secretName": "creds"}},
                        {"name": "d", "persistentVolumeClaim": {"claimName": "data"}},
                        {"name": "p", "projected": {"sources": [{"configMap": {"name": "extra"}}]}},
                    ],
                    "containers": [
                        {
                            "name": "app",
                            "env": [
                                {"name": "A", "valueFrom": {"secretKeyRef": {"name": "token"}}},
                                {"name": "B", "valueFrom": {"configMapKeyRef": {"name": "conf"}}},
                            ],
                            "envFrom": [{"configMapRef": {"name": "env"}}],
                        }
                    ],
                }
            }
        },
    }
    assert dependencies(workload) == [
        ManifestId("v1", kind, "shop", name)
        for kind, name in sorted(
            [
                ("ConfigMap", "conf"),
                ("ConfigMap", "env"),
                ("ConfigMap", "extra"),
                ("PersistentVolumeClaim", "data"),
                ("Secret", "creds"),
                ("Secret", "pull"),
                ("Secret", "token"),
                ("ServiceAccount", "app-sa"),
            ]
        )
    ]


def test_the_default_service_account_is_not_a_dependency() -> None:
    pod = {"kind": "Pod", "metadata": {"namespace": "a"}, "spec": {"serviceAccountName": "default"}}
    assert dependencies(pod) == []
