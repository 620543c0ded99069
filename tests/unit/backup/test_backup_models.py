"""Kurator's backup.kurator.dev/v1alpha1 shapes: what users write reads back the same."""

import pytest
from pydantic import ValidationError

from services.backup.durations import DurationError, format_go_duration, parse_go_duration
from services.backup.models import Backup, Migrate, ResourceFilter, Restore
from shared.api.validation import pydantic_field_errors

BACKUP = {
    "apiVersion": "backup.kurator.dev/v1alpha1",
    "kind": "Backup",
    "metadata": {"name": "schedule", "namespace": "default"},
    "spec": {
        "schedule": "0 0 * * *",
        "destination": {
            "fleet": "quickstart",
            "clusters": [{"kind": "AttachedCluster", "name": "kurator-member1"}],
        },
        "policy": {
            "resourceFilter": {
                "includedNamespaces": ["kurator-backup"],
                "labelSelector": {"matchLabels": {"app": "busybox"}},
            },
            "ttl": "240h",
            "orderedResources": {"pods": "ns1/pod1, ns1/pod2"},
        },
    },
    "status": {
        "backupDetails": [
            {
                "clusterName": "kurator-member1",
                "clusterKind": "AttachedCluster",
                "backupNameInCluster": "kurator-member1-backup-default-schedule-20240101000000",
                "backupStatusInCluster": {
                    "phase": "Completed",
                    "formatVersion": "1.1.0",
                    "version": 1,
                    "startTimestamp": "2024-01-01T00:00:00Z",
                    "expiration": "2024-01-11T00:00:00Z",
                    "progress": {"totalItems": 12, "itemsBackedUp": 12},
                    "csiVolumeSnapshotsAttempted": 0,
                },
            }
        ]
    },
}


def test_backup_round_trips() -> None:
    spec = Backup.model_validate(BACKUP).to_dict()["spec"]
    # the shared LabelSelector model writes its empty matchExpressions list
    assert spec["policy"]["resourceFilter"]["labelSelector"].pop("matchExpressions") == []
    assert spec == BACKUP["spec"]
    status = Backup.model_validate(BACKUP).to_dict()["status"]
    assert status == BACKUP["status"]


def test_restore_and_migrate_use_kurator_json_keys() -> None:
    restore = Restore.model_validate(
        {
            "metadata": {"name": "r"},
            "spec": {
                "backupName": "schedule",
                "destination": {"fleet": "quickstart"},
                "policy": {
                    "namespaceMapping": {"a": "b"},
                    "preserveStatus": {"includedResources": ["deployments"]},
                    "preserveNodePorts": True,
                },
            },
        }
    )
    assert restore.spec.policy.preserve_status.included_resources == ["deployments"]  # type: ignore[union-attr]
    migrate = Migrate.model_validate(
        {
            "metadata": {"name": "m"},
            "spec": {
                "sourceCluster": {
                    "fleet": "f",
                    "clusters": [{"kind": "AttachedCluster", "name": "a"}],
                },
                "targetCluster": {"fleet": "f"},
                "policy": {"migrateStatus": {}},
            },
            "status": {
                "phase": "RestoreInProgress",
                "conditions": [
                    {
                        "type": "sourceReady",
                        "status": "True",
                        "lastTransitionTime": "2024-01-01T00:00:00Z",
                    }
                ],
                "targetClusterStatus": [{"clusterName": "b"}],
            },
        }
    )
    dumped = migrate.to_dict()
    assert dumped["spec"]["targetCluster"] == {"fleet": "f", "clusters": []}
    assert dumped["status"]["targetClusterStatus"] == [{"clusterName": "b"}]
    assert dumped["status"]["conditions"][0]["lastTransitionTime"] == "2024-01-01T00:00:00Z"


def test_migrate_phase_is_the_crd_enum() -> None:
    with pytest.raises(ValidationError) as caught:
        Migrate.model_validate(
            {
                "metadata": {"name": "m"},
                "spec": {"sourceCluster": {"fleet": "f"}, "targetCluster": {"fleet": "f"}},
                "status": {"phase": "WaitingForSource"},
            }
        )
    assert [error.path for error in pydantic_field_errors(caught.value)] == ["status.phase"]


def test_a_bad_ttl_names_the_field_in_go_s_words() -> None:
    bad = {**BACKUP, "spec": {**BACKUP["spec"], "policy": {"ttl": "10 days"}}}
    with pytest.raises(ValidationError) as caught:
        Backup.model_validate(bad)
    errors = pydantic_field_errors(caught.value)
    assert [error.path for error in errors] == ["spec.policy.ttl"]
    assert 'time: unknown unit " days" in duration "10 days"' in errors[0].message


def test_old_and_new_filter_styles() -> None:
    assert ResourceFilter().uses_old_resource_filters() is False
    assert ResourceFilter(include_cluster_resources=False).uses_old_resource_filters() is True
    assert ResourceFilter(excluded_cluster_scoped_resources=["*"]).uses_scoped_resource_filters()


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("720h", 720 * 3600),
        ("720h0m0s", 720 * 3600),
        ("1h30m", 5400),
        ("1.5h", 5400),
        ("90s", 90),
        ("500ms", 0.5),
        ("-1m", -60),
        ("0", 0),
        ("1h1m1s1ms1us", 3661.001001),
    ],
)
def test_parse_go_duration(text: str, seconds: float) -> None:
    assert parse_go_duration(text).total_seconds() == pytest.approx(seconds)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", 'time: invalid duration ""'),
        ("h", 'time: invalid duration "h"'),
        ("10", 'time: missing unit in duration "10"'),
        ("3d", 'time: unknown unit "d" in duration "3d"'),
    ],
)
def test_parse_go_duration_errors(text: str, message: str) -> None:
    with pytest.raises(DurationError) as caught:
        parse_go_duration(text)
    assert str(caught.value) == message


@pytest.mark.parametrize(
    ("text", "formatted"),
    [
        ("720h", "720h0m0s"),
        ("90s", "1m30s"),
        ("1.5s", "1.5s"),
        ("500ms", "500ms"),
        ("0s", "0s"),
        ("-2h", "-2h0m0s"),
    ],
)
def test_format_go_duration(text: str, formatted: str) -> None:
    assert format_go_duration(parse_go_duration(text)) == formatted
