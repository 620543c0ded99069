"""Built-in kinds decoded against their OpenAPI schemas, with kube-apiserver's verdicts."""

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from shared.kubeapi import statuses
from shared.kubeapi.admitting import admit, decode_body, warning_headers
from shared.kubeapi.decoding import decode
from shared.kubeapi.registry import hub_registry
from shared.kubeapi.schemas import definitions, kind_schema

Object = dict[str, Any]
REGISTRY = hub_registry()
DEPLOYMENT_KIND = REGISTRY.by_kind("apps/v1", "Deployment")
BACKUP_KIND = REGISTRY.by_kind("backup.kurator.dev/v1alpha1", "Backup")
EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
DEPLOYMENT: Object = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "web", "namespace": "default", "labels": {"app": "web"}},
    "spec": {
        "replicas": 3,
        "selector": {"matchLabels": {"app": "web"}},
        "strategy": {"rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 1}},
        "template": {
            "metadata": {"labels": {"app": "web"}},
            "spec": {
                "containers": [
                    {
                        "name": "web",
                        "image": "nginx:1.25",
                        "resources": {"requests": {"cpu": "100m", "memory": 1024}},
                    }
                ]
            },
        },
    },
}


def deployment(**spec: Any) -> Object:
    obj = copy.deepcopy(DEPLOYMENT)
    obj["spec"].update(spec)
    return obj


def decoded(obj: Object, definition: str = "io.k8s.api.apps.v1.Deployment") -> Any:
    return decode(obj, definition=definition, defs=definitions())


def test_a_valid_deployment_passes_the_compiled_check_and_the_walk() -> None:
    schema = kind_schema("apps", "v1", "Deployment")
    assert schema is not None and schema.valid(DEPLOYMENT)
    result = decoded(copy.deepcopy(DEPLOYMENT))
    assert (result.error, result.unknown, result.required) == (None, [], [])


@pytest.mark.parametrize(
    ("obj", "error"),
    [
        (
            deployment(replicas="three"),
            "json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas "
            "of type int32",
        ),
        (
            deployment(replicas=3_000_000_000),
            "json: cannot unmarshal number 3000000000 into Go struct field "
            "DeploymentSpec.spec.replicas of type int32",
        ),
        (
            deployment(replicas=1.5),
            "json: cannot unmarshal number 1.5 into Go struct field DeploymentSpec.spec.replicas "
            "of type int32",
        ),
        (
            {**DEPLOYMENT, "metadata": {"name": "web", "labels": ["a", "b"]}},
            "json: cannot unmarshal array into Go struct field ObjectMeta.metadata.labels of type "
            "map[string]string",
        ),
        (
            {**DEPLOYMENT, "spec": "everything"},
            "json: cannot unmarshal string into Go struct field Deployment.spec of type "
            "v1.DeploymentSpec",
        ),
        (
            deployment(strategy={"rollingUpdate": {"maxSurge": True}}),
            "json: cannot unmarshal bool into Go struct field "
            "RollingUpdateDeployment.spec.strategy.rollingUpdate.maxSurge of type "
            "intstr.IntOrString",
        ),
        (
            deployment(template={"spec": {"containers": ["web"]}}),
            "json: cannot unmarshal string into Go struct field "
            "PodSpec.spec.template.spec.containers of type v1.Container",
        ),
        (
            deployment(
                template={
                    "spec": {"containers": [{"name": "a", "resources": {"limits": {"cpu": "x"}}}]}
                }
            ),
            "quantities must match the regular expression "
            "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
        ),
    ],
)
def test_type_errors_are_the_go_decoders(obj: Object, error: str) -> None:
    schema = kind_schema("apps", "v1", "Deployment")
    assert schema is not None and not schema.valid(obj)
    assert decoded(copy.deepcopy(obj)).error == error


def test_unknown_fields_are_reported_with_their_paths_and_dropped() -> None:
    obj = deployment(foo=1)
    obj["spec"]["template"]["spec"]["containers"][0]["bar"] = {"x": 1}
    obj["status"] = {"replicas": 1, "zzz": True}
    obj["extra"] = "top"
    result = decoded(obj)
    assert result.unknown == [
        "spec.template.spec.containers[0].bar",
        "spec.foo",
        "status.zzz",
        "extra",
    ]
    assert "foo" not in obj["spec"] and "extra" not in obj and obj["status"] == {"replicas": 1}
    assert "bar" not in obj["spec"]["template"]["spec"]["containers"][0]


