"""One member's objects, listed and filtered as Velero's item collector does, into a tarball.

Resources are listed concurrently (a bound per member), each as one consistent paged list,
and streamed page by page into the archive writer: a page is the most held at once. The
resourceVersion each list was read at is recorded, so a fleet run shows how close its cut
was across resources and clusters.
"""

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import BinaryIO

from services.backup.archiving import ArchiveItem, Result, write_backup_tarball
from services.backup.catalog import APIResource, ResourceCatalog
from services.backup.filtering import (
    NAMESPACES,
    NON_RESTORABLE_RESOURCES,
    KubeObject,
    backs_up_resource,
    collects_item,
    compile_backup_scope,
    excluded_by_label,
    labelled_excluded_namespaces,
    missing_included_namespaces,
    namespaces_to_list,
    select_namespaces,
)
from services.backup.members import list_pages
from services.backup.models import ResourceFilter
from shared.members.client import MemberClient, MemberError

_PAGES_BUFFERED = 4


@dataclass
class Collection:
    """What one cluster's collection found besides the items themselves."""

    items: int = 0
    resource_versions: dict[str, str] = field(default_factory=dict)
    resource_list: dict[str, list[str]] = field(default_factory=dict)
    warnings: Result = field(default_factory=Result)
    errors: Result = field(default_factory=Result)


@dataclass
class _Page:
    resource: APIResource
    items: list[KubeObject]


async def _all(
    client: MemberClient, resource: APIResource, *, namespace: str, page_size: int
) -> list[KubeObject]:
    items: list[KubeObject] = []
    async for page in list_pages(client, resource, namespace=namespace, page_size=page_size):
        items += page.items
    return items


class ClusterCollector:
    """Lists one member under a Backup's filter and writes its tarball."""

    def __init__(
        self,
        client: MemberClient,
        *,
        catalog: ResourceCatalog,
        page_size: int,
        concurrency: int,
    ) -> None:
        self._client = client
        self._catalog = catalog
        self._page_size = page_size
        self._limit = asyncio.Semaphore(concurrency)

    async def collect(
        self, resource_filter: ResourceFilter | None, *, out: BinaryIO, now: datetime
    ) -> Collection:
        collection = Collection()
        namespaces_type = self._catalog.by_group_resource(NAMESPACES)
        namespaces: list[KubeObject] = []
        if namespaces_type is not None:
            namespaces = await _all(
                self._client, namespaces_type, namespace="", page_size=self._page_size
            )
        scope = compile_backup_scope(
            resource_filter,
            catalog=self._catalog,
            excluded_by_label=labelled_excluded_namespaces(namespaces),
        )
        for message in missing_included_namespaces(
            scope, [str(ns["metadata"]["name"]) for ns in namespaces]
        ):
            collection.errors.velero.append(message)
        resources = [
            resource
            for resource in self._catalog.resources
            if resource.group_resource not in NON_RESTORABLE_RESOURCES
            and resource.group_resource != NAMESPACES
            and backs_up_resource(scope, resource)
        ]
        queue: asyncio.Queue[_Page | None] = asyncio.Queue(maxsize=_PAGES_BUFFERED)
        item_namespaces: set[str] = set()

        async def produce(resource: APIResource) -> None:
            targets = namespaces_to_list(scope) if resource.namespaced else [""]
            for namespace in targets:
                try:
                    async with self._limit:
                        pages = list_pages(
                            self._client,
                            resource,
                            namespace=namespace,
                            page_size=self._page_size,
                        )
                        async for page in pages:
                            version_key = resource.group_resource + (
                                f"/{namespace}" if namespace else ""
                            )
                            collection.resource_versions[version_key] = page.resource_version
                            await queue.put(_Page(resource, page.items))
                except MemberError as error:
                    if error.status == 404:
                        continue
                    collection.errors.add(
                        namespace,
                        f"error listing {resource.group_resource}: {error.message}",
                    )

        async def items() -> AsyncIterator[ArchiveItem]:
            while (page := await queue.get()) is not None:
                for obj in page.items:
                    if not collects_item(scope, page.resource, obj) or excluded_by_label(obj):
                        continue
                    namespace = str(obj["metadata"].get("namespace") or "")
                    if namespace:
                        item_namespaces.add(namespace)
                    collection.items += 1
                    yield ArchiveItem(
                        group_resource=page.resource.group_resource,
                        preferred_version=page.resource.version,
                        object=obj,
                    )
            if namespaces_type is not None and backs_up_resource(scope, namespaces_type):
                for namespace in select_namespaces(
                    scope, namespaces, item_namespaces=item_namespaces
                ):
                    if excluded_by_label(namespace):
                        continue
                    collection.items += 1
                    yield ArchiveItem(
                        group_resource=NAMESPACES,
                        preferred_version=namespaces_type.version,
                        object=namespace,
                    )

        async def close_when_listed(producers: list[asyncio.Task[None]]) -> None:
            await asyncio.gather(*producers)
            await queue.put(None)

        async with asyncio.TaskGroup() as group:
            producers = [
                group.create_task(produce(resource), name=f"list/{resource.group_resource}")
                for resource in resources
            ]
            group.create_task(close_when_listed(producers), name="list/close")
            collection.resource_list = await write_backup_tarball(items(), out, now=now)
        return collection
