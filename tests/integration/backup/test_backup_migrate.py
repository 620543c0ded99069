"""Migrate: the source member's label-selected objects backed up and restored into each target
in one object, with Kurator's per-stage status; invalid sources refused; a kill mid-run
leaves the Migrate Failed with Velero's reason, never stuck; delete drops the finalizer."""

from typing import Any

from backup_world import FLEET, NAMESPACE, MemberApi, RunningBackup, eventually, hub_get, wait_phase
from propagation_world import Members
from test_backup_on_demand import seed_app

from services.backup.archiving import backup_contents_key
from services.backup.migrates import FINALIZER
from shared.api.kinds import MIGRATES
from shared.store.objects import Object, ObjectStore

TERMINAL = ("Completed", "Failed", "FailedValidation")


def migrate_manifest(name: str, *, source: list[str], targets: list[str], **policy: Any) -> Object:
    def destination(clusters: list[str]) -> dict[str, Any]:
        return {
            "fleet": FLEET,
            "clusters": [{"kind": "AttachedCluster", "name": name} for name in clusters],
        }

    spec: dict[str, Any] = {
        "sourceCluster": destination(source),
        "targetCluster": destination(targets),
    }
    if policy:
        spec["policy"] = policy
    return {
        "apiVersion": "backup.kurator.dev/v1alpha1",
        "kind": "Migrate",
        "metadata": {"name": name, "namespace": NAMESPACE},
        "spec": spec,
    }


async def test_label_selected_objects_move_from_the_source_to_every_target(
    store: ObjectStore, members: Members, backup_service: RunningBackup
) -> None:
    await seed_app(members, "member-1")
    manifest = migrate_manifest(
        "select-labels",
        source=["member-1"],
        targets=["member-2", "member-3"],
        resourceFilter={"labelSelector": {"matchLabels": {"app": "busybox"}}},
        namespaceMapping={"kurator-backup": "moved"},
    )
    await store.create(MIGRATES, manifest)
    migrate = await wait_phase(store, MIGRATES, "select-labels", TERMINAL)

    status = migrate["status"]
    assert status["phase"] == "Completed", status
    assert migrate["metadata"]["finalizers"] == [FINALIZER]
    source = status["sourceClusterStatus"]
    assert source["clusterName"] == "member-1"
    assert source["clusterKind"] == "AttachedCluster"
    assert source["backupNameInCluster"] == f"member-1-migrate-{NAMESPACE}-select-labels"
    assert source["backupStatusInCluster"]["phase"] == "Completed"
    assert source["backupStatusInCluster"]["progress"]["itemsBackedUp"] >= 3
    assert [(c["type"], c["status"]) for c in status["conditions"]] == [("sourceReady", "True")]
    targets = {detail["clusterName"]: detail for detail in status["targetClusterStatus"]}
    assert sorted(targets) == ["member-2", "member-3"]
    for cluster, detail in targets.items():
        assert detail["restoreNameInCluster"] == f"{cluster}-migrate-{NAMESPACE}-select-labels"
        assert detail["restoreStatusInCluster"]["phase"] == "Completed"
        async with MemberApi(members, cluster) as api:
            for index in range(3):
                item = await api.get("configmaps", f"settings-{index}", namespace="moved")
                assert item is not None, (cluster, index)
                assert item["data"] == {"index": str(index), "cluster": "member-1"}
                assert item["metadata"]["labels"]["app"] == "busybox"
            assert await api.get("configmaps", "elsewhere", namespace="default") is None
            assert await api.get("namespaces", "kurator-backup") is None


async def test_a_source_naming_two_clusters_fails_validation_naming_the_field(
    store: ObjectStore, members: Members, backup_service: RunningBackup
) -> None:
    await store.create(
        MIGRATES, migrate_manifest("two", source=["member-1", "member-2"], targets=["member-3"])
    )
    migrate = await wait_phase(store, MIGRATES, "two", TERMINAL)

    assert migrate["status"]["phase"] == "FailedValidation"
    source = migrate["status"]["sourceClusterStatus"]["backupStatusInCluster"]
    assert source["validationErrors"] == [
        "spec.sourceCluster.clusters: must list exactly one cluster, found 2"
    ]
    assert "targetClusterStatus" not in migrate["status"]


