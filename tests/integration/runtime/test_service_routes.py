"""A service's own routes sit beside /healthz, /readyz and /metrics on its HTTP port."""

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from shared.bus import Bus
from shared.runtime.service import Service, ServiceContext, _health_app
from shared.settings import NavarchSettings
from shared.store.memory import MemoryBackend
from shared.store.objects import ObjectStore

pytestmark = pytest.mark.integration


class RoutedService(Service):
    name = "routed"

    async def start(self, context: ServiceContext) -> None:
        return None

    async def stop(self) -> None:
        return None

    def http_routes(self) -> list[web.RouteDef]:
        async def hello(_: web.Request) -> web.Response:
            return web.Response(text="hello")

        return [web.get("/hello", hello)]


async def test_service_routes_are_served_beside_health(bus: Bus) -> None:
    context = ServiceContext(
        name="routed", settings=NavarchSettings(), bus=bus, store=ObjectStore(MemoryBackend())
    )
    async with TestClient(TestServer(_health_app(RoutedService(), context))) as client:
        hello = await client.get("/hello")
        assert (hello.status, await hello.text()) == (200, "hello")
        assert (await client.get("/healthz")).status == 200
        assert (await client.get("/metrics")).status == 200
