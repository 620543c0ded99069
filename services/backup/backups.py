"""The Backup reconcile: a fleet's clusters backed up together, on demand or on schedule.

Each cluster's part runs inside the reconcile of its Backup (the runner never runs one key
twice at once), so a detail still `InProgress` when a reconcile begins belongs to a process
that died: it is marked `Failed` as Velero marks its own at server start, and the next
scheduled run is not held up by it. Statuses are Kurator's: one `backupDetails` entry per
cluster carrying Velero's BackupStatus (a scheduled Backup shows each cluster's latest run).
"""

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime

from services.backup.destinations import DestinationError, Target, resolve_destination
from services.backup.finalizing import FinalizerSteps
from services.backup.models import (
    Backup,
    BackupDetails,
    ClusterAPICondition,
    VeleroBackupStatus,
)
from services.backup.phases import (
    BACKUP_KIND,
    backup_expiration,
    backup_phase,
    is_expired,
    record_backup_detail,
    timestamped_name,
    velero_object_name,
)
from services.backup.runs import RunContext, run_backups
from services.backup.validating import validate_backup_filter
from shared.api.kinds import BACKUPS
from shared.cron import CronScheduleError, next_fire_time
from shared.runtime.informing import ObjectKey
from shared.runtime.reconciling import Requeue
from shared.store.objects import Object

log = logging.getLogger(__name__)

FINALIZER = "backup.kurator.dev"
"""Kurator's own Backup finalizer: held until the Backup's archives are deleted."""
BACKUP_NAME_LABEL = "kurator.dev/backup-name"
FLEET_NAME_LABEL = "fleet.kurator.dev/fleet-name"
PLUGIN_LABEL = "fleet.kurator.dev/plugin"
INTERRUPTED = (
    'found a backup with status "InProgress" during the server starting, mark it as "Failed"'
)
"""Velero's failure reason for a backup its server found in progress when starting."""
EXPIRED_CONDITION = "ArchivesExpired"
_UNFINISHED = (None, "", "New", "InProgress")
_MAX_REQUEUE_S = 3600.0
_AFTER_RUN_S = 0.01
"""A finished run is looked at once more, which schedules its TTL expiry."""


def veleroish_spec(backup: Backup) -> dict[str, object]:
    """Kurator's BackupSpec as it hands it to Velero: filter fields, ttl, orderedResources."""
    policy = backup.spec.policy
    spec: dict[str, object] = {}
    if policy is not None:
        if policy.resource_filter is not None:
            spec.update(policy.resource_filter.to_dict())
        if policy.ttl:
            spec["ttl"] = policy.ttl
        if policy.ordered_resources:
            spec["orderedResources"] = policy.ordered_resources
    return spec


def interrupted_details(
    details: list[BackupDetails], *, now: datetime
) -> list[BackupDetails] | None:
    """The details with every unfinished run marked Failed; None when none was unfinished."""
    changed = False
    marked: list[BackupDetails] = []
    for detail in details:
        status = detail.backup_status_in_cluster
        if detail.backup_name_in_cluster and status is not None and status.phase in _UNFINISHED:
            status = status.model_copy(
                update={
                    "phase": "Failed",
                    "failure_reason": INTERRUPTED,
                    "completion_timestamp": now,
                }
            )
            detail = detail.model_copy(update={"backup_status_in_cluster": status})
            changed = True
        marked.append(detail)
    return marked if changed else None


def last_run_start(details: list[BackupDetails]) -> datetime | None:
    starts = [
        detail.backup_status_in_cluster.start_timestamp
        for detail in details
        if detail.backup_status_in_cluster and detail.backup_status_in_cluster.start_timestamp
    ]
    return max(starts) if starts else None


