"""The backup service: Kurator's Backup, Restore, Migrate (and their archives) on the
controller kit.

Wiring only: the informers, the `backups`, `restores` and `migrates` reconcilers and what
wakes them, the member sessions and the archive bucket in the hub's JetStream.
"""

from collections.abc import Iterable

from services.backup.backups import Backups
from services.backup.members import BackupMember
from services.backup.migrates import Migrates
from services.backup.restores import Restores
from services.backup.runs import BackupCaches, RunContext
from services.backup.settings import BackupSettings
from services.backup.storing import ArchiveStore, JetStreamArchives
from shared.api.kinds import ATTACHED_CLUSTERS, BACKUPS, FLEETS, MIGRATES, RESTORES, SECRETS
from shared.members.sessions import MemberSessions
from shared.runtime.clock import WallClock, utc_now
from shared.runtime.controllers import Controllers, ControllerService
from shared.runtime.informing import InformerEvent, ObjectKey


class BackupService(ControllerService):
    name = "backup"

    def __init__(
        self,
        settings: BackupSettings | None = None,
        *,
        clock: WallClock = utc_now,
        archives: ArchiveStore | None = None,
    ) -> None:
        super().__init__(clock=clock)
        self.settings = settings or BackupSettings()
        self._archives = archives
        self._sessions: MemberSessions[BackupMember] = MemberSessions(
            request_timeout_s=self.settings.request_timeout_s
        )
        self.context: RunContext | None = None

    async def declare(self, controllers: Controllers) -> None:
        archives = self._archives or await JetStreamArchives.open(
            controllers.context.bus.jetstream, bucket=self.settings.bucket
        )
        caches = BackupCaches(
            backups=controllers.informer(BACKUPS),
            restores=controllers.informer(RESTORES),
            migrates=controllers.informer(MIGRATES),
            fleets=controllers.informer(FLEETS),
            attached=controllers.informer(ATTACHED_CLUSTERS),
            secrets=controllers.informer(SECRETS),
        )
        self.context = RunContext(
            controllers=controllers,
            caches=caches,
            sessions=self._sessions,
            archives=archives,
            settings=self.settings,
            clock=self.clock,
        )
        backups = controllers.reconciler(
            "backups", Backups(self.context).reconcile, workers=self.settings.workers
        )
        restores = controllers.reconciler(
            "restores", Restores(self.context).reconcile, workers=self.settings.workers
        )
        migrates = controllers.reconciler(
            "migrates", Migrates(self.context).reconcile, workers=self.settings.workers
        )

        def restores_of_backup(event: InformerEvent) -> Iterable[ObjectKey]:
            namespace, name = event.key
            return [
                (namespace, item["metadata"]["name"])
                for item in caches.restores.list(namespace=namespace)
                if (item.get("spec") or {}).get("backupName") == name
            ]

        controllers.wake(caches.backups, backups, skip_own_writes=True)
        controllers.wake(caches.restores, restores, skip_own_writes=True)
        controllers.wake(caches.backups, restores, restores_of_backup)
        controllers.wake(caches.migrates, migrates, skip_own_writes=True)

    async def stop(self) -> None:
        await super().stop()
        await self._sessions.end_all()
