"""Restore-time rewrites, ported from vmware-tanzu/velero pkg/restore/restore_test.go
(TestResetMetadata, TestResetStatus) and pkg/restore/actions/service_action_test.go
(TestServiceActionExecute), pod_action_test.go."""

import json
from typing import Any

import pytest

from services.backup.filtering import IncludesExcludes
from services.backup.preparing import (
    LAST_APPLIED_ANNOTATION,
    AdditionalItem,
    RestoreItemError,
    namespace_for_restore,
    prepare_for_restore,
    prepare_pod,
    prepare_service,
    reset_metadata,
    restores_status,
    target_namespace,
    valid_label_value,
)

ALL_METADATA: dict[str, Any] = {
    "name": "n",
    "namespace": "ns",
    "labels": {"a": "b"},
    "annotations": {"c": "d"},
    "managedFields": [{"manager": "kubectl"}],
    "finalizers": ["f"],
    "uid": "u",
    "ownerReferences": [{"kind": "ReplicaSet"}],
    "resourceVersion": "7",
    "generation": 3,
    "creationTimestamp": "2024-01-01T00:00:00Z",
    "deletionTimestamp": "2024-01-02T00:00:00Z",
    "deletionGracePeriodSeconds": 30,
    "selfLink": "/api/v1/x",
    "generateName": "n-",
}


def test_reset_metadata_keeps_user_metadata_and_drops_server_fields() -> None:
    obj = {"metadata": dict(ALL_METADATA), "status": {"phase": "Running"}}
    reset_metadata(obj)
    assert obj == {
        "metadata": {
            "name": "n",
            "namespace": "ns",
            "labels": {"a": "b"},
            "annotations": {"c": "d"},
            "managedFields": [{"manager": "kubectl"}],
            "finalizers": ["f"],
        },
        "status": {"phase": "Running"},
    }


@pytest.mark.parametrize(
    ("obj", "message"),
    [({}, "metadata not found"), ({"metadata": "x"}, "metadata was of type str")],
)
def test_reset_metadata_errors(obj: dict[str, Any], message: str) -> None:
    with pytest.raises(RestoreItemError, match=message):
        reset_metadata(obj)


def with_annotation(value: str | None) -> dict[str, Any]:
    annotations = {} if value is None else {"velero.io/restore-status": value}
    return {"metadata": {"name": "x", "annotations": annotations}}


@pytest.mark.parametrize(
    ("restore_status", "annotation", "want"),
    [
        (None, None, False),
        (IncludesExcludes.of([], []), None, True),
        (IncludesExcludes.of(["deployments.apps"], []), None, True),
        (IncludesExcludes.of(["pods"], []), None, False),
        (IncludesExcludes.of([], ["deployments.apps"]), None, False),
        (None, "true", True),
        (IncludesExcludes.of([], []), " FALSE ", False),
        (IncludesExcludes.of([], []), "maybe", True),
    ],
)
def test_restores_status(
    restore_status: IncludesExcludes | None, annotation: str | None, want: bool
) -> None:
    obj = with_annotation(annotation)
    assert (
        restores_status(obj, group_resource="deployments.apps", restore_status=restore_status)
        is want
    )


def service(spec: dict[str, Any], metadata: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"metadata": {"name": "svc-1", **(metadata or {})}, "spec": spec}


def applied(*ports: dict[str, Any]) -> dict[str, Any]:
    text = json.dumps({"spec": {"healthCheckNodePort": 8080, "ports": list(ports)}})
    return {"annotations": {LAST_APPLIED_ANNOTATION: text}}


def managed(fields: dict[str, Any]) -> dict[str, Any]:
    return {"managedFields": [{"fieldsV1": {"f:spec": fields}}]}


PORTS_80_443 = {
    'k:{"port":443,"protocol":"TCP"}': {".": {}, "f:name": {}, "f:port": {}},
    'k:{"port":80,"protocol":"TCP"}': {".": {}, "f:name": {}, "f:port": {}},
}
PORTS_80_443_WITH_NODE_PORTS = {
    key: {**value, "f:nodePort": {}} for key, value in PORTS_80_443.items()
}


