"""Velero's resource filter, ported from vmware-tanzu/velero's own tables.

Origins: pkg/util/collections/includes_excludes_test.go (TestShouldInclude,
TestNamespaceScopedShouldInclude, TestClusterScopedShouldInclude,
TestGetScopedResourceIncludesExcludes, TestShouldExcluded) and pkg/backup/item_collector_test.go
(TestItemCollectorBackupNamespaces); the restore cases follow pkg/restore/restore.go's
getOrderedResourceCollection.
"""

from typing import Any

import pytest

from services.backup.catalog import ResourceCatalog
from services.backup.filtering import (
    IncludesExcludes,
    backs_up_resource,
    collects_item,
    compile_backup_scope,
    compile_restore_scope,
    excluded_by_label,
    labelled_excluded_namespaces,
    missing_included_namespaces,
    namespaces_to_list,
    restores_item,
    restores_namespace,
    restores_resource,
    select_namespaces,
)
from services.backup.models import ResourceFilter


def obj(name: str, namespace: str = "", labels: dict[str, str] | None = None) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": name, "labels": labels or {}}
    if namespace:
        metadata["namespace"] = namespace
    return {"metadata": metadata}


def namespace(
    name: str, labels: dict[str, str] | None = None, phase: str = "Active"
) -> dict[str, Any]:
    return {**obj(name, labels=labels), "status": {"phase": phase}}


# includes_excludes_test.go TestShouldInclude
@pytest.mark.parametrize(
    ("includes", "excludes", "item", "want"),
    [
        ([], [], "foo", True),
        (["*"], [], "foo", True),
        (["foo", "bar", "baz"], [], "foo", True),
        (["foo", "baz"], [], "bar", False),
        (["*"], ["foo"], "foo", False),
        (["*"], ["foo"], "bar", True),
        (["foo"], ["foo"], "foo", False),
        (["*.bar"], [], "foo.bar", True),
        (["*.bar"], [], "bar.foo", False),
        (["*"], ["*.bar"], "foo.bar", False),
        (["*"], ["*.bar"], "bar.foo", True),
        (["kube-?"], [], "kube-a", True),
        (["ns-[0-9]"], [], "ns-7", True),
        (["ns-[!0-9]"], [], "ns-7", False),
        (["{dev,prod}-*"], [], "prod-eu", True),
        (["[unclosed"], [], "anything", False),
    ],
)
def test_should_include(includes: list[str], excludes: list[str], item: str, want: bool) -> None:
    assert IncludesExcludes.of(includes, excludes).should_include(item) is want


@pytest.mark.parametrize(
    ("includes", "excludes", "want"),
    [([], [], True), (["*"], [], True), (["*", "a"], [], False), ([], ["a"], False)],
)
def test_include_everything(includes: list[str], excludes: list[str], want: bool) -> None:
    assert IncludesExcludes.of(includes, excludes).include_everything() is want


def scoped_filter(**fields: Any) -> ResourceFilter:
    return ResourceFilter.model_validate(fields)


# includes_excludes_test.go TestNamespaceScopedShouldInclude (item "pods")
@pytest.mark.parametrize(
    ("includes", "excludes", "want"),
    [
        ([], [], True),
        (["*"], [], True),
        (["foo", "bar", "pods"], [], True),
        (["foo", "baz"], [], False),
        (["*"], ["pods"], False),
        (["*"], ["foo"], True),
        (["pods"], ["pods"], False),
        (["*s"], [], True),
        (["*.bar"], [], False),
        ([], ["*"], False),
        (["*"], ["*s"], False),
        ([], ["*.bar"], True),
    ],
)
def test_namespace_scoped_should_include(
    catalog: ResourceCatalog, includes: list[str], excludes: list[str], want: bool
) -> None:
    scope = compile_backup_scope(
        scoped_filter(
            includedNamespaceScopedResources=includes, excludedNamespaceScopedResources=excludes
        ),
        catalog=catalog,
    )
    assert backs_up_resource(scope, catalog.resolve("pods")) is want  # type: ignore[arg-type]


