"""imageOverrider patches on workloads, ported from Karmada's
pkg/util/overridemanager/imageoverride_test.go (TestParseJSONPatchesByImageOverrider)."""

import re
from typing import Any

import pytest

from shared.api.overrides import ImageOverrider, Overriders
from shared.overriding.rendering import (
    OverrideError,
    apply_overriders,
    build_image_patches,
)

DIGEST = "sha256:dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c"
TEMPLATE_IMAGE = "/spec/template/spec/containers/0/image"


def pod_template_workload(kind: str, *images: str, api_version: str = "apps/v1") -> dict[str, Any]:
    containers = [{"name": "nginx", "image": image} for image in images]
    return {
        "apiVersion": api_version,
        "kind": kind,
        "metadata": {"name": "nginx", "labels": {"app": "nginx"}},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": "nginx"}},
            "template": {
                "metadata": {"labels": {"app": "nginx"}},
                "spec": {"containers": containers},
            },
        },
    }


def pod(*images: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "nginx"},
        "spec": {"containers": [{"name": "nginx", "image": image} for image in images]},
    }


def job() -> dict[str, Any]:
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": "pi"},
        "spec": {"template": {"spec": {"containers": [{"name": "perl", "image": "perl:5.34.0"}]}}},
    }


def image(
    component: str, operator: str, value: str = "", path: str | None = None
) -> ImageOverrider:
    return ImageOverrider.model_validate(
        {"component": component, "operator": operator, "value": value}
        | ({"predicate": {"path": path}} if path is not None else {})
    )


def replace(path: str, value: str) -> dict[str, Any]:
    return {"op": "replace", "path": path, "value": value}


DEPLOYMENT = pod_template_workload("Deployment", "fictional.registry.example/imagename:v1.0.0")


@pytest.mark.parametrize(
    ("manifest", "overrider", "expected"),
    [
        pytest.param(
            job(),
            image("Registry", "add", "registry.k8s.io"),
            [replace(TEMPLATE_IMAGE, "registry.k8s.io/perl:5.34.0")],
            id="job-registry-add",
        ),
        pytest.param(
            job(),
            image("Registry", "add", "registry.k8s.io", path=TEMPLATE_IMAGE),
            [replace(TEMPLATE_IMAGE, "registry.k8s.io/perl:5.34.0")],
            id="job-registry-add-with-predicate",
        ),
        pytest.param(
            DEPLOYMENT,
            image("Registry", "add", ".test"),
            [replace(TEMPLATE_IMAGE, "fictional.registry.example.test/imagename:v1.0.0")],
            id="deployment-registry-add",
        ),
        pytest.param(
            DEPLOYMENT,
            image("Registry", "replace", "fictional.registry.us"),
            [replace(TEMPLATE_IMAGE, "fictional.registry.us/imagename:v1.0.0")],
            id="deployment-registry-replace",
        ),
        pytest.param(
            DEPLOYMENT,
            image("Registry", "remove", "fictional.registry.us"),
            [replace(TEMPLATE_IMAGE, "imagename:v1.0.0")],
            id="deployment-registry-remove",
        ),
        pytest.param(
            DEPLOYMENT,
            image("Repository", "add", "/nginx"),
            [replace(TEMPLATE_IMAGE, "fictional.registry.example/imagename/nginx:v1.0.0")],
            id="deployment-repository-add",
        ),
        pytest.param(
            DEPLOYMENT,
            image("Repository", "replace", "nginx"),
            [replace(TEMPLATE_IMAGE, "fictional.registry.example/nginx:v1.0.0")],
            id="deployment-repository-replace",
        ),
        pytest.param(
            DEPLOYMENT,
            image("Repository", "remove", "nginx"),
            [replace(TEMPLATE_IMAGE, "fictional.registry.example/:v1.0.0")],
            id="deployment-repository-remove",
        ),
        pytest.param(
            DEPLOYMENT,
            image("Tag", "add", DIGEST),
            [replace(TEMPLATE_IMAGE, "fictional.registry.example/imagename:v1.0.0")],
            id="deployment-tag-add-digest-is-ignored",
        ),
        pytest.param(
            DEPLOYMENT,
            image("Tag", "replace", DIGEST),
            [replace(TEMPLATE_IMAGE, f"fictional.registry.example/imagename@{DIGEST}")],
            id="deployment-tag-replace-with-digest",
        ),
        pytest.param(
            DEPLOYMENT,
            image("Tag", "remove", DIGEST),
            [replace(TEMPLATE_IMAGE, "fictional.registry.example/imagename")],
            id="deployment-tag-remove",
        ),
        pytest.param(
            pod("fictional.registry.example/imagename:v1.0.0"),
            image("Repository", "replace", "nginx"),
            [replace("/spec/containers/0/image", "fictional.registry.example/nginx:v1.0.0")],
            id="pod",
        ),
        *(
            pytest.param(
                pod_template_workload(kind, "fictional.registry.example/imagename:v1.0.0"),
                image("Repository", "replace", "nginx"),
                [replace(TEMPLATE_IMAGE, "fictional.registry.example/nginx:v1.0.0")],
                id=kind,
            )
            for kind in ("StatefulSet", "ReplicaSet", "DaemonSet")
        ),
        pytest.param(
            pod_template_workload(
                "Deployment",
                "fictional.registry.example/imagename:v1.0.0",
                "registry.k8s.io/nginx-slim:0.8",
            ),
            image("Repository", "replace", "nginx"),
            [
                replace(TEMPLATE_IMAGE, "fictional.registry.example/nginx:v1.0.0"),
                replace("/spec/template/spec/containers/1/image", "registry.k8s.io/nginx:0.8"),
            ],
            id="every-container-without-predicate",
        ),
        pytest.param(
            DEPLOYMENT,
            image("Repository", "replace", "nginx", path=TEMPLATE_IMAGE),
            [replace(TEMPLATE_IMAGE, "fictional.registry.example/nginx:v1.0.0")],
            id="predicate-one-container",
        ),
        pytest.param(
            pod_template_workload(
                "Deployment",
                "fictional.registry.example/imagename:v1.0.0",
                "registry.k8s.io/nginx-slim:0.8",
            ),
            image("Repository", "replace", "nginx", path="/spec/template/spec/containers/1/image"),
            [replace("/spec/template/spec/containers/1/image", "registry.k8s.io/nginx:0.8")],
            id="predicate-selects-the-second-container",
        ),
        pytest.param(
            {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "c"}},
            image("Registry", "replace", "mirror.example"),
            [],
            id="unknown-kind-untouched",
        ),
        pytest.param(
            {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"}},
            image("Registry", "replace", "mirror.example"),
            [],
            id="no-containers-no-patches",
        ),
    ],
)
def test_build_image_patches(
    manifest: dict[str, Any], overrider: ImageOverrider, expected: list[dict[str, Any]]
) -> None:
    assert build_image_patches(manifest, overrider) == expected


