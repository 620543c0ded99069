"""One cluster's part of a backup run: discover, collect into a tarball, store the archive.

The archive is written in Velero's object-store layout. The tarball, the results and the
resource list go first and `velero-backup.json` last, so a run killed half-way leaves no
metadata file: an archive without one is never taken for a finished backup.
"""

import json
import logging
import tempfile
from datetime import datetime

from services.backup.archiving import (
    FORMAT_VERSION,
    backup_contents_key,
    backup_metadata_key,
    backup_resource_list_key,
    backup_results_key,
    encode_backup_metadata,
    encode_resource_list,
    encode_results,
)
from services.backup.collecting import ClusterCollector, Collection
from services.backup.members import discover
from services.backup.models import BackupProgress, ResourceFilter, VeleroBackupStatus
from services.backup.storing import ArchiveStore
from shared.members.client import MemberClient, MemberError
from shared.runtime.clock import WallClock

log = logging.getLogger(__name__)

RESOURCE_VERSIONS_ANNOTATION = "navarch.dev/resource-versions"
"""On the archived Backup: the resourceVersion each list of the run was read at."""
SOURCE_CLUSTER_LABEL = "navarch.dev/source-cluster"


def _velero_backup(
    *,
    name: str,
    cluster: str,
    labels: dict[str, str],
    spec: dict[str, object],
    status: VeleroBackupStatus,
    resource_versions: dict[str, str],
) -> dict[str, object]:
    """The `velero.io/v1` Backup Velero would store beside the tarball."""
    return {
        "apiVersion": "velero.io/v1",
        "kind": "Backup",
        "metadata": {
            "name": name,
            "namespace": "velero",
            "labels": {**labels, SOURCE_CLUSTER_LABEL: cluster},
            "annotations": {
                RESOURCE_VERSIONS_ANNOTATION: json.dumps(resource_versions, sort_keys=True)
            },
        },
        "spec": spec,
        "status": status.to_dict(),
    }


async def back_up_cluster(
    client: MemberClient,
    *,
    cluster: str,
    run: str,
    resource_filter: ResourceFilter | None,
    spec: dict[str, object],
    labels: dict[str, str],
    archives: ArchiveStore,
    started: datetime,
    expiration: datetime,
    clock: WallClock,
    page_size: int,
    concurrency: int,
) -> VeleroBackupStatus:
    """Back one member up into `run`'s archive; the status says how it went, never raises
    for a member's failure (the run's other clusters go on)."""
    status = VeleroBackupStatus(
        version=1,
        format_version=FORMAT_VERSION,
        phase="InProgress",
        start_timestamp=started,
        expiration=expiration,
    )
    collection = Collection()
    try:
        catalog = await discover(client)
        with tempfile.TemporaryFile() as tarball:
            collector = ClusterCollector(
                client, catalog=catalog, page_size=page_size, concurrency=concurrency
            )
            collection = await collector.collect(resource_filter, out=tarball, now=started)
            tarball.seek(0)
            await archives.put(backup_contents_key(run), tarball)
        await archives.put(
            backup_results_key(run),
            encode_results(warnings=collection.warnings, errors=collection.errors),
        )
        await archives.put(
            backup_resource_list_key(run), encode_resource_list(collection.resource_list)
        )
    except MemberError as error:
        status.phase = "Failed"
        status.failure_reason = f"cluster {cluster} unavailable: {error}"
    except Exception as error:
        log.exception("backup %s of cluster %s failed", run, cluster)
        status.phase = "Failed"
        status.failure_reason = f"error backing up cluster {cluster}: {error}"
    else:
        errors = collection.errors.count()
        status.phase = "PartiallyFailed" if errors else "Completed"
        status.errors = errors or None
        status.warnings = collection.warnings.count() or None
    status.progress = BackupProgress(total_items=collection.items, items_backed_up=collection.items)
    status.completion_timestamp = clock()
    if status.phase != "Failed":
        metadata = _velero_backup(
            name=run,
            cluster=cluster,
            labels=labels,
            spec=spec,
            status=status,
            resource_versions=collection.resource_versions,
        )
        try:
            await archives.put(backup_metadata_key(run), encode_backup_metadata(metadata))
        except Exception as error:
            log.exception("backup %s of cluster %s: metadata not stored", run, cluster)
            status.phase = "Failed"
            status.failure_reason = f"error uploading backup metadata: {error}"
    return status