# includes_excludes_test.go TestClusterScopedShouldInclude
@pytest.mark.parametrize(
    ("includes", "excludes", "namespaces", "item", "want"),
    [
        ([], [], ["default"], "persistentvolumes", False),
        (["*"], [], [], "persistentvolumes", True),
        (["namespaces", "bar", "baz"], [], [], "namespaces", True),
        (["foo", "baz"], [], ["default"], "persistentvolumes", False),
        (["*"], ["namespaces"], [], "namespaces", False),
        (["*"], ["foo"], [], "namespaces", True),
        (["namespaces"], ["namespaces"], [], "namespaces", False),
        (["*spaces"], [], [], "namespaces", True),
        (["*.bar"], [], ["default"], "persistentvolumes", False),
        ([], ["*"], [], "namespaces", False),
        (["*"], ["*spaces"], [], "namespaces", False),
        ([], ["*spaces"], [], "namespaces", False),
        (["foo", "baz"], [], [], "namespaces", True),
        ([], [], ["*"], "persistentvolumes", True),
        ([], ["persistentvolumes"], ["*"], "persistentvolumes", False),
    ],
)
def test_cluster_scoped_should_include(
    catalog: ResourceCatalog,
    includes: list[str],
    excludes: list[str],
    namespaces: list[str],
    item: str,
    want: bool,
) -> None:
    scope = compile_backup_scope(
        scoped_filter(
            includedNamespaces=namespaces,
            includedClusterScopedResources=includes,
            excludedClusterScopedResources=excludes,
        ),
        catalog=catalog,
    )
    assert backs_up_resource(scope, catalog.resolve(item)) is want  # type: ignore[arg-type]


# includes_excludes_test.go TestGetScopedResourceIncludesExcludes
def test_scoped_lists_keep_only_their_own_scope(catalog: ResourceCatalog) -> None:
    namespaced = compile_backup_scope(
        scoped_filter(
            includedNamespaceScopedResources=["deployments.apps", "persistentvolumes"],
            excludedNamespaceScopedResources=["pods", "persistentvolumes"],
        ),
        catalog=catalog,
    )
    assert namespaced.namespace_scoped.includes == ("deployments.apps",)
    assert namespaced.namespace_scoped.excludes == ("pods",)
    cluster = compile_backup_scope(
        scoped_filter(
            includedClusterScopedResources=["deployments.apps", "persistentvolumes"],
            excludedClusterScopedResources=["pods", "persistentvolumes"],
        ),
        catalog=catalog,
    )
    assert cluster.cluster_scoped.includes == ("persistentvolumes",)
    assert cluster.cluster_scoped.excludes == ("persistentvolumes",)


# The old-style filter: includeClusterResources nil/true/false (resource-filtering.md) and
# name forms resolved through discovery (`deploy`, `deployments`, `deployments.apps`).
@pytest.mark.parametrize(
    ("fields", "resource", "want"),
    [
        ({}, "persistentvolumes", True),
        ({"includedNamespaces": ["app"]}, "persistentvolumes", False),
        ({"includedNamespaces": ["app"]}, "namespaces", True),
        (
            {"includedNamespaces": ["app"], "includeClusterResources": True},
            "persistentvolumes",
            True,
        ),
        ({"includeClusterResources": False}, "persistentvolumes", False),
        ({"includeClusterResources": False}, "namespaces", False),
        ({"includeClusterResources": False}, "pods", True),
        ({"excludedNamespaces": ["kube-system"]}, "storageclasses.storage.k8s.io", False),
        ({"includedResources": ["deploy"]}, "deployments.apps", True),
        ({"includedResources": ["deployments"]}, "deployments.apps", True),
        ({"includedResources": ["deployments.apps"]}, "pods", False),
        ({"includedResources": ["*"], "excludedResources": ["cm"]}, "configmaps", False),
        ({"excludedResources": ["*"]}, "configmaps", True),
        ({"includedResources": ["widgets.example.com"]}, "widgets.example.com", True),
        ({"includedResources": ["gadgets.example.com"]}, "widgets.example.com", False),
        ({}, "events", True),
        ({"includedResources": ["*"]}, "volumesnapshots.snapshot.storage.k8s.io", False),
    ],
)
def test_old_style_resource_filter(
    catalog: ResourceCatalog, fields: dict[str, Any], resource: str, want: bool
) -> None:
    scope = compile_backup_scope(ResourceFilter.model_validate(fields), catalog=catalog)
    found = catalog.by_group_resource(resource)
    assert found is not None
    assert backs_up_resource(scope, found) is want


@pytest.mark.parametrize(
    "fields",
    [
        {},
        {"includedResources": ["volumesnapshots.snapshot.storage.k8s.io", "pods"]},
        {"includedClusterScopedResources": ["*"], "includedNamespaceScopedResources": ["*"]},
    ],
)
def test_csi_snapshots_are_never_collected(
    catalog: ResourceCatalog, fields: dict[str, Any]
) -> None:
    """backup_controller.go auto-excludes VolumeSnapshots and VolumeSnapshotContents."""
    scope = compile_backup_scope(ResourceFilter.model_validate(fields), catalog=catalog)
    for name in (
        "volumesnapshots.snapshot.storage.k8s.io",
        "volumesnapshotcontents.snapshot.storage.k8s.io",
    ):
        assert backs_up_resource(scope, catalog.by_group_resource(name)) is False  # type: ignore[arg-type]


