"""Restore order, ported from vmware-tanzu/velero pkg/restore/restore_test.go
(Test_getOrderedResources, TestRestoreResourcePriorities) and pkg/types/priority_test.go."""

import pytest

from services.backup.catalog import ResourceCatalog
from services.backup.ordering import (
    DEFAULT_RESTORE_PRIORITIES,
    Priorities,
    PrioritiesError,
    ordered_resources,
    parse_priorities,
    restore_order,
)


# restore_test.go Test_getOrderedResources
@pytest.mark.parametrize(
    ("priorities", "backup_resources", "want"),
    [
        (Priorities(high=("prio-3", "prio-2", "prio-1")), [], ["prio-3", "prio-2", "prio-1"]),
        (
            Priorities(),
            ["backup-resource-3", "backup-resource-2", "backup-resource-1"],
            ["backup-resource-1", "backup-resource-2", "backup-resource-3"],
        ),
        (
            Priorities(high=("prio-3", "prio-2", "prio-1")),
            ["prio-3", "backup-resource-3", "backup-resource-2", "backup-resource-1"],
            [
                "prio-3",
                "prio-2",
                "prio-1",
                "backup-resource-1",
                "backup-resource-2",
                "backup-resource-3",
            ],
        ),
        (
            Priorities(high=("prio-3", "prio-2", "prio-1"), low=("prio-0",)),
            ["prio-3", "prio-0", "backup-resource-3", "backup-resource-2", "backup-resource-1"],
            [
                "prio-3",
                "prio-2",
                "prio-1",
                "backup-resource-1",
                "backup-resource-2",
                "backup-resource-3",
                "prio-0",
            ],
        ),
    ],
)
def test_ordered_resources(
    priorities: Priorities, backup_resources: list[str], want: list[str]
) -> None:
    assert ordered_resources(priorities, backup_resources) == want


# priority_test.go TestSetOfPriority / TestStringOfPriorities
@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("", Priorities()),
        ("a,b", Priorities(high=("a", "b"))),
        ("-", Priorities()),
        ("-,c", Priorities(low=("c",))),
        ("a,b,-", Priorities(high=("a", "b"))),
        ("a,b,-,c", Priorities(high=("a", "b"), low=("c",))),
    ],
)
def test_parse_priorities(text: str, want: Priorities) -> None:
    assert parse_priorities(text) == want


def test_parse_priorities_rejects_two_separators() -> None:
    with pytest.raises(PrioritiesError, match='multiple priority separator "-" found'):
        parse_priorities("a,-,b,-,c")


def test_priorities_print_as_the_flag_reads_them() -> None:
    assert str(Priorities(high=("a", "b"), low=("c",))) == "a,b,-,c"
    assert parse_priorities(str(DEFAULT_RESTORE_PRIORITIES)) == DEFAULT_RESTORE_PRIORITIES


# restore_test.go TestRestoreResourcePriorities
def test_custom_priorities(catalog: ResourceCatalog) -> None:
    priorities = Priorities(
        high=("persistentvolumes", "persistentvolumeclaims", "serviceaccounts"),
        low=("deployments.apps",),
    )
    backup = ["pods", "persistentvolumes", "deployments.apps", "serviceaccounts"]
    backup.append("persistentvolumeclaims")
    assert restore_order(priorities, backup_resources=backup, catalog=catalog) == [
        "persistentvolumes",
        "persistentvolumeclaims",
        "serviceaccounts",
        "pods",
        "deployments.apps",
    ]


def test_default_order(catalog: ResourceCatalog) -> None:
    """CRDs, then Velero's list resolved through discovery, the rest alphabetically."""
    backup = [
        "widgets.example.com",
        "deployments.apps",
        "services",
        "endpoints",
        "replicasets.apps",
        "pods",
        "configmaps",
        "secrets",
        "serviceaccounts",
        "persistentvolumeclaims",
        "persistentvolumes",
        "volumesnapshotclasses.snapshot.storage.k8s.io",
        "storageclasses.storage.k8s.io",
        "namespaces",
        "customresourcedefinitions.apiextensions.k8s.io",
        "clusters.cluster.x-k8s.io",
        "apps.kappctrl.k14s.io",
    ]
    assert restore_order(DEFAULT_RESTORE_PRIORITIES, backup_resources=backup, catalog=catalog) == [
        "customresourcedefinitions.apiextensions.k8s.io",
        "namespaces",
        "storageclasses.storage.k8s.io",
        "volumesnapshotclasses.snapshot.storage.k8s.io",
        "persistentvolumes",
        "persistentvolumeclaims",
        "serviceaccounts",
        "secrets",
        "configmaps",
        "pods",
        "replicasets.apps",
        "endpoints",
        "services",
        "deployments.apps",
        "widgets.example.com",
        "clusters.cluster.x-k8s.io",
        "apps.kappctrl.k14s.io",
    ]


def test_each_resource_is_restored_once(catalog: ResourceCatalog) -> None:
    """A priority named by short name and the backup's full name resolve to one entry."""
    priorities = Priorities(high=("cm", "configmaps"))
    assert restore_order(priorities, backup_resources=["configmaps", "pods"], catalog=catalog) == [
        "configmaps",
        "pods",
    ]
