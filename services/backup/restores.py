"""The Restore reconcile: which backup run each cluster restores from, and the fleet fan-out.

Kurator's rules (restore_controller.go): the Backup is looked up in the Restore's namespace;
clusters are the backup's own, or `spec.destination` when it names the same fleet and a
subset of them; an on-demand Backup restores its run per cluster, a scheduled one each
cluster's newest Completed run. A restore never re-runs: once every cluster has an outcome,
the Restore is done.
"""

import asyncio
import logging
from datetime import datetime

from services.backup.archiving import restore_results_key
from services.backup.destinations import DestinationError, Target, resolve_destination
from services.backup.finalizing import FinalizerSteps
from services.backup.models import (
    Backup,
    Destination,
    ObjectReference,
    Restore,
    RestoreDetails,
    RestorePolicy,
    VeleroRestoreStatus,
)
from services.backup.phases import (
    RESTORE_KIND,
    record_restore_detail,
    restore_phase,
    velero_object_name,
)
from services.backup.restoring import RestoreRequest, restore_cluster
from services.backup.runs import RunContext
from shared.api.kinds import RESTORES
from shared.members.client import MemberError
from shared.runtime.informing import ObjectKey
from shared.runtime.reconciling import Requeue
from shared.store.objects import Object

log = logging.getLogger(__name__)

FINALIZER = "restore.kurator.dev"
"""Kurator's Restore finalizer: held until the restore results are deleted (objects stay)."""
INTERRUPTED = (
    'found a restore with status "InProgress" during the server starting, mark it as "Failed"'
)
_RESTORABLE = ("Completed", "PartiallyFailed")
_UNFINISHED = (None, "", "New", "InProgress")
WAIT_FOR_BACKUP_S = 2.0


class RestoreWait(Exception):
    """The backup is not ready yet: try again later without writing anything."""


def _interrupted(details: list[RestoreDetails], *, now: datetime) -> list[RestoreDetails] | None:
    changed = False
    marked: list[RestoreDetails] = []
    for detail in details:
        status = detail.restore_status_in_cluster
        if status is not None and status.phase in _UNFINISHED:
            status = status.model_copy(
                update={
                    "phase": "Failed",
                    "failure_reason": INTERRUPTED,
                    "completion_timestamp": now,
                }
            )
            detail = detail.model_copy(update={"restore_status_in_cluster": status})
            changed = True
        marked.append(detail)
    return marked if changed else None


