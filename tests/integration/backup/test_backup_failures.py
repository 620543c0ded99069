"""Failure rules: a run in progress when the service is killed is Failed with Velero's
reason at restart (never stuck InProgress), and the next scheduled run still happens."""

import re

from backup_world import (
    NAMESPACE,
    RunningBackup,
    backup_manifest,
    eventually,
    hub_get,
    restore_manifest,
    wait_backup,
    wait_restore,
)
from propagation_world import Members
from test_backup_on_demand import MEMBERS, seed_app

from shared.api.kinds import BACKUPS, RESTORES
from shared.store.objects import ObjectStore

INTERRUPTED = (
    'found a backup with status "InProgress" during the server starting, mark it as "Failed"'
)


async def in_progress(store: ObjectStore, name: str) -> bool:
    backup = await hub_get(store, BACKUPS, name)
    return bool(backup) and (backup.get("status") or {}).get("phase") == "InProgress"


async def test_killed_mid_run_is_failed_with_a_reason_at_restart(
    store: ObjectStore, members: Members, backup_service: RunningBackup
) -> None:
    for cluster in MEMBERS:
        await seed_app(members, cluster, configmaps=1)
    members["member-1"].latency_s = 0.3
    await store.create(BACKUPS, backup_manifest("interrupted"))
    await eventually(lambda: in_progress(store, "interrupted"))
    await backup_service.kill()
    members["member-1"].latency_s = 0.0
    await backup_service.start()
    backup = await wait_backup(store, "interrupted")

    details = {
        d["clusterName"]: d["backupStatusInCluster"] for d in backup["status"]["backupDetails"]
    }
    assert details["member-1"]["phase"] == "Failed"
    assert details["member-1"]["failureReason"] == INTERRUPTED
    assert details["member-1"]["completionTimestamp"]
    assert backup["status"]["phase"] in ("PartiallyFailed", "Failed")


async def test_scheduled_runs_are_named_like_veleros_and_survive_a_kill(
    store: ObjectStore, members: Members, backup_service: RunningBackup
) -> None:
    for cluster in MEMBERS:
        await seed_app(members, cluster, configmaps=1)
    await store.create(
        BACKUPS,
        backup_manifest(
            "nightly",
            schedule="@every 1s",
            destination={
                "fleet": "quickstart",
                "clusters": [{"kind": "AttachedCluster", "name": "member-2"}],
            },
        ),
    )
    pattern = re.compile(rf"^member-2-backup-{NAMESPACE}-nightly-\d{{14}}$")
    seen: set[str] = set()

    async def runs(count: int) -> bool:
        backup = await hub_get(store, BACKUPS, "nightly")
        for detail in (backup or {}).get("status", {}).get("backupDetails") or []:
            if detail["backupStatusInCluster"].get("phase") == "Completed":
                seen.add(detail["backupNameInCluster"])
        return len(seen) >= count

    await eventually(lambda: runs(1), timeout=15)
    members["member-2"].latency_s = 0.5
    await eventually(lambda: in_progress(store, "nightly"), timeout=15)
    await backup_service.kill()
    members["member-2"].latency_s = 0.0
    await backup_service.start()
    before = len(seen)
    await eventually(lambda: runs(before + 1), timeout=15)
    assert all(pattern.match(name) for name in seen), seen
    backup = await hub_get(store, BACKUPS, "nightly")
    assert backup is not None
    assert [d["clusterName"] for d in backup["status"]["backupDetails"]] == ["member-2"]

    await store.create(RESTORES, restore_manifest("from-schedule", "nightly"))
    restore = await wait_restore(store, "from-schedule")
    assert restore["status"]["phase"] == "Completed", restore["status"]
    [detail] = restore["status"]["restoreDetails"]
    assert detail["clusterName"] == "member-2"


async def test_an_expired_backup_loses_its_archives_and_says_so(
    store: ObjectStore, members: Members, backup_service: RunningBackup
) -> None:
    for cluster in MEMBERS:
        await seed_app(members, cluster, configmaps=1)
    await store.create(BACKUPS, backup_manifest("short-lived", policy={"ttl": "2s"}))
    backup = await wait_backup(store, "short-lived")
    assert backup["status"]["phase"] == "Completed"
    archives = await backup_service.archives()
    run = f"member-1-backup-{NAMESPACE}-short-lived"
    assert await archives.keys(f"backups/{run}/")

    async def expired() -> bool:
        current = await hub_get(store, BACKUPS, "short-lived")
        conditions = (current or {}).get("status", {}).get("conditions") or []
        return any(c["type"] == "ArchivesExpired" and c["status"] == "True" for c in conditions)

    await eventually(expired, timeout=15)
    assert await archives.keys(f"backups/{run}/") == []
