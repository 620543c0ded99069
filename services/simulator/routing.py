"""Clusters mounted and unmounted while the simulator serves: `/clusters/<name>/…`.

aiohttp freezes an application's routes once it serves, so sub-applications cannot be added
later. Clusters created through the admin API must appear (and vanish) at run time, so one
resource owns the whole `/clusters` prefix and resolves each request to the cluster's own
Kubernetes API app, which it starts and stops itself (aiohttp would otherwise start a
sub-application with its parent).
"""

import asyncio
import logging
from collections.abc import Iterator

from aiohttp import web
from aiohttp.web_urldispatcher import (
    AbstractRoute,
    PrefixedSubAppResource,
    PrefixResource,
    _InfoDict,
    _Resolve,
)
from yarl import URL

log = logging.getLogger(__name__)

CLUSTERS_PREFIX = "/clusters"


class ClusterRoutes(PrefixResource):
    """The `/clusters` prefix: each cluster's app, mounted while it exists."""

    def __init__(self) -> None:
        super().__init__(CLUSTERS_PREFIX)
        self._mounted: dict[str, tuple[PrefixedSubAppResource, web.Application]] = {}
        self._lock = asyncio.Lock()

    def __contains__(self, name: object) -> bool:
        return name in self._mounted

    async def mount(self, name: str, app: web.Application) -> None:
        """Freeze and start the cluster's app, then route `/clusters/<name>` to it."""
        async with self._lock:
            if name in self._mounted:
                raise ValueError(f"cluster {name!r} is already served")
            resource = PrefixedSubAppResource(f"{self._prefix}/{name}", app)
            app.freeze()
            await app.startup()
            self._mounted[name] = (resource, app)

    async def unmount(self, name: str) -> None:
        """Stop routing to the cluster, then shut its app down (ending its watches)."""
        async with self._lock:
            mounted = self._mounted.pop(name, None)
        if mounted is not None:
            await self._close(mounted[1])

    async def shutdown_all(self) -> None:
        """With the server's shutdown: every cluster ends its watches."""
        for _, app in list(self._mounted.values()):
            await app.shutdown()

    async def cleanup_all(self) -> None:
        async with self._lock:
            mounted, self._mounted = list(self._mounted.values()), {}
        for _, app in mounted:
            await app.cleanup()

    @staticmethod
    async def _close(app: web.Application) -> None:
        try:
            await app.shutdown()
        finally:
            await app.cleanup()

    def url_for(self, *args: str, **kwargs: str) -> URL:
        raise RuntimeError(".url_for() is not supported by the clusters' root")

    def get_info(self) -> _InfoDict:
        return {"prefix": self._prefix}

    async def resolve(self, request: web.Request) -> _Resolve:
        path = request.rel_url.path_safe
        if not path.startswith(self._prefix2):
            return None, set()
        name = path[len(self._prefix2) :].partition("/")[0]
        mounted = self._mounted.get(name)
        if mounted is None:
            return None, set()
        return await mounted[0].resolve(request)

    def __len__(self) -> int:
        return sum(len(resource) for resource, _ in self._mounted.values())

    def __iter__(self) -> Iterator[AbstractRoute]:
        for resource, _ in list(self._mounted.values()):
            yield from resource
