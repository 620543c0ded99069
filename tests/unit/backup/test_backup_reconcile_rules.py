"""The pure rules of the Backup reconcile and destination resolution, without I/O."""

import base64
from datetime import UTC, datetime

import pytest

from services.backup.backups import INTERRUPTED, interrupted_details, last_run_start
from services.backup.destinations import DestinationError, resolve_destination
from services.backup.models import BackupDetails, Destination, ObjectReference, VeleroBackupStatus

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
EARLIER = datetime(2026, 1, 2, 3, 0, 0, tzinfo=UTC)


def detail(cluster: str, phase: str | None, *, run: str = "run") -> BackupDetails:
    return BackupDetails(
        cluster_name=cluster,
        cluster_kind="AttachedCluster",
        backup_name_in_cluster=run,
        backup_status_in_cluster=VeleroBackupStatus(phase=phase, start_timestamp=EARLIER),
    )


@pytest.mark.parametrize(
    ("phases", "failed"),
    [
        (["Completed", "Failed"], None),
        (["InProgress", "Completed"], [0]),
        (["New", "InProgress"], [0, 1]),
        ([None, "PartiallyFailed"], [0]),
    ],
)
def test_unfinished_runs_are_failed_with_veleros_reason(
    phases: list[str | None], failed: list[int] | None
) -> None:
    details = [detail(f"c{index}", phase) for index, phase in enumerate(phases)]
    marked = interrupted_details(details, now=NOW)
    if failed is None:
        assert marked is None
        return
    assert marked is not None
    for index, entry in enumerate(marked):
        status = entry.backup_status_in_cluster
        assert status is not None
        if index in failed:
            assert status.phase == "Failed"
            assert status.failure_reason == INTERRUPTED
            assert status.completion_timestamp == NOW
        else:
            assert status.phase == phases[index]


def test_a_placeholder_without_a_run_is_not_an_interrupted_run() -> None:
    placeholder = BackupDetails(cluster_name="c", backup_status_in_cluster=VeleroBackupStatus())
    assert interrupted_details([placeholder], now=NOW) is None


def test_last_run_start_is_the_newest_start() -> None:
    later = detail("b", "Completed")
    later.backup_status_in_cluster.start_timestamp = NOW  # type: ignore[union-attr]
    assert last_run_start([detail("a", "Completed"), later]) == NOW
    assert last_run_start([]) is None


class Lookup(dict):
    def get(self, namespace, name):  # type: ignore[override]
        return super().get((namespace, name))


def fleet_world() -> tuple[Lookup, Lookup, Lookup]:
    fleets = Lookup(
        {
            ("ns", "quickstart"): {
                "apiVersion": "fleet.kurator.dev/v1alpha1",
                "kind": "Fleet",
                "metadata": {"name": "quickstart", "namespace": "ns"},
                "spec": {
                    "clusters": [
                        {"name": "one", "kind": "AttachedCluster"},
                        {"name": "two", "kind": "AttachedCluster"},
                    ]
                },
            }
        }
    )
    attached = Lookup(
        {
            ("ns", "one"): {
                "apiVersion": "cluster.kurator.dev/v1alpha1",
                "kind": "AttachedCluster",
                "metadata": {"name": "one", "namespace": "ns"},
                "spec": {"kubeconfig": {"name": "one", "key": "config"}},
            }
        }
    )
    secrets = Lookup(
        {("ns", "one"): {"data": {"config": base64.b64encode(b"kubeconfig text").decode()}}}
    )
    return fleets, attached, secrets


def test_every_member_is_a_target_and_a_missing_one_says_why() -> None:
    fleets, attached, secrets = fleet_world()
    targets = resolve_destination(
        Destination(fleet="quickstart"),
        namespace="ns",
        fleets=fleets,
        attached_clusters=attached,
        secrets=secrets,
    )
    assert [(t.name, t.kubeconfig, t.problem) for t in targets] == [
        ("one", "kubeconfig text", None),
        ("two", None, 'attachedcluster "ns/two" not found'),
    ]


@pytest.mark.parametrize(
    ("destination", "message"),
    [
        (Destination(fleet="other"), 'fleet "other" not found in namespace "ns"'),
        (
            Destination(
                fleet="quickstart", clusters=[ObjectReference(kind="AttachedCluster", name="x")]
            ),
            'clusters AttachedCluster/x are not members of fleet "quickstart"',
        ),
    ],
)
def test_bad_destinations_are_errors(destination: Destination, message: str) -> None:
    fleets, attached, secrets = fleet_world()
    with pytest.raises(DestinationError, match=message):
        resolve_destination(
            destination, namespace="ns", fleets=fleets, attached_clusters=attached, secrets=secrets
        )
