"""Helpers for the backup service's integration tests: a Fleet over the simulated members,
member objects through their real API, the service in-process (restartable, killable)."""

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

from propagation_world import FLEET_NAMESPACE, Members, attach

from services.backup.service import BackupService
from services.backup.settings import BackupSettings
from services.backup.storing import JetStreamArchives
from shared.api.kinds import BACKUPS, FLEETS, RESTORES
from shared.bus import Bus
from shared.members.client import MemberClient, MemberError, resource_path
from shared.runtime.service import ServiceContext
from shared.settings import NavarchSettings
from shared.store.errors import NotFoundError
from shared.store.objects import Object, ObjectStore

FLEET = "quickstart"
NAMESPACE = FLEET_NAMESPACE


async def seed_fleet(store: ObjectStore, members: Members, names: list[str]) -> None:
    for name in names:
        await attach(store, members, name)
    await store.create(
        FLEETS,
        {
            "apiVersion": "fleet.kurator.dev/v1alpha1",
            "kind": "Fleet",
            "metadata": {"name": FLEET, "namespace": NAMESPACE},
            "spec": {"clusters": [{"name": name, "kind": "AttachedCluster"} for name in names]},
        },
    )


class MemberApi:
    """One member through its real HTTPS API, as a user's kubectl reaches it."""

    def __init__(self, members: Members, name: str) -> None:
        self._members = members
        self._name = name
        self._client: MemberClient | None = None

    async def __aenter__(self) -> "MemberApi":
        self._client = await MemberClient.from_kubeconfig(self._members.kubeconfig(self._name))
        return self

    async def __aexit__(self, *_: object) -> None:
        if self._client is not None:
            await self._client.close()

    @property
    def client(self) -> MemberClient:
        assert self._client is not None
        return self._client

    async def create(self, obj: Object) -> Object:
        group, _, version = obj["apiVersion"].rpartition("/")
        plural = obj["kind"].lower() + "s"
        path = resource_path(
            group=group,
            version=version,
            plural=plural,
            namespace=obj["metadata"].get("namespace"),
        )
        return await self.client.request("POST", path, body=obj)

    async def get(
        self, plural: str, name: str, *, namespace: str | None = None, group: str = ""
    ) -> Object | None:
        version = "v1"
        path = resource_path(
            group=group, version=version, plural=plural, namespace=namespace, name=name
        )
        try:
            return await self.client.request("GET", path)
        except MemberError as error:
            if error.status == 404:
                return None
            raise

    async def delete(
        self, plural: str, name: str, *, namespace: str | None = None, group: str = ""
    ) -> None:
        path = resource_path(
            group=group, version="v1", plural=plural, namespace=namespace, name=name
        )
        await self.client.request("DELETE", path)

    async def replace(self, obj: Object, plural: str, *, group: str = "") -> Object:
        path = resource_path(
            group=group,
            version="v1",
            plural=plural,
            namespace=obj["metadata"].get("namespace"),
            name=obj["metadata"]["name"],
        )
        return await self.client.request("PUT", path, body=obj)


async def eventually(
    condition: Callable[[], Coroutine[Any, Any, bool]], *, timeout: float = 20.0
) -> None:
    async with asyncio.timeout(timeout):
        while not await condition():
            await asyncio.sleep(0.05)


async def hub_get(store: ObjectStore, resource: Any, name: str) -> Object | None:
    try:
        return await store.get(resource, NAMESPACE, name)
    except NotFoundError:
        return None


def backup_manifest(name: str, **spec: Any) -> Object:
    return {
        "apiVersion": "backup.kurator.dev/v1alpha1",
        "kind": "Backup",
        "metadata": {"name": name, "namespace": NAMESPACE},
        "spec": {"destination": {"fleet": FLEET}, **spec},
    }


def restore_manifest(name: str, backup: str, **spec: Any) -> Object:
    return {
        "apiVersion": "backup.kurator.dev/v1alpha1",
        "kind": "Restore",
        "metadata": {"name": name, "namespace": NAMESPACE},
        "spec": {"backupName": backup, **spec},
    }


async def wait_phase(
    store: ObjectStore, resource: Any, name: str, phases: tuple[str, ...], *, timeout: float = 30.0
) -> Object:
    found: dict[str, Object] = {}

    async def done() -> bool:
        obj = await hub_get(store, resource, name)
        if obj is not None and (obj.get("status") or {}).get("phase") in phases:
            found["obj"] = obj
            return True
        return False

    await eventually(done, timeout=timeout)
    return found["obj"]


async def wait_backup(store: ObjectStore, name: str, **kwargs: Any) -> Object:
    return await wait_phase(
        store,
        BACKUPS,
        name,
        ("Completed", "PartiallyFailed", "Failed", "FailedValidation"),
        **kwargs,
    )


async def wait_restore(store: ObjectStore, name: str, **kwargs: Any) -> Object:
    return await wait_phase(
        store,
        RESTORES,
        name,
        ("Completed", "PartiallyFailed", "Failed", "FailedValidation"),
        **kwargs,
    )


class RunningBackup:
    """The backup service in-process on the test's loop, restartable and killable."""

    def __init__(self, *, store: ObjectStore, bus: Bus, settings: BackupSettings) -> None:
        self.store = store
        self.bus = bus
        self.settings = settings
        self.service: BackupService | None = None
        self.context: ServiceContext | None = None

    async def archives(self) -> JetStreamArchives:
        return await JetStreamArchives.open(self.bus.jetstream, bucket=self.settings.bucket)

    async def start(self) -> BackupService:
        self.context = ServiceContext(
            name="backup", settings=NavarchSettings(), bus=self.bus, store=self.store
        )
        self.service = BackupService(self.settings)
        await self.service.start(self.context)
        return self.service

    async def stop(self) -> None:
        if self.service is not None and self.context is not None:
            await self.service.stop()
            await self.context.tasks.stop()
        self.service, self.context = None, None

    async def kill(self) -> None:
        """As kill -9 would: every task cancelled where it stands, nothing drained or
        written on the way out (member clients are closed only so no socket leaks)."""
        if self.service is None:
            return
        prefixes = ("backup/", "runner/backups", "runner/restores", "runner/migrates")
        tasks = [task for task in asyncio.all_tasks() if task.get_name().startswith(prefixes)]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self.service._sessions.end_all()
        self.service, self.context = None, None
