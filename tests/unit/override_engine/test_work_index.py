"""Where each binding's copies may be, and who shares a dependency on a member."""

from services.override_engine.work_index import WorkIndex
from services.override_engine.works import BindingKey, ManifestId

WEB = BindingKey("ResourceBinding", "default", "web-deployment")
API = BindingKey("ResourceBinding", "default", "api-deployment")
CONFIG = ManifestId("v1", "ConfigMap", "default", "shared-config")


def work(*dependencies: ManifestId) -> dict:
    manifests = [{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "w"}}]
    for dependency in dependencies:
        manifests.append(
            {
                "apiVersion": dependency.api_version,
                "kind": dependency.kind,
                "metadata": {"namespace": dependency.namespace, "name": dependency.name},
            }
        )
    return {"spec": {"workload": {"manifests": manifests}}}


def test_works_place_bindings_on_clusters_until_unindexed() -> None:
    index = WorkIndex()
    index.index(WEB, "east", work())
    index.index(WEB, "west", work())
    index.index(API, "east", work())
    assert index.clusters_of(WEB) == {"east", "west"}
    assert index.bindings_on("east") == {WEB, API}
    assert sorted(index.bindings()) == sorted([WEB, API])
    index.unindex(WEB, "east")
    index.unindex(WEB, "west")
    assert index.clusters_of(WEB) == set() and index.bindings() == [API]
    index.unindex(WEB, "west")  # twice: nothing to do


def test_the_answer_is_a_copy_not_the_index() -> None:
    index = WorkIndex()
    index.index(WEB, "east", work())
    index.clusters_of(WEB).add("elsewhere")
    assert index.clusters_of(WEB) == {"east"}


def test_a_dependency_is_shared_per_member_and_released_with_the_work() -> None:
    index = WorkIndex()
    index.index(WEB, "east", work(CONFIG))
    index.index(API, "east", work(CONFIG))
    index.index(API, "west", work(CONFIG))
    assert index.dependency_shared("east", CONFIG, besides=WEB)
    assert not index.dependency_shared("west", CONFIG, besides=API), "only API uses it there"
    assert index.users_of(CONFIG) == {WEB, API}
    index.unindex(API, "east")
    assert not index.dependency_shared("east", CONFIG, besides=WEB)
    assert index.users_of(CONFIG) == {WEB, API}, "API still propagates it to west"
    index.unindex(API, "west")
    assert index.users_of(CONFIG) == {WEB}


def test_the_workload_itself_is_no_dependency() -> None:
    index = WorkIndex()
    index.index(WEB, "east", work())
    assert index.users_of(ManifestId("apps/v1", "Deployment", "", "w")) == set()