def test_a_backup_of_everything_keeps_cluster_scoped_resources(catalog: ResourceCatalog) -> None:
    """No filter at all takes the scoped path (UseOldResourceFilters is false) and is full."""
    scope = compile_backup_scope(None, catalog=catalog)
    assert scope.old_style is False
    for name in ("persistentvolumes", "customresourcedefinitions.apiextensions.k8s.io", "pods"):
        assert backs_up_resource(scope, catalog.by_group_resource(name)) is True  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("fields", "item", "want"),
    [
        ({}, obj("a", "default"), True),
        ({"includedNamespaces": ["kube-*"]}, obj("a", "kube-system"), True),
        ({"includedNamespaces": ["kube-*"]}, obj("a", "default"), False),
        ({"excludedNamespaces": ["kube-?ublic"]}, obj("a", "kube-public"), False),
        ({"labelSelector": {"matchLabels": {"app": "web"}}}, obj("a", "d", {"app": "web"}), True),
        ({"labelSelector": {"matchLabels": {"app": "web"}}}, obj("a", "d", {"app": "db"}), False),
        (
            {"orLabelSelectors": [{"matchLabels": {"app": "web"}}, {"matchLabels": {"app": "db"}}]},
            obj("a", "d", {"app": "db"}),
            True,
        ),
        (
            {"orLabelSelectors": [{"matchLabels": {"app": "web"}}]},
            obj("a", "d", {"app": "db"}),
            False,
        ),
    ],
)
def test_collects_item(
    catalog: ResourceCatalog, fields: dict[str, Any], item: dict[str, Any], want: bool
) -> None:
    scope = compile_backup_scope(ResourceFilter.model_validate(fields), catalog=catalog)
    assert collects_item(scope, catalog.resolve("configmaps"), item) is want  # type: ignore[arg-type]


def test_cluster_scoped_items_ignore_the_namespace_filter(catalog: ResourceCatalog) -> None:
    scope = compile_backup_scope(
        ResourceFilter(included_namespaces=["app"], include_cluster_resources=True),
        catalog=catalog,
    )
    assert collects_item(scope, catalog.resolve("pv"), obj("pv-1")) is True  # type: ignore[arg-type]


def test_exclude_from_backup_label(catalog: ResourceCatalog) -> None:
    labelled = obj("a", "d", {"velero.io/exclude-from-backup": "true"})
    assert excluded_by_label(labelled) is True
    assert excluded_by_label(obj("a", "d", {"velero.io/exclude-from-backup": "false"})) is False
    namespaces = [namespace("keep"), namespace("skip", {"velero.io/exclude-from-backup": "true"})]
    assert labelled_excluded_namespaces(namespaces) == ["skip"]
    scope = compile_backup_scope(None, catalog=catalog, excluded_by_label=["skip"])
    assert collects_item(scope, catalog.resolve("cm"), obj("a", "skip")) is False  # type: ignore[arg-type]


# item_collector_test.go TestItemCollectorBackupNamespaces (exact sets, not only subsets)
@pytest.mark.parametrize(
    ("fields", "namespaces", "expected"),
    [
        ({"includedNamespaces": ["ns1"]}, [namespace("ns1"), namespace("ns2")], {"ns1"}),
        (
            {"labelSelector": {"matchLabels": {"name": "ns1"}}},
            [namespace("ns1", {"name": "ns1"}), namespace("ns2")],
            {"ns1"},
        ),
        (
            {"orLabelSelectors": [{"matchLabels": {"name": "ns1"}}]},
            [namespace("ns1", {"name": "ns1"}), namespace("ns2")],
            {"ns1"},
        ),
        (
            {"excludedNamespaces": ["ns1"], "labelSelector": {"matchLabels": {"name": "ns1"}}},
            [namespace("ns1", {"name": "ns1"}), namespace("ns2")],
            {"ns1", "ns2"},
        ),
        (
            {
                "excludedNamespaces": ["ns1", "ns2"],
                "orLabelSelectors": [{"matchLabels": {"name": "ns1"}}],
            },
            [namespace("ns1", {"name": "ns1"}), namespace("ns2"), namespace("ns3")],
            {"ns1", "ns3"},
        ),
        ({}, [namespace("ns1", {"name": "ns1"}), namespace("ns2")], {"ns1", "ns2"}),
        (
            {"includedNamespaces": ["ns1", "invalid", "*"]},
            [namespace("ns1"), namespace("ns2"), namespace("ns3")],
            {"ns1", "ns2", "ns3"},
        ),
        (
            {"includedNamespaces": ["ns1", "ns2"]},
            [namespace("ns1", phase="Terminating"), namespace("ns2")],
            {"ns2"},
        ),
    ],
)
def test_select_namespaces(
    catalog: ResourceCatalog,
    fields: dict[str, Any],
    namespaces: list[dict[str, Any]],
    expected: set[str],
) -> None:
    scope = compile_backup_scope(ResourceFilter.model_validate(fields), catalog=catalog)
    kept = select_namespaces(scope, namespaces, item_namespaces=set())
    assert {item["metadata"]["name"] for item in kept} == expected