# service_action_test.go TestServiceActionExecute
@pytest.mark.parametrize(
    ("obj", "preserve", "want_spec"),
    [
        (
            service({"clusterIP": "10.0.0.1", "clusterIPs": ["10.0.0.1"]}),
            None,
            {},
        ),
        (service({"clusterIP": "None"}), None, {"clusterIP": "None"}),
        (
            service({"ports": [{"name": "a", "nodePort": 8080}, {"name": "b", "nodePort": 9090}]}),
            None,
            {"ports": [{"name": "a"}, {"name": "b"}]},
        ),
        (
            service({"ports": [{"nodePort": 8080}]}, applied()),
            None,
            {"ports": [{}]},
        ),
        (
            service(
                {"ports": [{"nodePort": 8080}, {"nodePort": 9090}]}, applied({"nodePort": 8080})
            ),
            None,
            {"ports": [{"nodePort": 8080}, {}]},
        ),
        (
            service({"ports": [{"nodePort": 8080}]}, applied({"name": "http", "nodePort": 8080})),
            None,
            {"ports": [{}]},
        ),
        (
            service({"ports": [{"nodePort": 8080}]}, applied({"name": "http", "nodePort": "8080"})),
            None,
            {"ports": [{}]},
        ),
        (
            service(
                {
                    "ports": [
                        {"name": "http", "nodePort": 8080},
                        {"name": "admin", "nodePort": 9090},
                    ]
                },
                applied({"name": "http", "nodePort": 8080}),
            ),
            None,
            {"ports": [{"name": "http", "nodePort": 8080}, {"name": "admin"}]},
        ),
        (
            service({"ports": [{"name": "http", "nodePort": 8080}]}),
            True,
            {"ports": [{"name": "http", "nodePort": 8080}]},
        ),
        (
            service(
                {
                    "ports": [
                        {"name": "http", "port": 80, "protocol": "TCP", "nodePort": 30000},
                        {"name": "https", "port": 443, "protocol": "TCP", "nodePort": 30002},
                    ]
                },
                managed({"f:ports": PORTS_80_443}),
            ),
            None,
            {
                "ports": [
                    {"name": "http", "port": 80, "protocol": "TCP"},
                    {"name": "https", "port": 443, "protocol": "TCP"},
                ]
            },
        ),
        (
            service(
                {
                    "ports": [
                        {"name": "http", "port": 80, "protocol": "TCP", "nodePort": 30000},
                        {"name": "https", "port": 443, "protocol": "TCP", "nodePort": 30002},
                    ]
                },
                managed({"f:ports": PORTS_80_443_WITH_NODE_PORTS}),
            ),
            None,
            {
                "ports": [
                    {"name": "http", "port": 80, "protocol": "TCP", "nodePort": 30000},
                    {"name": "https", "port": 443, "protocol": "TCP", "nodePort": 30002},
                ]
            },
        ),
        (
            service({"type": "ExternalName", "ports": [{"nodePort": 8080}]}),
            None,
            {"type": "ExternalName", "ports": [{"nodePort": 8080}]},
        ),
    ],
)
def test_service_rules(
    obj: dict[str, Any], preserve: bool | None, want_spec: dict[str, Any]
) -> None:
    assert prepare_service(obj, preserve_node_ports=preserve)["spec"] == want_spec


LOCAL_LB = {"type": "LoadBalancer", "externalTrafficPolicy": "Local", "healthCheckNodePort": 8080}


@pytest.mark.parametrize(
    ("obj", "preserve", "kept"),
    [
        (service(dict(LOCAL_LB)), True, True),
        (service(dict(LOCAL_LB)), False, False),
        (service({**LOCAL_LB, "externalTrafficPolicy": "Cluster"}), False, True),
        (service(dict(LOCAL_LB), applied()), False, True),
        (service(dict(LOCAL_LB), managed({"f:healthCheckNodePort": {}})), False, True),
        (
            service(
                dict(LOCAL_LB),
                {"annotations": {LAST_APPLIED_ANNOTATION: '{"spec":{"healthCheckNodePort":null}}'}},
            ),
            False,
            False,
        ),
    ],
)
def test_health_check_node_port(obj: dict[str, Any], preserve: bool, kept: bool) -> None:
    spec = prepare_service(obj, preserve_node_ports=preserve)["spec"]
    assert ("healthCheckNodePort" in spec) is kept


