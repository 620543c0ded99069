"""The Migrate reconcile: back the source cluster up, then restore that run into each target.

Kurator's steps (migrate_controller.go) in one object: `Pending` -> `BackupInProgress` (the
source's Velero backup `<src>-migrate-<ns>-<name>`, its status in `sourceClusterStatus`,
`sourceReady` once Completed) -> `RestoreInProgress` (one restore `<target>-migrate-<ns>-<name>`
per target, in `targetClusterStatus`) -> `Completed`, or `Failed` on a terminal failure, which
upstream never reports. The archive is the hub's, so no wait for Velero's backup sync.
"""

import asyncio
import logging

from services.backup.archiving import restore_results_key
from services.backup.backups import FLEET_NAME_LABEL, PLUGIN_LABEL
from services.backup.destinations import DestinationError, Target, resolve_destination
from services.backup.finalizing import FinalizerSteps
from services.backup.migrating import (
    MIGRATE_NAME_LABEL,
    failed_validation,
    interrupted_migrate,
    migrate_backup_spec,
    migrate_restore_policy,
    migrate_spec_errors,
    restore_unavailable,
    with_source_ready,
)
from services.backup.models import (
    BackupDetails,
    Destination,
    Migrate,
    MigrateStatus,
    VeleroBackupStatus,
    VeleroRestoreStatus,
)
from services.backup.phases import (
    MIGRATE_KIND,
    backup_expiration,
    next_migrate_phase,
    record_restore_detail,
    velero_object_name,
)
from services.backup.restoring import RestoreRequest, restore_cluster
from services.backup.runs import RunContext, run_backups
from shared.api.kinds import MIGRATES
from shared.members.client import MemberError
from shared.runtime.informing import ObjectKey
from shared.runtime.reconciling import Requeue
from shared.store.objects import Object

log = logging.getLogger(__name__)

FINALIZER = "migrate.kurator.dev"
"""Kurator's Migrate finalizer: held until the source archive and restore results are deleted."""
_NEXT_STAGE_S = 0.01