async def test_a_target_outside_the_fleet_fails_validation(
    store: ObjectStore, members: Members, backup_service: RunningBackup
) -> None:
    await store.create(
        MIGRATES, migrate_manifest("outside", source=["member-1"], targets=["member-9"])
    )
    migrate = await wait_phase(store, MIGRATES, "outside", TERMINAL)

    assert migrate["status"]["phase"] == "FailedValidation"
    source = migrate["status"]["sourceClusterStatus"]["backupStatusInCluster"]
    assert source["validationErrors"] == [
        f'clusters AttachedCluster/member-9 are not members of fleet "{FLEET}"'
    ]


async def test_a_target_that_is_down_fails_the_migrate_and_the_other_gets_its_copy(
    store: ObjectStore, members: Members, backup_service: RunningBackup
) -> None:
    await seed_app(members, "member-1", configmaps=1)
    members["member-3"].fault = "error"
    await store.create(
        MIGRATES, migrate_manifest("half", source=["member-1"], targets=["member-2", "member-3"])
    )
    migrate = await wait_phase(store, MIGRATES, "half", TERMINAL)

    assert migrate["status"]["phase"] == "Failed"
    targets = {d["clusterName"]: d for d in migrate["status"]["targetClusterStatus"]}
    assert targets["member-2"]["restoreStatusInCluster"]["phase"] == "Completed"
    failed = targets["member-3"]["restoreStatusInCluster"]
    assert failed["phase"] == "Failed"
    assert failed["failureReason"].startswith("cluster member-3 unavailable")
    async with MemberApi(members, "member-2") as api:
        assert await api.get("configmaps", "settings-0", namespace="kurator-backup") is not None


async def test_killed_mid_backup_is_failed_at_restart_and_deleting_it_removes_the_archive(
    store: ObjectStore, members: Members, backup_service: RunningBackup
) -> None:
    await seed_app(members, "member-1", configmaps=1)
    members["member-1"].latency_s = 0.3
    await store.create(MIGRATES, migrate_manifest("cut", source=["member-1"], targets=["member-2"]))

    async def backing_up() -> bool:
        migrate = await hub_get(store, MIGRATES, "cut")
        return bool(migrate) and "sourceClusterStatus" in (migrate.get("status") or {})

    await eventually(backing_up)
    await backup_service.kill()
    members["member-1"].latency_s = 0.0
    await backup_service.start()
    migrate = await wait_phase(store, MIGRATES, "cut", TERMINAL)

    assert migrate["status"]["phase"] == "Failed"
    source = migrate["status"]["sourceClusterStatus"]["backupStatusInCluster"]
    assert source["failureReason"] == (
        'found a backup with status "InProgress" during the server starting, mark it as "Failed"'
    )

    await store.create(
        MIGRATES, migrate_manifest("kept", source=["member-1"], targets=["member-2"])
    )
    done = await wait_phase(store, MIGRATES, "kept", TERMINAL)
    assert done["status"]["phase"] == "Completed", done["status"]
    run = done["status"]["sourceClusterStatus"]["backupNameInCluster"]
    archives = await backup_service.archives()
    assert await archives.keys(backup_contents_key(run)) == [backup_contents_key(run)]
    await store.delete(MIGRATES, NAMESPACE, "kept")

    async def removed() -> bool:
        return await hub_get(store, MIGRATES, "kept") is None

    await eventually(removed)
    assert await archives.keys(f"backups/{run}/") == []
    async with MemberApi(members, "member-2") as api:
        assert await api.get("configmaps", "settings-0", namespace="kurator-backup") is not None
