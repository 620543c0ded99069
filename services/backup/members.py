"""The backup service's view of one member: its discovery as a catalog, its paged lists.

A session per member comes from the shared registry (`MemberSessions`); it only holds the
client, since backups and restores are requests, not watches.
"""

from collections.abc import AsyncIterator
from dataclasses import dataclass

from services.backup.catalog import APIResource, ResourceCatalog
from shared.members.client import MemberClient, Object, resource_path

_BACKED_UP_VERBS = {"list", "create"}


class BackupMember:
    """A member session: the client, closed when the kubeconfig changes or on stop."""

    def __init__(self, client: MemberClient) -> None:
        self.client = client

    def start(self) -> None:
        """Nothing runs in the background: requests are made by the runs themselves."""

    async def stop(self) -> None:
        await self.client.close()


def _resources(listing: Object, *, group: str, version: str) -> list[APIResource]:
    found: list[APIResource] = []
    for entry in listing.get("resources", []):
        if "/" in entry["name"] or not _BACKED_UP_VERBS <= set(entry.get("verbs") or []):
            continue
        found.append(
            APIResource(
                name=entry["name"],
                singular_name=entry.get("singularName") or "",
                short_names=list(entry.get("shortNames") or []),
                group=group,
                version=version,
                kind=entry["kind"],
                namespaced=bool(entry.get("namespaced")),
            )
        )
    return found


async def discover(client: MemberClient) -> ResourceCatalog:
    """Every listable, creatable resource at its group's preferred version, core first."""
    resources = _resources(await client.request("GET", "/api/v1"), group="", version="v1")
    groups = await client.request("GET", "/apis")
    for group in groups.get("groups", []):
        preferred = group.get("preferredVersion") or (group.get("versions") or [{}])[0]
        group_version = preferred.get("groupVersion")
        if not group_version:
            continue
        _, _, version = group_version.partition("/")
        listing = await client.request("GET", f"/apis/{group_version}")
        resources += _resources(listing, group=group["name"], version=version)
    return ResourceCatalog(resources=resources)


@dataclass
class ListedPage:
    items: list[Object]
    resource_version: str
    """The list's resourceVersion: every page of one list is read at the first page's."""


async def list_pages(
    client: MemberClient, resource: APIResource, *, namespace: str, page_size: int
) -> AsyncIterator[ListedPage]:
    """One consistent list (`limit` / `continue`), page by page; items get apiVersion/kind."""
    path = resource_path(
        group=resource.group,
        version=resource.version,
        plural=resource.name,
        namespace=namespace or None,
    )
    token = ""
    first_version = ""
    while True:
        query = [("limit", str(page_size))]
        if token:
            query.append(("continue", token))
        listing = await client.request("GET", path, query=query)
        metadata = listing.get("metadata") or {}
        first_version = first_version or str(metadata.get("resourceVersion") or "")
        items = listing.get("items") or []
        for item in items:
            item.setdefault("apiVersion", resource.group_version)
            item.setdefault("kind", resource.kind)
        yield ListedPage(items=items, resource_version=first_version)
        token = str(metadata.get("continue") or "")
        if not token:
            return
