"""What every backup and restore run shares: the caches, member sessions, the archive store,
and the fleet-wide fan-out (clusters in parallel; one failing member never blocks another)."""

import asyncio
import json
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from services.backup.archiving import (
    backup_contents_key,
    backup_metadata_key,
    backup_resource_list_key,
    backup_results_key,
)
from services.backup.destinations import Target
from services.backup.members import BackupMember
from services.backup.models import Backup, ResourceFilter, VeleroBackupStatus
from services.backup.phases import BACKUP_KIND, is_expired, velero_object_name
from services.backup.running import back_up_cluster
from services.backup.settings import BackupSettings
from services.backup.storing import ArchiveMissingError, ArchiveStore
from shared.members.client import MemberClient, MemberError
from shared.members.sessions import MemberSessions
from shared.runtime.clock import WallClock
from shared.runtime.controllers import Controllers
from shared.runtime.informing import Informer

log = logging.getLogger(__name__)

_TIMESTAMP_SUFFIX = re.compile(r"-\d{14}$")


@dataclass
class BackupCaches:
    backups: Informer
    restores: Informer
    migrates: Informer
    fleets: Informer
    attached: Informer
    secrets: Informer


@dataclass
class RunContext:
    controllers: Controllers
    caches: BackupCaches
    sessions: MemberSessions[BackupMember]
    archives: ArchiveStore
    settings: BackupSettings
    clock: WallClock

    async def client(self, target: Target) -> MemberClient:
        """The member's client, from its session (rebuilt when the kubeconfig changed)."""
        if target.kubeconfig is None:
            raise MemberError("InvalidKubeconfig", target.problem or "no kubeconfig")
        session, _ = await self.sessions.ensure(target.name, target.kubeconfig, BackupMember)
        return session.client

    async def delete_run(self, run: str) -> None:
        """Every file of one run; the metadata first, so a half-deleted run is never read."""
        for key in (
            backup_metadata_key(run),
            backup_contents_key(run),
            backup_results_key(run),
            backup_resource_list_key(run),
        ):
            await self.archives.delete(key)

    async def scheduled_runs(self, backup: Backup) -> dict[str, list[dict]]:
        """Each cluster's stored scheduled runs (the archived Velero Backup), newest first."""
        namespace, name = backup.metadata.namespace or "", backup.metadata.name
        runs: dict[str, list[dict]] = {}
        keys = await self.archives.keys("backups/")
        for key in keys:
            if not key.endswith("/velero-backup.json"):
                continue
            run = key.split("/")[1]
            base = _TIMESTAMP_SUFFIX.sub("", run)
            if base == run:
                continue
            cluster = base.removesuffix(f"-{BACKUP_KIND}-{namespace}-{name}")
            if cluster == base or base != velero_object_name(
                cluster=cluster, kind=BACKUP_KIND, namespace=namespace, name=name
            ):
                continue
            try:
                runs.setdefault(cluster, []).append(json.loads(await self.archives.get(key)))
            except (ArchiveMissingError, ValueError) as error:
                log.warning("scheduled run %s unreadable: %s", run, error)
        for entries in runs.values():
            entries.sort(key=lambda entry: entry["metadata"]["name"], reverse=True)
        return runs

    async def delete_scheduled_runs(self, backup: Backup) -> None:
        for entries in (await self.scheduled_runs(backup)).values():
            for entry in entries:
                await self.delete_run(entry["metadata"]["name"])

    async def collect_expired(self, backup: Backup, *, now: datetime) -> None:
        """Velero's GC for a schedule's runs: those past their expiration are deleted."""
        for entries in (await self.scheduled_runs(backup)).values():
            for entry in entries:
                status = VeleroBackupStatus.model_validate(entry.get("status") or {})
                if is_expired(status.expiration, now=now):
                    log.info("scheduled run %s expired", entry["metadata"]["name"])
                    await self.delete_run(entry["metadata"]["name"])


Finished = Callable[[Target, VeleroBackupStatus], Awaitable[None]]


async def run_backups(
    context: RunContext,
    *,
    targets: list[Target],
    run_of: Callable[[str], str],
    resource_filter: ResourceFilter | None,
    spec: dict[str, object],
    labels: dict[str, str],
    started: datetime,
    expiration: datetime,
    finished: Finished,
) -> None:
    """Every target at once; each reports through `finished` as soon as it is done."""

    async def one(target: Target) -> None:
        try:
            client = await context.client(target)
        except MemberError as error:
            status = VeleroBackupStatus(
                version=1,
                phase="Failed",
                failure_reason=f"cluster {target.name} unavailable: {error}",
                start_timestamp=started,
                completion_timestamp=context.clock(),
                expiration=expiration,
            )
        else:
            status = await back_up_cluster(
                client,
                cluster=target.name,
                run=run_of(target.name),
                resource_filter=resource_filter,
                spec=spec,
                labels=labels,
                archives=context.archives,
                started=started,
                expiration=expiration,
                clock=context.clock,
                page_size=context.settings.page_size,
                concurrency=context.settings.requests_per_cluster,
            )
        await finished(target, status)

    async with asyncio.TaskGroup() as group:
        for target in targets:
            group.create_task(one(target), name=f"backup/{target.name}")
