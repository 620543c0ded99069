"""Restore from an on-demand Backup: a deleted namespace comes back on every member with
its labels, annotations and data; existing objects are skipped, warned about or updated as
Velero's existingResourcePolicy says; namespaceMapping renames; corrupt archives write
nothing."""

import asyncio

from backup_world import (
    NAMESPACE,
    MemberApi,
    RunningBackup,
    backup_manifest,
    eventually,
    restore_manifest,
    wait_backup,
    wait_restore,
)
from propagation_world import Members
from test_backup_on_demand import MEMBERS, seed_app

from services.backup.archiving import backup_contents_key, decode_results, restore_results_key
from shared.api.kinds import BACKUPS, RESTORES
from shared.store.objects import ObjectStore


async def backed_up(store: ObjectStore, members: Members, name: str = "minimal") -> None:
    for cluster in MEMBERS:
        await seed_app(members, cluster)
    await store.create(
        BACKUPS,
        backup_manifest(
            name, policy={"resourceFilter": {"includedNamespaces": ["kurator-backup"]}}
        ),
    )
    backup = await wait_backup(store, name)
    assert backup["status"]["phase"] == "Completed"


async def delete_namespace(members: Members, cluster: str) -> None:
    async with MemberApi(members, cluster) as api:
        await api.delete("namespaces", "kurator-backup")

        async def gone() -> bool:
            return await api.get("namespaces", "kurator-backup") is None

        await eventually(gone)


async def test_deleted_namespace_comes_back_on_every_member(
    store: ObjectStore, members: Members, backup_service: RunningBackup
) -> None:
    await backed_up(store, members)
    for cluster in MEMBERS:
        await delete_namespace(members, cluster)
    await store.create(RESTORES, restore_manifest("minimal", "minimal"))
    restore = await wait_restore(store, "minimal")

    assert restore["status"]["phase"] == "Completed", restore["status"]
    details = {d["clusterName"]: d for d in restore["status"]["restoreDetails"]}
    assert sorted(details) == MEMBERS
    for cluster in MEMBERS:
        detail = details[cluster]
        assert detail["restoreNameInCluster"] == f"{cluster}-restore-{NAMESPACE}-minimal"
        assert detail["restoreStatusInCluster"]["phase"] == "Completed"
        async with MemberApi(members, cluster) as api:
            for index in range(3):
                item = await api.get("configmaps", f"settings-{index}", namespace="kurator-backup")
                assert item is not None
                assert item["data"] == {"index": str(index), "cluster": cluster}
                assert item["metadata"]["annotations"] == {"owner": cluster}
                labels = item["metadata"]["labels"]
                assert labels["app"] == "busybox"
                assert labels["velero.io/backup-name"] == f"{cluster}-backup-{NAMESPACE}-minimal"
                assert labels["velero.io/restore-name"] == detail["restoreNameInCluster"]


async def test_existing_objects_skipped_or_warned_and_never_deleted(
    store: ObjectStore, members: Members, backup_service: RunningBackup
) -> None:
    await backed_up(store, members)
    async with MemberApi(members, "member-1") as api:
        changed = await api.get("configmaps", "settings-1", namespace="kurator-backup")
        assert changed is not None
        changed["data"] = {"index": "changed"}
        await api.replace(changed, "configmaps")
        await api.create(
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": "newer", "namespace": "kurator-backup"},
                "data": {"live": "yes"},
            }
        )
    await store.create(
        RESTORES,
        restore_manifest(
            "over-live",
            "minimal",
            destination={
                "fleet": "quickstart",
                "clusters": [{"kind": "AttachedCluster", "name": "member-1"}],
            },
        ),
    )
    restore = await wait_restore(store, "over-live")
    [detail] = restore["status"]["restoreDetails"]
    status = detail["restoreStatusInCluster"]
    assert status["phase"] == "Completed"
    assert status["warnings"] == 1
    archives = await backup_service.archives()
    warnings, errors = decode_results(
        await archives.get(restore_results_key(detail["restoreNameInCluster"]))
    )
    assert errors.count() == 0
    assert warnings.namespaces == {
        "kurator-backup": [
            'could not restore, ConfigMap "settings-1" already exists. Warning: the in-cluster '
            "version is different than the backed-up version"
        ]
    }
    async with MemberApi(members, "member-1") as api:
        kept = await api.get("configmaps", "settings-1", namespace="kurator-backup")
        assert kept is not None and kept["data"] == {"index": "changed"}
        assert await api.get("configmaps", "newer", namespace="kurator-backup") is not None
        same = await api.get("configmaps", "settings-0", namespace="kurator-backup")
        assert same is not None and "velero.io/restore-name" not in same["metadata"]["labels"]


async def test_update_policy_puts_the_backed_up_version_back(
    store: ObjectStore, members: Members, backup_service: RunningBackup
) -> None:
    await backed_up(store, members)
    async with MemberApi(members, "member-2") as api:
        changed = await api.get("configmaps", "settings-2", namespace="kurator-backup")
        assert changed is not None
        changed["data"] = {"index": "changed"}
        await api.replace(changed, "configmaps")
    await store.create(
        RESTORES, restore_manifest("update", "minimal", policy={"existingResourcePolicy": "update"})
    )
    restore = await wait_restore(store, "update")
    assert restore["status"]["phase"] == "Completed"
    async with MemberApi(members, "member-2") as api:
        item = await api.get("configmaps", "settings-2", namespace="kurator-backup")
        assert item is not None and item["data"] == {"index": "2", "cluster": "member-2"}


async def test_namespace_mapping_and_label_filter(
    store: ObjectStore, members: Members, backup_service: RunningBackup
) -> None:
    await backed_up(store, members)
    await store.create(
        RESTORES,
        restore_manifest(
            "mapped",
            "minimal",
            policy={
                "namespaceMapping": {"kurator-backup": "kurator-restored"},
                "resourceFilter": {"labelSelector": {"matchLabels": {"app": "busybox"}}},
            },
        ),
    )
    restore = await wait_restore(store, "mapped")
    assert restore["status"]["phase"] == "Completed", restore["status"]
    async with MemberApi(members, "member-3") as api:
        assert await api.get("namespaces", "kurator-restored") is not None
        item = await api.get("configmaps", "settings-0", namespace="kurator-restored")
        assert item is not None and item["data"]["cluster"] == "member-3"


async def test_a_corrupt_archive_fails_the_restore_and_writes_nothing(
    store: ObjectStore, members: Members, backup_service: RunningBackup
) -> None:
    await backed_up(store, members)
    archives = await backup_service.archives()
    run = f"member-1-backup-{NAMESPACE}-minimal"
    await archives.put(backup_contents_key(run), b"\x1f\x8bnot a tarball at all")
    await delete_namespace(members, "member-1")
    await store.create(RESTORES, restore_manifest("broken", "minimal"))
    restore = await wait_restore(store, "broken")
    details = {
        d["clusterName"]: d["restoreStatusInCluster"] for d in restore["status"]["restoreDetails"]
    }
    assert details["member-1"]["phase"] == "Failed"
    assert details["member-1"]["failureReason"].startswith(f"error reading backup {run}:")
    assert details["member-2"]["phase"] == "Completed"
    await asyncio.sleep(0.2)
    async with MemberApi(members, "member-1") as api:
        assert await api.get("namespaces", "kurator-backup") is None