def test_namespaces_holding_collected_items_are_kept(catalog: ResourceCatalog) -> None:
    """A selector picks items; their namespaces come along even if not labelled (rule b)."""
    scope = compile_backup_scope(
        ResourceFilter.model_validate({"labelSelector": {"matchLabels": {"app": "web"}}}),
        catalog=catalog,
    )
    namespaces = [namespace("shop", phase="Terminating"), namespace("other")]
    kept = select_namespaces(scope, namespaces, item_namespaces={"shop"})
    assert [item["metadata"]["name"] for item in kept] == ["shop"]


def test_missing_included_namespaces_are_reported(catalog: ResourceCatalog) -> None:
    scope = compile_backup_scope(
        ResourceFilter(included_namespaces=["ns1", "gone"]), catalog=catalog
    )
    assert missing_included_namespaces(scope, ["ns1"]) == [
        "fail to get the namespace gone specified in backup.Spec.IncludedNamespaces"
    ]


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({}, [""]),
        ({"includedNamespaces": ["b", "a"]}, ["a", "b"]),
        ({"includedNamespaces": ["a", "b"], "excludedNamespaces": ["b"]}, ["a"]),
        ({"includedNamespaces": ["kube-*"]}, [""]),
    ],
)
def test_namespaces_to_list(
    catalog: ResourceCatalog, fields: dict[str, Any], expected: list[str]
) -> None:
    scope = compile_backup_scope(ResourceFilter.model_validate(fields), catalog=catalog)
    assert namespaces_to_list(scope) == expected


@pytest.mark.parametrize(
    ("fields", "resource", "want"),
    [
        ({}, "pods", True),
        ({}, "nodes", False),
        ({}, "events", False),
        ({}, "events.events.k8s.io", False),
        ({"excludedResources": ["pods"]}, "pods", False),
        ({"includedResources": ["deployments"]}, "deployments.apps", True),
        ({"includedResources": ["deployments"]}, "pods", False),
        ({"includedResources": ["configmaps"]}, "datauploads.velero.io", True),
    ],
)
def test_restores_resource(
    catalog: ResourceCatalog, fields: dict[str, Any], resource: str, want: bool
) -> None:
    scope = compile_restore_scope(ResourceFilter.model_validate(fields), catalog=catalog)
    assert restores_resource(scope, resource) is want


@pytest.mark.parametrize(
    ("fields", "resource", "namespace_name", "want"),
    [
        ({}, "persistentvolumes", "", True),
        ({"includedNamespaces": ["app"]}, "persistentvolumes", "", False),
        (
            {"includedNamespaces": ["app"], "includeClusterResources": True},
            "persistentvolumes",
            "",
            True,
        ),
        ({"includeClusterResources": False}, "persistentvolumes", "", False),
        ({"includedNamespaces": ["app"]}, "pods", "app", True),
        ({"includedNamespaces": ["app"]}, "pods", "other", False),
        ({"excludedNamespaces": ["a*"]}, "pods", "app", False),
        ({"includedNamespaces": ["app"]}, "datauploads.velero.io", "other", True),
        (
            {"includeClusterResources": False},
            "volumesnapshotcontents.snapshot.storage.k8s.io",
            "",
            False,
        ),
    ],
)
def test_restores_namespace(
    catalog: ResourceCatalog,
    fields: dict[str, Any],
    resource: str,
    namespace_name: str,
    want: bool,
) -> None:
    scope = compile_restore_scope(ResourceFilter.model_validate(fields), catalog=catalog)
    assert restores_namespace(scope, resource, namespace_name) is want


@pytest.mark.parametrize(
    ("fields", "labels", "want"),
    [
        ({}, {}, True),
        ({"labelSelector": {"matchLabels": {"app": "web"}}}, {"app": "web"}, True),
        ({"labelSelector": {"matchLabels": {"app": "web"}}}, {}, False),
        (
            {"orLabelSelectors": [{"matchLabels": {"a": "1"}}, {"matchLabels": {"b": "2"}}]},
            {"b": "2"},
            True,
        ),
        ({"orLabelSelectors": [{"matchLabels": {"a": "1"}}]}, {"b": "2"}, False),
    ],
)
def test_restores_item(
    catalog: ResourceCatalog, fields: dict[str, Any], labels: dict[str, str], want: bool
) -> None:
    scope = compile_restore_scope(ResourceFilter.model_validate(fields), catalog=catalog)
    assert restores_item(scope, "configmaps", obj("a", "d", labels)) is want