def test_unparseable_last_applied_configuration_is_an_item_error() -> None:
    obj = service({"ports": [{"nodePort": 1}]}, {"annotations": {LAST_APPLIED_ANNOTATION: "{"}})
    with pytest.raises(RestoreItemError, match="last-applied-configuration is not JSON"):
        prepare_service(obj, preserve_node_ports=None)


def test_pod_rules() -> None:
    pod = {
        "metadata": {"name": "p"},
        "spec": {
            "nodeName": "node-1",
            "priority": 1000,
            "priorityClassName": "high",
            "serviceAccountName": "app",
            "volumes": [{"name": "app-token-abcde"}, {"name": "data"}],
            "containers": [
                {"name": "c", "volumeMounts": [{"name": "app-token-abcde"}, {"name": "data"}]}
            ],
            "initContainers": [{"name": "i", "volumeMounts": [{"name": "app-token-abcde"}]}],
        },
    }
    prepared, extra = prepare_pod(pod)
    assert prepared["spec"] == {
        "priorityClassName": "high",
        "serviceAccountName": "app",
        "volumes": [{"name": "data"}],
        "containers": [{"name": "c", "volumeMounts": [{"name": "data"}]}],
        "initContainers": [{"name": "i"}],
    }
    assert extra == [
        AdditionalItem(group_resource="priorityclasses.scheduling.k8s.io", name="high")
    ]


def test_label_values_longer_than_63_characters_are_hashed() -> None:
    assert valid_label_value("short") == "short"
    long = "a" * 70
    assert len(valid_label_value(long)) == 63
    assert valid_label_value(long).startswith("a" * 57)
    assert valid_label_value(long) != valid_label_value("a" * 71)


def test_namespace_mapping() -> None:
    assert target_namespace("src", {"src": "dst"}) == "dst"
    assert target_namespace("other", {"src": "dst"}) == "other"
    assert target_namespace("x", None) == "x"


def test_namespace_for_restore_keeps_labels_annotations_spec() -> None:
    backed_up = {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": "src", "uid": "u", "labels": {"team": "a"}, "annotations": {"x": "y"}},
        "spec": {"finalizers": ["kubernetes"]},
        "status": {"phase": "Active"},
    }
    assert namespace_for_restore(backed_up, name="dst") == {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": "dst", "labels": {"team": "a"}, "annotations": {"x": "y"}},
        "spec": {"finalizers": ["kubernetes"]},
    }
    assert namespace_for_restore(None, name="dst") == {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": "dst"},
    }


def test_prepare_for_restore_end_to_end() -> None:
    backed_up = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {**ALL_METADATA, "namespace": "src"},
        "spec": {"replicas": 2},
        "status": {"readyReplicas": 2},
    }
    original = json.loads(json.dumps(backed_up))
    prepared = prepare_for_restore(
        backed_up,
        group_resource="deployments.apps",
        namespace_mapping={"src": "dst"},
        restore_status=IncludesExcludes.of(["deployments.apps"], []),
        preserve_node_ports=None,
        backup_name="nightly",
        restore_name="nightly-20240101000000",
    )
    assert backed_up == original
    assert prepared.object["metadata"]["namespace"] == "dst"
    assert prepared.object["metadata"]["labels"] == {
        "a": "b",
        "velero.io/backup-name": "nightly",
        "velero.io/restore-name": "nightly-20240101000000",
    }
    assert "status" not in prepared.object
    assert "uid" not in prepared.object["metadata"]
    assert prepared.status == {"readyReplicas": 2}
    without = prepare_for_restore(
        backed_up,
        group_resource="deployments.apps",
        namespace_mapping=None,
        restore_status=None,
        preserve_node_ports=None,
        backup_name="b",
        restore_name="r",
    )
    assert without.status is None
    assert without.object["metadata"]["namespace"] == "src"
