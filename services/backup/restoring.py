"""One cluster's part of a restore: the archive checked whole, then objects created in order.

The tarball is downloaded and its digest checked, then parsed into one spool per resource
before the first write, so a corrupt or missing archive fails the restore with nothing
written. Each object is one create request, so none is ever half-written; what already
exists is compared (both sides prepared the same way) and skipped, warned about, or
updated as `existingResourcePolicy` says. Velero never deletes: neither does this.
"""

import asyncio
import logging
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any

import orjson

from services.backup.archiving import (
    ArchiveError,
    Result,
    backup_contents_key,
    encode_results,
    iter_backup_tarball,
    restore_results_key,
)
from services.backup.catalog import APIResource, ResourceCatalog
from services.backup.filtering import (
    NAMESPACES,
    IncludesExcludes,
    KubeObject,
    RestoreScope,
    compile_restore_scope,
    resource_includes_excludes,
    restores_item,
    restores_namespace,
    restores_resource,
)
from services.backup.members import discover
from services.backup.models import RestorePolicy, RestoreProgress, VeleroRestoreStatus
from services.backup.ordering import (
    CUSTOM_RESOURCE_DEFINITIONS,
    DEFAULT_RESTORE_PRIORITIES,
    restore_order,
)
from services.backup.preparing import (
    BACKUP_NAME_LABEL,
    RESTORE_NAME_LABEL,
    RestoreItemError,
    namespace_for_restore,
    prepare_for_restore,
    target_namespace,
)
from services.backup.storing import ArchiveCorruptError, ArchiveMissingError, ArchiveStore
from services.backup.validating import validate_restore_filter
from shared.members.client import MemberClient, MemberError, resource_path
from shared.runtime.clock import WallClock

log = logging.getLogger(__name__)

_BATCH = 64
_ESTABLISHED_POLL_S = 0.1
CRDS = f"{CUSTOM_RESOURCE_DEFINITIONS}.apiextensions.k8s.io"


def different_warning(kind: str, name: str) -> str:
    """Velero's warning for an existing object that differs from the backed-up one."""
    return (
        f'could not restore, {kind} "{name}" already exists. Warning: the in-cluster version '
        "is different than the backed-up version"
    )


@dataclass
class RestoreRequest:
    run: str
    """The backup run (Velero Backup name) restored from."""
    restore: str
    """This cluster's Velero Restore name."""
    policy: RestorePolicy


@dataclass
class _Spools:
    files: dict[str, IO[bytes]] = field(default_factory=dict)

    def add(self, group_resource: str, obj: KubeObject) -> None:
        spool = self.files.get(group_resource)
        if spool is None:
            spool = self.files[group_resource] = tempfile.TemporaryFile()
        spool.write(orjson.dumps(obj) + b"\n")

    def items(self, group_resource: str) -> Iterator[KubeObject]:
        spool = self.files[group_resource]
        spool.seek(0)
        for line in spool:
            yield orjson.loads(line)

    def close(self) -> None:
        for spool in self.files.values():
            spool.close()


def _comparable(obj: KubeObject) -> KubeObject:
    metadata = dict(obj.get("metadata") or {})
    metadata.pop("managedFields", None)
    labels = {
        key: value
        for key, value in (metadata.get("labels") or {}).items()
        if key not in (BACKUP_NAME_LABEL, RESTORE_NAME_LABEL)
    }
    metadata["labels"] = labels
    return {**obj, "metadata": metadata}