def test_required_fields_follow_kubernetes_validation() -> None:
    bare = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "x"}}
    assert kind_schema("apps", "v1", "Deployment").valid(bare) is False  # type: ignore[union-attr]
    assert decoded(bare).required == ["spec.selector", "spec.template.spec.containers"]
    nameless = deployment(template={"spec": {"containers": [{"image": "x"}]}})
    assert decoded(nameless).required == ["spec.template.spec.containers[0].name"]
    status_only = {**DEPLOYMENT, "status": {"conditions": [{"reason": "x"}]}}
    assert decoded(copy.deepcopy(status_only)).required == []


def test_secret_data_must_be_base64() -> None:
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "data": {"a": "!!"}}
    assert decoded(secret, "io.k8s.api.core.v1.Secret").error == (
        "illegal base64 data at input byte 0"
    )


def test_decode_body_answers_like_kube_apiserver() -> None:
    with pytest.raises(statuses.ApiError) as caught:
        decode_body(DEPLOYMENT_KIND, deployment(replicas="three"), mode="Warn")
    assert caught.value.code == 400
    assert caught.value.message == (
        'Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal '
        "string into Go struct field DeploymentSpec.spec.replicas of type int32"
    )
    with pytest.raises(statuses.ApiError) as caught:
        decode_body(DEPLOYMENT_KIND, deployment(foo=1, bar=2), mode="Strict")
    assert caught.value.message == (
        'Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: '
        'unknown field "spec.foo", unknown field "spec.bar"'
    )
    warned = deployment(foo=1)
    assert decode_body(DEPLOYMENT_KIND, warned, mode="Warn").warnings == [
        'unknown field "spec.foo"'
    ]
    assert "foo" not in warned["spec"]
    ignored = deployment(foo=1)
    assert decode_body(DEPLOYMENT_KIND, ignored, mode="Ignore").warnings == []
    assert "foo" not in ignored["spec"]


def test_custom_kinds_have_their_metadata_decoded() -> None:
    backup = {"metadata": {"name": "b", "namespace": "d", "labels": ["x"]}, "spec": {"any": 1}}
    with pytest.raises(statuses.ApiError) as caught:
        decode_body(BACKUP_KIND, backup, mode="Warn")
    assert caught.value.message == (
        'Backup in version "v1alpha1" cannot be handled as a Backup: json: cannot unmarshal array '
        "into Go struct field ObjectMeta.metadata.labels of type map[string]string"
    )
    assert admit(BACKUP_KIND, {"metadata": {"name": "b", "namespace": "d"}, "spec": {"x": 1}},
                 mode="Strict", creating=True).causes == []  # fmt: skip


def test_warning_headers_are_quoted_strings_with_nothing_that_breaks_the_line() -> None:
    assert warning_headers(['unknown field "spec.foo"', "a\r\nInjected: 1"]) == {
        "Warning": '299 - "unknown field \\"spec.foo\\"", 299 - "a??Injected: 1"'
    }
    assert warning_headers([]) == {}


def _builtin_documents() -> list[tuple[str, Object]]:
    found = []
    for path in sorted(EXAMPLES.glob("*.yaml")):
        for document in yaml.safe_load_all(path.read_text()):
            if not isinstance(document, dict) or "kind" not in document:
                continue
            kind = REGISTRY.by_kind(document.get("apiVersion", ""), document["kind"])
            if kind is not None and kind.builtin:
                found.append((f"{path.name}:{document['kind']}", document))
    return found


@pytest.mark.parametrize(("where", "document"), _builtin_documents())
def test_every_example_manifest_is_valid(where: str, document: Object) -> None:
    kind = REGISTRY.by_kind(document["apiVersion"], document["kind"])
    assert kind is not None
    document.setdefault("metadata", {}).setdefault("namespace", "default")
    admission = admit(kind, copy.deepcopy(document), mode="Strict", creating=True)
    assert admission.causes == [], where
