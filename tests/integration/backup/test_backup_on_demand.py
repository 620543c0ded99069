"""An on-demand Backup of a Fleet's clusters into the JetStream object store, as Kurator
documents it (`minimal`), checked in the status and in the archives themselves."""

import gzip
import io
import json
import tarfile

from backup_world import (
    NAMESPACE,
    MemberApi,
    RunningBackup,
    backup_manifest,
    wait_backup,
)
from propagation_world import Members

from shared.api.kinds import BACKUPS
from shared.store.objects import ObjectStore

MEMBERS = ["member-1", "member-2", "member-3"]


async def seed_app(members: Members, cluster: str, *, configmaps: int = 3) -> None:
    async with MemberApi(members, cluster) as api:
        await api.create(
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "kurator-backup"}}
        )
        for index in range(configmaps):
            await api.create(
                {
                    "apiVersion": "v1",
                    "kind": "ConfigMap",
                    "metadata": {
                        "name": f"settings-{index}",
                        "namespace": "kurator-backup",
                        "labels": {"app": "busybox"},
                        "annotations": {"owner": cluster},
                    },
                    "data": {"index": str(index), "cluster": cluster},
                }
            )
        await api.create(
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": "elsewhere", "namespace": "default"},
                "data": {"kept": "out"},
            }
        )


async def test_minimal_backup_of_every_cluster(
    store: ObjectStore, members: Members, backup_service: RunningBackup
) -> None:
    for cluster in MEMBERS:
        await seed_app(members, cluster)
    manifest = backup_manifest(
        "minimal", policy={"resourceFilter": {"includedNamespaces": ["kurator-backup"]}}
    )
    await store.create(BACKUPS, manifest)
    backup = await wait_backup(store, "minimal")

    assert backup["status"]["phase"] == "Completed"
    assert backup["metadata"]["finalizers"] == ["backup.kurator.dev"]
    details = {d["clusterName"]: d for d in backup["status"]["backupDetails"]}
    assert sorted(details) == MEMBERS
    for cluster, detail in details.items():
        assert detail["clusterKind"] == "AttachedCluster"
        assert detail["backupNameInCluster"] == f"{cluster}-backup-{NAMESPACE}-minimal"
        status = detail["backupStatusInCluster"]
        assert status["phase"] == "Completed"
        assert status["formatVersion"] == "1.1.0"
        # three ConfigMaps, the namespace's kube-root-ca.crt if any, and the Namespace
        assert status["progress"]["totalItems"] == status["progress"]["itemsBackedUp"]
        assert status["progress"]["totalItems"] >= 4
        assert status["startTimestamp"] <= status["completionTimestamp"]
        assert status["expiration"] > status["startTimestamp"]

    archives = await backup_service.archives()
    run = f"member-2-backup-{NAMESPACE}-minimal"
    tarball = await archives.get(f"backups/{run}/{run}.tar.gz")
    with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as archive:
        names = archive.getnames()
        assert "metadata/version" in names
        path = "resources/configmaps/namespaces/kurator-backup/settings-1.json"
        assert path in names
        assert (
            "resources/configmaps/v1-preferredversion/namespaces/kurator-backup/settings-1.json"
            in names
        )
        assert "resources/namespaces/cluster/kurator-backup.json" in names
        assert not any("elsewhere" in name for name in names)
        item = json.loads(archive.extractfile(path).read())  # type: ignore[union-attr]
    assert item["data"] == {"index": "1", "cluster": "member-2"}
    assert item["metadata"]["annotations"] == {"owner": "member-2"}
    metadata = json.loads(await archives.get(f"backups/{run}/velero-backup.json"))
    assert metadata["kind"] == "Backup" and metadata["status"]["phase"] == "Completed"
    versions = json.loads(metadata["metadata"]["annotations"]["navarch.dev/resource-versions"])
    assert versions["configmaps/kurator-backup"]
    resource_list = json.loads(
        gzip.decompress(await archives.get(f"backups/{run}/{run}-resource-list.json.gz"))
    )
    assert "kurator-backup/settings-0" in resource_list["v1/ConfigMap"]


async def test_a_member_down_fails_only_its_own_part(
    store: ObjectStore, members: Members, backup_service: RunningBackup
) -> None:
    for cluster in MEMBERS:
        await seed_app(members, cluster, configmaps=1)
    members["member-3"].fault = "error"
    await store.create(BACKUPS, backup_manifest("while-down"))
    backup = await wait_backup(store, "while-down")

    details = {
        d["clusterName"]: d["backupStatusInCluster"] for d in backup["status"]["backupDetails"]
    }
    assert details["member-1"]["phase"] == "Completed"
    assert details["member-2"]["phase"] == "Completed"
    assert details["member-3"]["phase"] == "Failed"
    assert "member-3 unavailable" in details["member-3"]["failureReason"]
    assert backup["status"]["phase"] == "PartiallyFailed"
    archives = await backup_service.archives()
    run = f"member-3-backup-{NAMESPACE}-while-down"
    assert await archives.keys(f"backups/{run}/") == []


async def test_invalid_filters_fail_validation_with_veleros_words(
    store: ObjectStore, backup_service: RunningBackup
) -> None:
    manifest = backup_manifest(
        "mixed",
        policy={
            "resourceFilter": {
                "includedResources": ["configmaps"],
                "includedClusterScopedResources": ["storageclasses"],
            }
        },
    )
    await store.create(BACKUPS, manifest)
    backup = await wait_backup(store, "mixed")
    assert backup["status"]["phase"] == "FailedValidation"
    status = backup["status"]["backupDetails"][0]["backupStatusInCluster"]
    assert status["validationErrors"][0].startswith(
        "include-resources, exclude-resources and include-cluster-resources are old filter"
    )
