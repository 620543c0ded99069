"""Kurator's status bookkeeping: names, per-cluster details, aggregate phases, TTL, Migrate.

Cases follow kurator-dev/kurator pkg/fleet-manager/backup/shared.go (generateVeleroResourceName,
allBackupsCompleted, MostRecentCompletedBackup, after velero's restore_controller_test
TestMostRecentCompletedBackup) and velero's schedule_controller_test (TestGetBackup names)."""

from datetime import UTC, datetime, timedelta, timezone

import pytest

from services.backup.models import (
    BackupDetails,
    MigrateStatus,
    RestoreDetails,
    VeleroBackupStatus,
    VeleroRestoreStatus,
)
from services.backup.phases import (
    DEFAULT_BACKUP_TTL,
    VeleroBackupRun,
    aggregate_phase,
    all_backups_completed,
    all_restores_completed,
    backup_expiration,
    backup_phase,
    is_expired,
    most_recent_completed_backup,
    next_migrate_phase,
    record_backup_detail,
    record_restore_detail,
    restore_phase,
    scheduled_backup_labels,
    timestamped_name,
    velero_object_name,
)

T0 = datetime(2024, 1, 1, tzinfo=UTC)


def test_velero_object_names() -> None:
    name = velero_object_name(cluster="member1", kind="backup", namespace="default", name="nightly")
    assert name == "member1-backup-default-nightly"


@pytest.mark.parametrize(
    ("at", "want"),
    [
        # schedule_controller_test.go TestSubmitBackupIfDue: clock 2017-01-01 12:00:00
        (datetime(2017, 1, 1, 12, 0, 0, tzinfo=UTC), "schedule-1-20170101120000"),
        (
            datetime(2017, 7, 25, 16, 15, 0, tzinfo=UTC).astimezone(timezone(timedelta(hours=2))),
            "schedule-1-20170725161500",
        ),
    ],
)
def test_timestamped_names_are_utc(at: datetime, want: str) -> None:
    assert timestamped_name("schedule-1", at) == want


@pytest.mark.parametrize(
    ("phases", "want"),
    [
        ([], "New"),
        ([None, "New"], "New"),
        (["Completed", None], "InProgress"),
        (["Completed", "InProgress"], "InProgress"),
        (["Completed", "WaitingForPluginOperations"], "InProgress"),
        (["Completed", "FinalizingPartiallyFailed"], "InProgress"),
        (["Completed", "Completed"], "Completed"),
        (["FailedValidation", "FailedValidation"], "FailedValidation"),
        (["Failed", "FailedValidation"], "Failed"),
        (["Completed", "Failed"], "PartiallyFailed"),
        (["Completed", "PartiallyFailed"], "PartiallyFailed"),
        (["PartiallyFailed"], "PartiallyFailed"),
    ],
)
def test_aggregate_phase(phases: list[str | None], want: str) -> None:
    assert aggregate_phase(phases) == want


def backup_detail(cluster: str, phase: str | None) -> BackupDetails:
    status = VeleroBackupStatus.model_validate({"phase": phase}) if phase else None
    return BackupDetails(
        cluster_name=cluster, cluster_kind="AttachedCluster", backup_status_in_cluster=status
    )


def restore_detail(cluster: str, phase: str | None) -> RestoreDetails:
    status = VeleroRestoreStatus.model_validate({"phase": phase}) if phase else None
    return RestoreDetails(
        cluster_name=cluster, cluster_kind="AttachedCluster", restore_status_in_cluster=status
    )


def test_backup_and_restore_phases_read_the_details() -> None:
    details = [backup_detail("a", "Completed"), backup_detail("b", None)]
    assert backup_phase(details) == "InProgress"
    assert all_backups_completed(details) is False
    assert all_backups_completed([backup_detail("a", "Completed")]) is True
    assert all_backups_completed([]) is True
    restores = [restore_detail("a", "Completed"), restore_detail("b", "Failed")]
    assert restore_phase(restores) == "PartiallyFailed"
    assert all_restores_completed(restores) is False


def test_one_detail_entry_per_cluster() -> None:
    """Kurator keys entries by run name and appends every scheduled run; Navarch replaces."""
    details = record_backup_detail(
        [],
        cluster_name="a",
        cluster_kind="AttachedCluster",
        backup_name="",
        status=VeleroBackupStatus(),
    )
    details = record_backup_detail(
        details,
        cluster_name="a",
        cluster_kind="AttachedCluster",
        backup_name="a-backup-ns-b-20240101000000",
        status=VeleroBackupStatus(phase="Completed"),
    )
    details = record_backup_detail(
        details,
        cluster_name="b",
        cluster_kind="AttachedCluster",
        backup_name="b-backup-ns-b",
        status=VeleroBackupStatus(phase="InProgress"),
    )
    assert [(d.cluster_name, d.backup_name_in_cluster) for d in details] == [
        ("a", "a-backup-ns-b-20240101000000"),
        ("b", "b-backup-ns-b"),
    ]
    restores = record_restore_detail(
        [restore_detail("a", "InProgress")],
        cluster_name="a",
        cluster_kind="AttachedCluster",
        restore_name="a-restore-ns-r",
        status=VeleroRestoreStatus(phase="Completed"),
    )
    assert len(restores) == 1
    assert restores[0].restore_status_in_cluster.phase == "Completed"  # type: ignore[union-attr]


