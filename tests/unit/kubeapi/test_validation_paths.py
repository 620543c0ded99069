"""Every segment of a member URL is escaped: a name can never reach another collection."""

import pytest

from services.override_engine.syncing import collection_path, object_path
from shared.api.resources import ResourceType
from shared.cli.client import ApiResource
from shared.members.client import MemberError, path_segment, resource_path

EVIL = "../../kube-system/deployments/evil"
DEPLOYMENTS = ResourceType(group="apps", version="v1", plural="deployments", kind="Deployment")
CONFIGMAPS = ResourceType(group="", version="v1", plural="configmaps", kind="ConfigMap")


def test_a_climbing_name_stays_one_segment() -> None:
    path = resource_path(
        group="apps", version="v1", plural="deployments", namespace="default", name=EVIL
    )
    assert (
        path
        == "/apis/apps/v1/namespaces/default/deployments/..%2F..%2Fkube-system%2Fdeployments%2Fevil"
    )


def test_the_override_engine_builds_escaped_member_paths() -> None:
    assert object_path(DEPLOYMENTS, "default", EVIL).endswith(
        "/deployments/..%2F..%2Fkube-system%2Fdeployments%2Fevil"
    )
    assert object_path(CONFIGMAPS, "a b", "x%y") == "/api/v1/namespaces/a%20b/configmaps/x%25y"
    assert collection_path(DEPLOYMENTS, "default") == "/apis/apps/v1/namespaces/default/deployments"


def test_the_cli_escapes_names_too() -> None:
    resource = ApiResource(
        group="apps",
        version="v1",
        plural="deployments",
        singular="deployment",
        kind="Deployment",
        namespaced=True,
    )
    assert resource.item_path("default", EVIL).endswith(
        "/deployments/..%2F..%2Fkube-system%2Fdeployments%2Fevil"
    )


@pytest.mark.parametrize("segment", [".", ".."])
def test_dot_segments_are_refused(segment: str) -> None:
    with pytest.raises(MemberError):
        path_segment(segment)