class ClusterRestorer:
    def __init__(
        self,
        client: MemberClient,
        *,
        request: RestoreRequest,
        catalog: ResourceCatalog,
        concurrency: int,
        crd_timeout_s: float,
    ) -> None:
        self._client = client
        self._request = request
        self._catalog = catalog
        self._policy = request.policy
        self._limit = asyncio.Semaphore(concurrency)
        self._crd_timeout_s = crd_timeout_s
        self._namespaces: set[str] = set()
        self._namespace_lock = asyncio.Lock()
        self._backed_up_namespaces: dict[str, KubeObject] = {}
        self.warnings = Result()
        self.errors = Result()
        self.total = 0
        self.restored = 0
        preserve = self._policy.preserve_status
        self._restore_status: IncludesExcludes | None = (
            resource_includes_excludes(
                catalog, preserve.included_resources, preserve.excluded_resources
            )
            if preserve is not None
            else None
        )

    async def run(self, spools: _Spools) -> None:
        scope = compile_restore_scope(self._policy.resource_filter, catalog=self._catalog)
        if NAMESPACES in spools.files:
            for namespace in spools.items(NAMESPACES):
                self._backed_up_namespaces[namespace["metadata"]["name"]] = namespace
        order = restore_order(
            DEFAULT_RESTORE_PRIORITIES, backup_resources=spools.files, catalog=self._catalog
        )
        for group_resource in order:
            if not restores_resource(scope, group_resource):
                continue
            if group_resource != CRDS and self._catalog.by_group_resource(group_resource) is None:
                self._catalog = await discover(self._client)
            resource = self._catalog.by_group_resource(group_resource)
            if resource is None:
                self.warnings.add(
                    "", f"{group_resource} cannot be restored: the cluster does not serve it"
                )
                continue
            await self._restore_resource(scope, resource, spools.items(group_resource))

    def _selected(self, scope: RestoreScope, group_resource: str, obj: KubeObject) -> bool:
        namespace = str(obj["metadata"].get("namespace") or "")
        if group_resource == NAMESPACES:
            if not scope.namespaces.should_include(obj["metadata"]["name"]):
                return False
        elif not restores_namespace(scope, group_resource, namespace):
            return False
        return restores_item(scope, group_resource, obj)

    async def _restore_resource(
        self, scope: RestoreScope, resource: APIResource, items: Iterator[KubeObject]
    ) -> None:
        batch: list[KubeObject] = []
        for obj in items:
            if not self._selected(scope, resource.group_resource, obj):
                continue
            self.total += 1
            batch.append(obj)
            if len(batch) >= _BATCH:
                await self._restore_batch(resource, batch)
                batch = []
        if batch:
            await self._restore_batch(resource, batch)

    async def _restore_batch(self, resource: APIResource, batch: list[KubeObject]) -> None:
        async with asyncio.TaskGroup() as group:
            for obj in batch:
                group.create_task(self._restore_item(resource, obj))

    def _prepare(self, resource: APIResource, obj: KubeObject, *, mapped: bool) -> Any:
        group_resource = resource.group_resource
        if group_resource == NAMESPACES:
            name = obj["metadata"]["name"]
            target = target_namespace(name, self._policy.namespace_mapping) if mapped else name
            obj = namespace_for_restore(obj, name=target)
        return prepare_for_restore(
            obj,
            group_resource=group_resource,
            namespace_mapping=self._policy.namespace_mapping if mapped else None,
            restore_status=self._restore_status,
            preserve_node_ports=self._policy.preserve_node_ports,
            backup_name=self._request.run,
            restore_name=self._request.restore,
        )

    async def _restore_item(self, resource: APIResource, obj: KubeObject) -> None:
        source_namespace = str(obj["metadata"].get("namespace") or "")
        try:
            prepared = self._prepare(resource, obj, mapped=True)
        except RestoreItemError as error:
            self.errors.add(source_namespace, f"error preparing {resource.group_resource}: {error}")
            return
        target = prepared.object
        namespace = str(target["metadata"].get("namespace") or "")
        name = str(target["metadata"]["name"])
        target["apiVersion"] = resource.group_version
        async with self._limit:
            try:
                if namespace:
                    await self._ensure_namespace(namespace)
                created = await self._client.request(
                    "POST", self._path(resource, namespace), body=target
                )
            except MemberError as error:
                if error.status == 409:
                    await self._existing(resource, target, namespace=namespace, name=name)
                else:
                    self.errors.add(
                        namespace,
                        f'error restoring {resource.group_resource} "{_ref(namespace, name)}": '
                        f"{error.message}",
                    )
                return
            self.restored += 1
            if prepared.status is not None:
                await self._write_status(resource, created, prepared.status)
        if resource.group_resource == CRDS:
            await self._wait_established(resource, name)

    async def _existing(
        self, resource: APIResource, target: KubeObject, *, namespace: str, name: str
    ) -> None:
        path = self._path(resource, namespace, name)
        try:
            live = await self._client.request("GET", path)
            same = _comparable(self._prepare(resource, live, mapped=False).object) == (
                _comparable(target)
            )
        except (MemberError, RestoreItemError) as error:
            self.warnings.add(namespace, f'could not restore, {target["kind"]} "{name}": {error}')
            return
        self.restored += 1
        if same and self._policy.existing_resource_policy != "update":
            return
        if not same and self._policy.existing_resource_policy != "update":
            self.warnings.add(namespace, different_warning(target["kind"], name))
            return
        update = {
            **target,
            "metadata": {
                **target["metadata"],
                "resourceVersion": live["metadata"].get("resourceVersion"),
            },
        }
        if resource.group_resource == "services":
            for key in ("clusterIP", "clusterIPs"):
                if key in (live.get("spec") or {}):
                    update.setdefault("spec", {})[key] = live["spec"][key]
        try:
            await self._client.request("PUT", path, body=update)
        except MemberError as error:
            self.warnings.add(
                namespace, f'could not update {target["kind"]} "{name}": {error.message}'
            )

    async def _write_status(self, resource: APIResource, created: KubeObject, status: Any) -> None:
        namespace = str(created["metadata"].get("namespace") or "")
        name = str(created["metadata"]["name"])
        path = self._path(resource, namespace, name) + "/status"
        try:
            await self._client.request("PUT", path, body={**created, "status": status})
        except MemberError as error:
            self.warnings.add(
                namespace, f'could not restore status of {created["kind"]} "{name}": {error}'
            )

    async def _ensure_namespace(self, namespace: str) -> None:
        """getNamespace + create: the target namespace exists before its first item."""
        if namespace in self._namespaces:
            return
        async with self._namespace_lock:
            if namespace in self._namespaces:
                return
            path = resource_path(group="", version="v1", plural="namespaces")
            source = next(
                (
                    original
                    for original, mapped in (self._policy.namespace_mapping or {}).items()
                    if mapped == namespace
                ),
                namespace,
            )
            body = namespace_for_restore(self._backed_up_namespaces.get(source), name=namespace)
            try:
                await self._client.request("POST", path, body=body)
            except MemberError as error:
                if error.status != 409:
                    raise
            self._namespaces.add(namespace)

    async def _wait_established(self, resource: APIResource, name: str) -> None:
        path = self._path(resource, "", name)
        deadline = asyncio.get_running_loop().time() + self._crd_timeout_s
        while asyncio.get_running_loop().time() < deadline:
            crd = await self._client.request("GET", path)
            conditions = (crd.get("status") or {}).get("conditions") or []
            if any(
                c.get("type") == "Established" and c.get("status") == "True" for c in conditions
            ):
                return
            await asyncio.sleep(_ESTABLISHED_POLL_S)
        self.errors.add("", f'CRD "{name}" not Established after {self._crd_timeout_s}s')

    @staticmethod
    def _path(resource: APIResource, namespace: str, name: str | None = None) -> str:
        return resource_path(
            group=resource.group,
            version=resource.version,
            plural=resource.name,
            namespace=namespace or None,
            name=name,
        )


