"""Where overriders find pod specs and containers, with apimachinery's errors."""

from typing import Any

import pytest

from shared.overriding.errors import OverrideError
from shared.overriding.podspecs import POD_SPEC_PATHS, nested_field, pod_containers


@pytest.mark.parametrize(
    ("obj", "keys", "found"),
    [
        ({"spec": {"replicas": 2}}, ["spec", "replicas"], (2, True)),
        ({"spec": {}}, ["spec", "replicas"], (None, False)),
        ({}, ["spec", "replicas"], (None, False)),
    ],
)
def test_nested_field_finds_or_reports_absence(
    obj: dict[str, Any], keys: list[str], found: tuple[Any, bool]
) -> None:
    assert nested_field(obj, keys) == found


def test_nested_field_refuses_a_non_object_on_the_way() -> None:
    with pytest.raises(OverrideError) as error:
        nested_field({"spec": {"template": "text"}}, ["spec", "template", "spec"])
    assert error.value.reason == "spec.template is of the type str, expected map"


def test_pod_containers_of_known_kinds() -> None:
    deployment = {"spec": {"template": {"spec": {"containers": [{"name": "app"}]}}}}
    assert pod_containers(deployment, POD_SPEC_PATHS["Deployment"]) == [{"name": "app"}]
    assert pod_containers({"spec": {}}, POD_SPEC_PATHS["Pod"]) == []
    assert "CronJob" not in POD_SPEC_PATHS
    with pytest.raises(OverrideError) as error:
        pod_containers({"spec": {"containers": {"app": {}}}}, POD_SPEC_PATHS["Pod"])
    assert error.value.reason == "spec.containers is not a list"
