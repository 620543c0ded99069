"""Migrate's pure steps: validation, what each stage is handed, sourceReady, interruption."""

from datetime import UTC, datetime

import pytest

from services.backup.migrates import FINALIZER
from services.backup.migrating import (
    INTERRUPTED_BACKUP,
    INTERRUPTED_RESTORE,
    failed_validation,
    interrupted_migrate,
    migrate_backup_spec,
    migrate_restore_policy,
    migrate_spec_errors,
    with_source_ready,
)
from services.backup.models import (
    BackupDetails,
    MigratePolicy,
    MigrateSpec,
    MigrateStatus,
    RestoreDetails,
    VeleroBackupStatus,
    VeleroRestoreStatus,
)
from shared.api.finalizers import SERVED_FINALIZERS, unserved_finalizers

T0 = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def spec(sources: int, **policy: object) -> MigrateSpec:
    return MigrateSpec.model_validate(
        {
            "sourceCluster": {
                "fleet": "quickstart",
                "clusters": [
                    {"kind": "AttachedCluster", "name": f"m{index}"} for index in range(sources)
                ],
            },
            "targetCluster": {"fleet": "quickstart"},
            **({"policy": policy} if policy else {}),
        }
    )


@pytest.mark.parametrize(
    ("migrate", "want"),
    [
        (spec(1), []),
        (spec(0), ["spec.sourceCluster.clusters: must list exactly one cluster, found 0"]),
        (spec(3), ["spec.sourceCluster.clusters: must list exactly one cluster, found 3"]),
        (
            spec(1, resourceFilter={"includedResources": ["pods"], "excludedResources": ["pods"]}),
            [
                "Invalid included/excluded resource lists: excludes list cannot contain an item "
                "in the includes list: pods"
            ],
        ),
    ],
)
def test_migrate_spec_errors(migrate: MigrateSpec, want: list[str]) -> None:
    assert migrate_spec_errors(migrate) == want


def test_the_source_backup_gets_the_filter_and_order_but_no_ttl() -> None:
    policy = MigratePolicy.model_validate(
        {
            "resourceFilter": {"labelSelector": {"matchLabels": {"app": "busybox"}}},
            "orderedResources": {"pods": "ns/a"},
            "namespaceMapping": {"a": "b"},
        }
    )
    assert migrate_backup_spec(policy) == {
        "labelSelector": {"matchLabels": {"app": "busybox"}, "matchExpressions": []},
        "orderedResources": {"pods": "ns/a"},
    }
    assert migrate_backup_spec(None) == {}


def test_targets_restore_without_a_filter_with_mapping_and_status() -> None:
    policy = MigratePolicy.model_validate(
        {
            "resourceFilter": {"includedNamespaces": ["a"]},
            "namespaceMapping": {"a": "b"},
            "migrateStatus": {"includedResources": ["deployments"]},
            "preserveNodePorts": True,
        }
    )
    restore = migrate_restore_policy(policy)
    assert restore.resource_filter is None
    assert restore.namespace_mapping == {"a": "b"}
    assert restore.preserve_status is not None
    assert restore.preserve_status.included_resources == ["deployments"]
    assert restore.preserve_node_ports is True
    assert migrate_restore_policy(None).to_dict() == {}


def source(phase: str | None) -> BackupDetails:
    return BackupDetails(
        cluster_name="m0",
        cluster_kind="AttachedCluster",
        backup_name_in_cluster="m0-migrate-default-x",
        backup_status_in_cluster=VeleroBackupStatus(phase=phase),  # type: ignore[arg-type]
    )


def target(name: str, phase: str | None) -> RestoreDetails:
    return RestoreDetails(
        cluster_name=name,
        restore_name_in_cluster=f"{name}-migrate-default-x",
        restore_status_in_cluster=VeleroRestoreStatus(phase=phase),  # type: ignore[arg-type]
    )


def test_source_ready_is_added_once_when_the_source_backup_completed() -> None:
    pending = MigrateStatus(phase="BackupInProgress", source_cluster_status=source("InProgress"))
    assert with_source_ready(pending, now=T0) == pending
    ready = with_source_ready(
        MigrateStatus(phase="BackupInProgress", source_cluster_status=source("Completed")), now=T0
    )
    assert [(c.type, c.status) for c in ready.conditions or []] == [("sourceReady", "True")]
    assert with_source_ready(ready, now=T0) == ready


def test_failed_validation_names_the_errors_in_the_source_status() -> None:
    status = failed_validation(MigrateStatus(), ["bad"])
    assert status.phase == "FailedValidation"
    assert status.source_cluster_status is not None
    assert status.source_cluster_status.backup_status_in_cluster == VeleroBackupStatus(
        phase="FailedValidation", validation_errors=["bad"]
    )


@pytest.mark.parametrize(
    ("status", "source_reason", "target_reasons"),
    [
        (MigrateStatus(phase="BackupInProgress"), None, None),
        (
            MigrateStatus(phase="BackupInProgress", source_cluster_status=source("InProgress")),
            INTERRUPTED_BACKUP,
            [],
        ),
        (
            MigrateStatus(
                phase="RestoreInProgress",
                source_cluster_status=source("Completed"),
                target_cluster_status=[target("a", "Completed"), target("b", "InProgress")],
            ),
            None,
            [None, INTERRUPTED_RESTORE],
        ),
        (
            MigrateStatus(
                phase="Completed",
                source_cluster_status=source("Completed"),
                target_cluster_status=[target("a", "Completed")],
            ),
            None,
            None,
        ),
    ],
)
def test_interrupted_stages_are_failed_with_veleros_reason(
    status: MigrateStatus, source_reason: str | None, target_reasons: list[str | None] | None
) -> None:
    marked = interrupted_migrate(status, now=T0)
    if target_reasons is None and source_reason is None:
        assert marked is None
        return
    assert marked is not None
    assert marked.source_cluster_status is not None
    backup = marked.source_cluster_status.backup_status_in_cluster
    assert backup is not None and backup.failure_reason == source_reason
    reasons = [
        detail.restore_status_in_cluster.failure_reason
        for detail in marked.target_cluster_status or []
        if detail.restore_status_in_cluster
    ]
    assert reasons == target_reasons


def test_the_migrate_finalizer_is_served_and_no_longer_refused() -> None:
    assert FINALIZER == "migrate.kurator.dev"
    assert FINALIZER in SERVED_FINALIZERS
    assert unserved_finalizers([FINALIZER]) == []