def _ref(namespace: str, name: str) -> str:
    return f"{namespace}/{name}" if namespace else name


async def restore_cluster(
    client: MemberClient,
    *,
    cluster: str,
    request: RestoreRequest,
    archives: ArchiveStore,
    clock: WallClock,
    concurrency: int,
    crd_timeout_s: float,
) -> VeleroRestoreStatus:
    """Restore one member from one backup run; the status says how it went."""
    status = VeleroRestoreStatus(phase="InProgress", start_timestamp=clock())
    validation = validate_restore_filter(request.policy.resource_filter)
    if validation:
        return status.model_copy(
            update={
                "phase": "FailedValidation",
                "validation_errors": validation,
                "completion_timestamp": clock(),
            }
        )
    spools = _Spools()
    restorer: ClusterRestorer | None = None
    try:
        with tempfile.TemporaryFile() as tarball:
            await archives.get_into(backup_contents_key(request.run), tarball)
            tarball.seek(0)
            for item in iter_backup_tarball(tarball):
                spools.add(item.location.group_resource, item.object)
        catalog = await discover(client)
        restorer = ClusterRestorer(
            client,
            request=request,
            catalog=catalog,
            concurrency=concurrency,
            crd_timeout_s=crd_timeout_s,
        )
        await restorer.run(spools)
    except (ArchiveMissingError, ArchiveCorruptError, ArchiveError) as error:
        status.phase = "Failed"
        status.failure_reason = f"error reading backup {request.run}: {error}"
    except MemberError as error:
        status.phase = "Failed"
        status.failure_reason = f"cluster {cluster} unavailable: {error}"
    except Exception as error:
        log.exception("restore %s of cluster %s failed", request.restore, cluster)
        status.phase = "Failed"
        status.failure_reason = f"error restoring cluster {cluster}: {error}"
    finally:
        spools.close()
    if restorer is not None:
        if status.phase != "Failed":
            errors = restorer.errors.count()
            status.phase = "PartiallyFailed" if errors else "Completed"
            status.errors = errors or None
            status.warnings = restorer.warnings.count() or None
        status.progress = RestoreProgress(
            total_items=restorer.total, items_restored=restorer.restored
        )
        try:
            await archives.put(
                restore_results_key(request.restore),
                encode_results(warnings=restorer.warnings, errors=restorer.errors),
            )
        except Exception:
            log.exception("restore %s: results not stored", request.restore)
    status.completion_timestamp = clock()
    return status