class Migrates:
    def __init__(self, context: RunContext) -> None:
        self._context = context
        self._finalizers = FinalizerSteps(context.controllers.writer, MIGRATES, FINALIZER)

    async def reconcile(self, key: ObjectKey) -> Requeue | None:
        context = self._context
        namespace, name = key
        raw = context.controllers.fresh(context.caches.migrates, namespace, name)
        if raw is None:
            return None
        if raw["metadata"].get("deletionTimestamp"):
            await self._delete_archives(Migrate.model_validate(raw))
            await self._finalizers.remove(raw)
            return None
        raw = await self._finalizers.ensure(raw)
        if raw is None:
            return None
        migrate = Migrate.model_validate(raw)
        status = migrate.status
        interrupted = interrupted_migrate(status, now=context.clock())
        if interrupted is not None:
            log.warning("migrate %s/%s: a stage interrupted by a restart marked Failed", *key)
            status = interrupted
            status = status.model_copy(update={"phase": self._phase(migrate, status)})
            await self._write(raw, status)
            return None
        phase = status.phase or "Pending"
        if phase == "Pending":
            return await self._start(raw, migrate)
        if phase == "BackupInProgress" and status.source_cluster_status is None:
            await self._back_up_source(raw, migrate)
            return Requeue(after=_NEXT_STAGE_S)
        if phase == "RestoreInProgress" and not status.target_cluster_status:
            await self._restore_targets(raw, migrate)
        return None

    async def _start(self, raw: Object, migrate: Migrate) -> Requeue | None:
        errors = migrate_spec_errors(migrate.spec)
        if not errors:
            try:
                self._source(migrate)
                self._targets(migrate)
            except DestinationError as error:
                errors = [str(error)]
        if errors:
            await self._write(raw, failed_validation(migrate.status, errors))
            return None
        await self._write(raw, migrate.status.model_copy(update={"phase": "BackupInProgress"}))
        return Requeue(after=_NEXT_STAGE_S)

    def _resolve(self, migrate: Migrate, destination: Destination) -> list[Target]:
        caches = self._context.caches
        return resolve_destination(
            destination,
            namespace=migrate.metadata.namespace or "",
            fleets=caches.fleets,
            attached_clusters=caches.attached,
            secrets=caches.secrets,
        )

    def _source(self, migrate: Migrate) -> Target:
        [source] = self._resolve(migrate, migrate.spec.source_cluster)
        return source

    def _targets(self, migrate: Migrate) -> list[Target]:
        return self._resolve(migrate, migrate.spec.target_cluster)

    @staticmethod
    def _run_name(migrate: Migrate, cluster: str) -> str:
        return velero_object_name(
            cluster=cluster,
            kind=MIGRATE_KIND,
            namespace=migrate.metadata.namespace or "",
            name=migrate.metadata.name,
        )

    def _phase(self, migrate: Migrate, status: MigrateStatus) -> str:
        try:
            expected = len(self._targets(migrate))
        except DestinationError:
            expected = len(status.target_cluster_status or [])
        return next_migrate_phase(status, targets_expected=expected)

    async def _back_up_source(self, raw: Object, migrate: Migrate) -> None:
        context = self._context
        try:
            source = self._source(migrate)
        except DestinationError as error:
            await self._write(raw, failed_validation(migrate.status, [str(error)]))
            return
        run = self._run_name(migrate, source.name)
        started = context.clock()
        expiration = backup_expiration(started=started, ttl=None)

        def detail(status: VeleroBackupStatus) -> BackupDetails:
            return BackupDetails(
                cluster_name=source.name,
                cluster_kind=source.kind,
                backup_name_in_cluster=run,
                backup_status_in_cluster=status,
            )

        in_progress = VeleroBackupStatus(
            version=1, phase="InProgress", start_timestamp=started, expiration=expiration
        )
        current = {
            "raw": await self._write(
                raw,
                migrate.status.model_copy(update={"source_cluster_status": detail(in_progress)}),
            )
        }

        async def finished(_: Target, status: VeleroBackupStatus) -> None:
            after = migrate.status.model_copy(update={"source_cluster_status": detail(status)})
            after = with_source_ready(after, now=context.clock())
            after = after.model_copy(update={"phase": self._phase(migrate, after)})
            current["raw"] = await self._write(current["raw"], after)

        policy = migrate.spec.policy
        await run_backups(
            context,
            targets=[source],
            run_of=lambda _: run,
            resource_filter=policy.resource_filter if policy else None,
            spec=migrate_backup_spec(policy),
            labels={
                MIGRATE_NAME_LABEL: migrate.metadata.name,
                FLEET_NAME_LABEL: migrate.spec.source_cluster.fleet,
                PLUGIN_LABEL: "backup",
            },
            started=started,
            expiration=expiration,
            finished=finished,
        )

    async def _restore_targets(self, raw: Object, migrate: Migrate) -> None:
        context = self._context
        source = migrate.status.source_cluster_status
        run = source.backup_name_in_cluster if source else None
        try:
            targets = self._targets(migrate)
        except DestinationError as error:
            await self._write(raw, failed_validation(migrate.status, [str(error)]))
            return
        if not run:
            return
        started = context.clock()
        details = list(migrate.status.target_cluster_status or [])
        for target in targets:
            details = record_restore_detail(
                details,
                cluster_name=target.name,
                cluster_kind=target.kind,
                restore_name=self._run_name(migrate, target.name),
                status=VeleroRestoreStatus(phase="InProgress", start_timestamp=started),
            )
        status = migrate.status.model_copy(update={"target_cluster_status": details})
        current = {"raw": await self._write(raw, status), "status": status}
        lock = asyncio.Lock()
        policy = migrate_restore_policy(migrate.spec.policy)

        async def one(target: Target) -> None:
            restore_name = self._run_name(migrate, target.name)
            try:
                client = await context.client(target)
            except MemberError as error:
                outcome = restore_unavailable(
                    cluster=target.name, reason=str(error), started=started, now=context.clock()
                )
            else:
                outcome = await restore_cluster(
                    client,
                    cluster=target.name,
                    request=RestoreRequest(run=run, restore=restore_name, policy=policy),
                    archives=context.archives,
                    clock=context.clock,
                    concurrency=context.settings.requests_per_cluster,
                    crd_timeout_s=context.settings.crd_established_timeout_s,
                )
            async with lock:
                recorded = record_restore_detail(
                    current["status"].target_cluster_status or [],
                    cluster_name=target.name,
                    cluster_kind=target.kind,
                    restore_name=restore_name,
                    status=outcome,
                )
                after = current["status"].model_copy(update={"target_cluster_status": recorded})
                after = after.model_copy(
                    update={"phase": next_migrate_phase(after, targets_expected=len(targets))}
                )
                current["status"] = after
                current["raw"] = await self._write(current["raw"], after)

        async with asyncio.TaskGroup() as group:
            for target in targets:
                group.create_task(one(target), name=f"backup/migrate/{target.name}")

    async def _write(self, raw: Object, status: MigrateStatus) -> Object:
        wanted = status.to_dict()
        if raw.get("status") == wanted:
            return raw
        written = await self._context.controllers.writer.ensure(
            MIGRATES, raw, lambda obj: {**obj, "status": wanted}, status=True
        )
        return written or raw

    async def _delete_archives(self, migrate: Migrate) -> None:
        """The source run and each target's restore results; migrated objects stay."""
        source = migrate.status.source_cluster_status
        if source is not None and source.backup_name_in_cluster:
            await self._context.delete_run(source.backup_name_in_cluster)
        for detail in migrate.status.target_cluster_status or []:
            if detail.restore_name_in_cluster:
                await self._context.archives.delete(
                    restore_results_key(detail.restore_name_in_cluster)
                )