class Backups:
    def __init__(self, context: RunContext) -> None:
        self._context = context
        self._finalizers = FinalizerSteps(context.controllers.writer, BACKUPS, FINALIZER)

    async def reconcile(self, key: ObjectKey) -> Requeue | None:
        context = self._context
        namespace, name = key
        raw = context.controllers.fresh(context.caches.backups, namespace, name)
        if raw is None:
            return None
        if raw["metadata"].get("deletionTimestamp"):
            await self._delete_archives(raw)
            await self._finalizers.remove(raw)
            return None
        raw = await self._finalizers.ensure(raw)
        if raw is None:
            return None
        backup = Backup.model_validate(raw)
        now = context.clock()
        details = list(backup.status.backup_details or [])
        interrupted = interrupted_details(details, now=now)
        if interrupted is not None:
            log.warning("backup %s/%s: runs interrupted by a restart marked Failed", *key)
            raw = await self._write(raw, interrupted)
            details = interrupted
        if backup.spec.schedule:
            return await self._scheduled(raw, backup, details, now=now)
        if details:
            return await self._expire(raw, backup, details, now=now)
        await self._run(
            raw,
            backup,
            started=now,
            run_of=lambda cluster: velero_object_name(
                cluster=cluster, kind=BACKUP_KIND, namespace=namespace, name=name
            ),
        )
        return Requeue(after=_AFTER_RUN_S)

    async def _scheduled(
        self, raw: Object, backup: Backup, details: list[BackupDetails], *, now: datetime
    ) -> Requeue | None:
        namespace, name = backup.metadata.namespace or "", backup.metadata.name
        created = raw["metadata"].get("creationTimestamp")
        after = last_run_start(details) or (
            datetime.fromisoformat(created.replace("Z", "+00:00")) if created else now
        )
        try:
            due = next_fire_time(backup.spec.schedule, after=after)
        except CronScheduleError as error:
            await self._fail_validation(raw, backup, [f"invalid schedule: {error}"])
            return None
        if due is None:
            return None
        if due > now:
            await self._context.collect_expired(backup, now=now)
            return Requeue(after=min((due - now).total_seconds(), _MAX_REQUEUE_S))
        base = {
            cluster: velero_object_name(
                cluster=cluster, kind=BACKUP_KIND, namespace=namespace, name=name
            )
            for cluster in self._cluster_names(backup)
        }
        await self._run(
            raw, backup, started=now, run_of=lambda cluster: timestamped_name(base[cluster], due)
        )
        return Requeue(after=_AFTER_RUN_S)

    def _cluster_names(self, backup: Backup) -> list[str]:
        try:
            return [target.name for target in self._targets(backup)]
        except DestinationError:
            return []

    def _targets(self, backup: Backup) -> list[Target]:
        caches = self._context.caches
        return resolve_destination(
            backup.spec.destination,
            namespace=backup.metadata.namespace or "",
            fleets=caches.fleets,
            attached_clusters=caches.attached,
            secrets=caches.secrets,
        )

    async def _run(
        self, raw: Object, backup: Backup, *, started: datetime, run_of: Callable[[str], str]
    ) -> None:
        try:
            targets = self._targets(backup)
        except DestinationError as error:
            await self._fail_validation(raw, backup, [str(error)])
            return
        policy = backup.spec.policy
        resource_filter = policy.resource_filter if policy else None
        errors = validate_backup_filter(resource_filter)
        expiration = backup_expiration(started=started, ttl=policy.ttl if policy else None)
        details = list(backup.status.backup_details or [])
        for target in targets:
            status = VeleroBackupStatus(
                version=1,
                phase="FailedValidation" if errors else "InProgress",
                validation_errors=errors or None,
                start_timestamp=started,
                expiration=expiration,
            )
            details = record_backup_detail(
                details,
                cluster_name=target.name,
                cluster_kind=target.kind,
                backup_name=run_of(target.name),
                status=status,
            )
        raw = await self._write(raw, details)
        if errors:
            return
        lock = asyncio.Lock()
        current = {"raw": raw, "details": details}

        async def finished(target: Target, status: VeleroBackupStatus) -> None:
            async with lock:
                current["details"] = record_backup_detail(
                    current["details"],
                    cluster_name=target.name,
                    cluster_kind=target.kind,
                    backup_name=run_of(target.name),
                    status=status,
                )
                current["raw"] = await self._write(current["raw"], current["details"])

        await run_backups(
            self._context,
            targets=targets,
            run_of=run_of,
            resource_filter=resource_filter,
            spec=veleroish_spec(backup),
            labels={
                BACKUP_NAME_LABEL: backup.metadata.name,
                FLEET_NAME_LABEL: backup.spec.destination.fleet,
                PLUGIN_LABEL: "backup",
            },
            started=started,
            expiration=expiration,
            finished=finished,
        )

    async def _expire(
        self, raw: Object, backup: Backup, details: list[BackupDetails], *, now: datetime
    ) -> Requeue | None:
        """An on-demand Backup's archives are deleted once its TTL passed (Velero's GC)."""
        expirations = [
            detail.backup_status_in_cluster.expiration
            for detail in details
            if detail.backup_status_in_cluster and detail.backup_status_in_cluster.expiration
        ]
        if not expirations:
            return None
        if any(condition.type == EXPIRED_CONDITION for condition in backup.status.conditions or []):
            return None
        expiration = min(expirations)
        if not is_expired(expiration, now=now):
            return Requeue(after=min((expiration - now).total_seconds(), _MAX_REQUEUE_S))
        runs = [
            detail.backup_name_in_cluster for detail in details if detail.backup_name_in_cluster
        ]
        for run in runs:
            await self._context.delete_run(run)
        condition = ClusterAPICondition(
            type=EXPIRED_CONDITION,
            status="True",
            severity="Info",
            reason="TTLExpired",
            message=f"archives of {', '.join(runs)} deleted: their ttl passed",
            last_transition_time=now,
        )
        status = backup.status.model_copy(
            update={"conditions": [*(backup.status.conditions or []), condition]}
        )
        await self._context.controllers.writer.change(
            BACKUPS, raw, lambda obj: {**obj, "status": status.to_dict()}, status=True
        )
        return None

    async def _fail_validation(self, raw: Object, backup: Backup, errors: list[str]) -> None:
        details = [
            BackupDetails(
                cluster_name=ref.name,
                cluster_kind=ref.kind,
                backup_status_in_cluster=VeleroBackupStatus(
                    phase="FailedValidation", validation_errors=errors
                ),
            )
            for ref in backup.spec.destination.clusters
        ] or [
            BackupDetails(
                backup_status_in_cluster=VeleroBackupStatus(
                    phase="FailedValidation", validation_errors=errors
                )
            )
        ]
        await self._write(raw, details)

    async def _write(self, raw: Object, details: list[BackupDetails]) -> Object:
        status = dict(raw.get("status") or {})
        status["backupDetails"] = [detail.to_dict() for detail in details]
        status["phase"] = backup_phase(details)
        if raw.get("status") == status:
            return raw
        written = await self._context.controllers.writer.ensure(
            BACKUPS, raw, lambda obj: {**obj, "status": status}, status=True
        )
        return written or raw

    async def _delete_archives(self, raw: Object) -> None:
        backup = Backup.model_validate(raw)
        for detail in backup.status.backup_details or []:
            if detail.backup_name_in_cluster:
                await self._context.delete_run(detail.backup_name_in_cluster)
        if backup.spec.schedule:
            await self._context.delete_scheduled_runs(backup)