def test_init_containers_are_never_touched_without_a_predicate() -> None:
    manifest = pod_template_workload("Deployment", "app:1")
    manifest["spec"]["template"]["spec"]["initContainers"] = [{"name": "init", "image": "init:1"}]
    rendered = apply_overriders(
        manifest, Overriders(image_overrider=[image("Registry", "replace", "mirror.example")])
    )
    pod_spec = rendered["spec"]["template"]["spec"]
    assert pod_spec["containers"][0]["image"] == "mirror.example/app:1"
    assert pod_spec["initContainers"][0]["image"] == "init:1"


def test_a_predicate_reaches_init_containers_and_custom_kinds() -> None:
    manifest = {
        "apiVersion": "example.io/v1",
        "kind": "Workflow",
        "metadata": {"name": "w"},
        "spec": {"steps": [{"runner": {"image": "runner:1"}}]},
    }
    overrider = image("Tag", "replace", "2", path="/spec/steps/0/runner/image")
    assert build_image_patches(manifest, overrider) == [
        replace("/spec/steps/0/runner/image", "runner:2")
    ]


def test_overriders_apply_one_after_another() -> None:
    rendered = apply_overriders(
        DEPLOYMENT,
        Overriders(
            image_overrider=[
                image("Registry", "replace", "mirror.example"),
                image("Repository", "add", "-slim"),
                image("Tag", "replace", "v2"),
            ]
        ),
    )
    assert rendered["spec"]["template"]["spec"]["containers"][0]["image"] == (
        "mirror.example/imagename-slim:v2"
    )
    assert DEPLOYMENT["spec"]["template"]["spec"]["containers"][0]["image"] == (
        "fictional.registry.example/imagename:v1.0.0"
    )


@pytest.mark.parametrize(
    ("manifest", "overrider", "reason"),
    [
        pytest.param(
            DEPLOYMENT,
            image("Tag", "replace", "v2", path="/spec/template/spec/containers/3/image"),
            "failed to obtain imageValue with predicate path",
            id="predicate-index-out-of-range",
        ),
        pytest.param(
            DEPLOYMENT,
            image("Tag", "replace", "v2", path="/spec/template/spec/missing/image"),
            "failed to obtain imageValue with predicate path",
            id="predicate-missing-key",
        ),
        pytest.param(
            DEPLOYMENT,
            image("Tag", "replace", "v2", path="/spec/replicas"),
            "failed to convert path(replicas) to string",
            id="predicate-not-a-string",
        ),
        pytest.param(
            DEPLOYMENT,
            image("Tag", "replace", "v2", path="spec/template/spec/containers/0/image"),
            "imagePath should be start with / character",
            id="predicate-without-leading-slash",
        ),
        pytest.param(
            pod_template_workload("Deployment", "Not An Image"),
            image("Tag", "replace", "v2"),
            "failed to parse image value",
            id="unparsable-image",
        ),
        pytest.param(
            {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": {"name": "d"},
                "spec": {"template": {"spec": {"containers": [{"name": "no-image"}]}}},
            },
            image("Tag", "replace", "v2"),
            "repository name must have at least one component",
            id="container-without-image",
        ),
    ],
)
def test_image_overrider_errors(
    manifest: dict[str, Any], overrider: ImageOverrider, reason: str
) -> None:
    with pytest.raises(OverrideError, match=re.escape(reason)):
        build_image_patches(manifest, overrider)