class Restores:
    def __init__(self, context: RunContext) -> None:
        self._context = context
        self._finalizers = FinalizerSteps(context.controllers.writer, RESTORES, FINALIZER)

    async def reconcile(self, key: ObjectKey) -> Requeue | None:
        context = self._context
        namespace, name = key
        raw = context.controllers.fresh(context.caches.restores, namespace, name)
        if raw is None:
            return None
        if raw["metadata"].get("deletionTimestamp"):
            for detail in Restore.model_validate(raw).status.restore_details or []:
                if detail.restore_name_in_cluster:
                    await context.archives.delete(
                        restore_results_key(detail.restore_name_in_cluster)
                    )
            await self._finalizers.remove(raw)
            return None
        raw = await self._finalizers.ensure(raw)
        if raw is None:
            return None
        restore = Restore.model_validate(raw)
        details = list(restore.status.restore_details or [])
        interrupted = _interrupted(details, now=context.clock())
        if interrupted is not None:
            await self._write(raw, interrupted)
            return None
        if details:
            return None
        backup_raw = context.caches.backups.get(namespace, restore.spec.backup_name)
        if backup_raw is None:
            log.info("restore %s/%s waits for backup %s", namespace, name, restore.spec.backup_name)
            return None
        backup = Backup.model_validate(backup_raw)
        try:
            runs, problems = await self._runs(restore, backup)
        except RestoreWait:
            return Requeue(after=WAIT_FOR_BACKUP_S)
        except DestinationError as error:
            await self._write(raw, [self._invalid(None, [str(error)])])
            return None
        await self._run(raw, restore, backup, runs=runs, problems=problems)
        return None

    async def _runs(
        self, restore: Restore, backup: Backup
    ) -> tuple[dict[tuple[str, str], str], dict[tuple[str, str], list[str]]]:
        """(kind, cluster) -> backup run to restore, and the clusters that cannot restore."""
        clusters = [
            (detail.cluster_kind or "", detail.cluster_name or "")
            for detail in backup.status.backup_details or []
            if detail.cluster_name
        ]
        destination = restore.spec.destination
        if destination is not None:
            if destination.fleet != backup.spec.destination.fleet:
                raise DestinationError(
                    f'destination fleet "{destination.fleet}" is not the backup\'s fleet '
                    f'"{backup.spec.destination.fleet}"'
                )
            if destination.clusters:
                wanted = [(ref.kind or "Cluster", ref.name) for ref in destination.clusters]
                outside = [
                    f"{kind}/{name}" for kind, name in wanted if (kind, name) not in clusters
                ]
                if outside:
                    raise DestinationError(
                        f"clusters {', '.join(outside)} are not covered by backup "
                        f'"{backup.metadata.name}"; use a Migrate to copy to other clusters'
                    )
                clusters = wanted
        runs: dict[tuple[str, str], str] = {}
        problems: dict[tuple[str, str], list[str]] = {}
        if backup.spec.schedule:
            stored = await self._context.scheduled_runs(backup)
            for kind, cluster in clusters:
                completed = [
                    entry
                    for entry in stored.get(cluster, [])
                    if (entry.get("status") or {}).get("phase") == "Completed"
                ]
                if not completed:
                    raise RestoreWait
                runs[(kind, cluster)] = completed[0]["metadata"]["name"]
            return runs, problems
        details = {
            (detail.cluster_kind or "", detail.cluster_name or ""): detail
            for detail in backup.status.backup_details or []
        }
        for kind, cluster in clusters:
            detail = details[(kind, cluster)]
            phase = (
                detail.backup_status_in_cluster.phase if detail.backup_status_in_cluster else None
            )
            if phase in _UNFINISHED:
                raise RestoreWait
            runs[(kind, cluster)] = detail.backup_name_in_cluster or ""
            if phase not in _RESTORABLE:
                problems[(kind, cluster)] = [
                    f'backup "{detail.backup_name_in_cluster}" is in phase {phase}; '
                    "only Completed or PartiallyFailed backups can be restored"
                ]
        return runs, problems

    def _invalid(self, target: tuple[str, str] | None, errors: list[str]) -> RestoreDetails:
        kind, cluster = target or (None, None)
        return RestoreDetails(
            cluster_name=cluster,
            cluster_kind=kind,
            restore_status_in_cluster=VeleroRestoreStatus(
                phase="FailedValidation", validation_errors=errors
            ),
        )

    async def _run(
        self,
        raw: Object,
        restore: Restore,
        backup: Backup,
        *,
        runs: dict[tuple[str, str], str],
        problems: dict[tuple[str, str], list[str]],
    ) -> None:
        context = self._context
        namespace, name = restore.metadata.namespace or "", restore.metadata.name
        caches = context.caches
        targets = resolve_destination(
            Destination(
                fleet=backup.spec.destination.fleet,
                clusters=[ObjectReference(kind=kind, name=cluster) for kind, cluster in runs],
            ),
            namespace=namespace,
            fleets=caches.fleets,
            attached_clusters=caches.attached,
            secrets=caches.secrets,
        )
        started = context.clock()
        details: list[RestoreDetails] = []
        for target in targets:
            key = (target.kind, target.name)
            if key in problems:
                details.append(self._invalid(key, problems[key]))
                continue
            details = record_restore_detail(
                details,
                cluster_name=target.name,
                cluster_kind=target.kind,
                restore_name=self._restore_name(target, namespace, name),
                status=VeleroRestoreStatus(phase="InProgress", start_timestamp=started),
            )
        raw = await self._write(raw, details)
        lock = asyncio.Lock()
        current = {"raw": raw, "details": details}
        policy = restore.spec.policy or RestorePolicy()

        async def one(target: Target) -> None:
            restore_name = self._restore_name(target, namespace, name)
            request = RestoreRequest(
                run=runs[(target.kind, target.name)], restore=restore_name, policy=policy
            )
            try:
                client = await context.client(target)
            except MemberError as error:
                status = VeleroRestoreStatus(
                    phase="Failed",
                    failure_reason=f"cluster {target.name} unavailable: {error}",
                    start_timestamp=started,
                    completion_timestamp=context.clock(),
                )
            else:
                status = await restore_cluster(
                    client,
                    cluster=target.name,
                    request=request,
                    archives=context.archives,
                    clock=context.clock,
                    concurrency=context.settings.requests_per_cluster,
                    crd_timeout_s=context.settings.crd_established_timeout_s,
                )
            async with lock:
                current["details"] = record_restore_detail(
                    current["details"],
                    cluster_name=target.name,
                    cluster_kind=target.kind,
                    restore_name=restore_name,
                    status=status,
                )
                current["raw"] = await self._write(current["raw"], current["details"])

        async with asyncio.TaskGroup() as group:
            for target in targets:
                if (target.kind, target.name) not in problems:
                    group.create_task(one(target), name=f"restore/{target.name}")

    @staticmethod
    def _restore_name(target: Target, namespace: str, name: str) -> str:
        return velero_object_name(
            cluster=target.name, kind=RESTORE_KIND, namespace=namespace, name=name
        )

    async def _write(self, raw: Object, details: list[RestoreDetails]) -> Object:
        status = dict(raw.get("status") or {})
        status["restoreDetails"] = [detail.to_dict() for detail in details]
        status["phase"] = restore_phase(details)
        if raw.get("status") == status:
            return raw
        written = await self._context.controllers.writer.ensure(
            RESTORES, raw, lambda obj: {**obj, "status": status}, status=True
        )
        return written or raw