def run(name: str, phase: str, started: datetime | None) -> VeleroBackupRun:
    return VeleroBackupRun(
        name=name,
        status=VeleroBackupStatus.model_validate({"phase": phase, "startTimestamp": started}),
    )


def test_most_recent_completed_backup() -> None:
    runs = [
        run("a", "Completed", T0),
        run("b", "Failed", T0 + timedelta(hours=3)),
        run("c", "Completed", T0 + timedelta(hours=2)),
        run("d", "Completed", None),
        run("e", "InProgress", T0 + timedelta(hours=4)),
    ]
    found = most_recent_completed_backup(runs)
    assert found is not None and found.name == "c"
    assert most_recent_completed_backup([run("x", "Failed", T0)]) is None


@pytest.mark.parametrize(
    ("ttl", "want"),
    [
        (None, DEFAULT_BACKUP_TTL),
        ("", DEFAULT_BACKUP_TTL),
        ("0s", DEFAULT_BACKUP_TTL),
        ("72h", timedelta(hours=72)),
        ("720h0m0s", timedelta(days=30)),
        ("1h30m", timedelta(minutes=90)),
    ],
)
def test_backup_expiration(ttl: str | None, want: timedelta) -> None:
    assert backup_expiration(started=T0, ttl=ttl) == T0 + want


def test_is_expired_like_velero_gc() -> None:
    assert is_expired(None, now=T0) is False
    assert is_expired(T0 + timedelta(seconds=1), now=T0) is False
    assert is_expired(T0, now=T0) is True
    assert is_expired(T0 - timedelta(seconds=1), now=T0) is True


def migrate_status(phase: str | None, source: str | None, *targets: str | None) -> MigrateStatus:
    return MigrateStatus(
        phase=phase,  # type: ignore[arg-type]
        source_cluster_status=backup_detail("src", source) if source else None,
        target_cluster_status=[restore_detail(f"t{i}", t) for i, t in enumerate(targets)],
    )


@pytest.mark.parametrize(
    ("status", "targets_expected", "want"),
    [
        (migrate_status(None, None), 1, "BackupInProgress"),
        (migrate_status("Pending", None), 1, "BackupInProgress"),
        (migrate_status("BackupInProgress", None), 1, "BackupInProgress"),
        (migrate_status("BackupInProgress", "InProgress"), 1, "BackupInProgress"),
        (migrate_status("BackupInProgress", "Failed"), 1, "Failed"),
        (migrate_status("BackupInProgress", "PartiallyFailed"), 1, "Failed"),
        (migrate_status("BackupInProgress", "Completed"), 1, "RestoreInProgress"),
        (migrate_status("RestoreInProgress", "Completed", "InProgress"), 1, "RestoreInProgress"),
        (migrate_status("RestoreInProgress", "Completed", "Completed"), 2, "RestoreInProgress"),
        (
            migrate_status("RestoreInProgress", "Completed", "Completed", "Completed"),
            2,
            "Completed",
        ),
        (migrate_status("RestoreInProgress", "Completed", "Completed", "Failed"), 2, "Failed"),
        (
            migrate_status("RestoreInProgress", "Completed", "Failed", "InProgress"),
            2,
            "RestoreInProgress",
        ),
        (migrate_status("Completed", "Completed", "Completed"), 1, "Completed"),
        (migrate_status("Failed", "Failed"), 1, "Failed"),
    ],
)
def test_next_migrate_phase(status: MigrateStatus, targets_expected: int, want: str) -> None:
    assert next_migrate_phase(status, targets_expected=targets_expected) == want


@pytest.mark.parametrize(
    ("schedule_labels", "template_labels", "want"),
    [
        ({"team": "a"}, None, {"team": "a", "velero.io/schedule-name": "nightly"}),
        ({"team": "a"}, {"tier": "gold"}, {"tier": "gold", "velero.io/schedule-name": "nightly"}),
        ({}, {}, {"velero.io/schedule-name": "nightly"}),
    ],
)
def test_scheduled_backup_labels(
    schedule_labels: dict[str, str], template_labels: dict[str, str] | None, want: dict[str, str]
) -> None:
    """BackupBuilder.FromSchedule: template labels win over the Schedule's own labels."""
    labels = scheduled_backup_labels(
        "nightly", schedule_labels=schedule_labels, template_labels=template_labels
    )
    assert labels == want
