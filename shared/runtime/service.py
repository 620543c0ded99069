"""How a service process runs: settings, logs, tracing, bus, store, health, metrics, shutdown.

A service supplies `start` (informers, runners, subscriptions through the context) and
`stop` (drain); everything else here is the same for every service.
"""

import asyncio
import logging
import os
import signal
from abc import ABC, abstractmethod
from typing import ClassVar

import orjson
from aiohttp import web
from nats.aio.msg import Msg
from opentelemetry import trace
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from shared import subjects
from shared.api.resources import ResourceType
from shared.bus import Bus
from shared.runtime.informing import Informer
from shared.runtime.logs import configure_logging
from shared.runtime.tasks import OwnedTasks
from shared.settings import NavarchSettings
from shared.store.encryption import SecretEncryption, load_or_create_key
from shared.store.jetstream import JetStreamBackend
from shared.store.objects import ObjectStore
from shared.tracing import configure_tracing

log = logging.getLogger(__name__)


class ServiceContext:
    """What a running service may use; informers made here count toward readiness."""

    def __init__(
        self, *, name: str, settings: NavarchSettings, bus: Bus, store: ObjectStore
    ) -> None:
        self.name = name
        self.settings = settings
        self.bus = bus
        self.store = store
        self.tasks = OwnedTasks(name)
        self.informers: list[Informer] = []
        self.started = False
        """Set once `Service.start` returned: no process is ready before it serves."""

    def informer(self, resource: ResourceType, *, namespace: str | None = None) -> Informer:
        informer = Informer(self.store, resource, namespace=namespace)
        self.informers.append(informer)
        self.tasks.start(informer.run(), name=f"informer/{resource.group_resource}")
        return informer

    def synced(self) -> bool:
        return all(informer.synced for informer in self.informers)


class Service(ABC):
    name: ClassVar[str]

    @abstractmethod
    async def start(self, context: ServiceContext) -> None: ...

    @abstractmethod
    async def stop(self) -> None:
        """Drain in-flight work; the runtime cancels the context's tasks afterwards."""

    def ready(self, context: ServiceContext) -> bool:
        return context.synced()

    def http_routes(self) -> list[web.RouteDef]:
        """Routes this service adds beside /healthz, /readyz and /metrics on its HTTP port."""
        return []


async def connect_bus(settings: NavarchSettings, *, name: str) -> Bus:
    """Retry until NATS answers: services may start before the server during `navarch up`."""
    delay = 0.1
    while True:
        try:
            return await Bus.connect(settings.resolved_nats_url(), name=name)
        except (OSError, TimeoutError, Exception) as error:  # nats raises plain Exception subtypes
            log.warning("cannot reach NATS yet (%s); retrying in %.1fs", error, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 2.0)


def _health_app(service: Service, context: ServiceContext) -> web.Application:
    async def healthz(_: web.Request) -> web.Response:
        """Answered by the service's own event loop, so a blocked loop fails its liveness."""
        return web.Response(text="ok")

    async def readyz(_: web.Request) -> web.Response:
        if context.started and context.bus.connected and service.ready(context):
            return web.Response(text="ok")
        return web.Response(status=503, text="not ready")

    async def metrics(_: web.Request) -> web.Response:
        response = web.Response(body=generate_latest())
        response.content_type = CONTENT_TYPE_LATEST.split(";")[0]
        return response

    app = web.Application()
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics)
    app.router.add_routes(service.http_routes())
    return app


async def _answer_echo(bus: Bus, msg: Msg, *, service: str) -> None:
    """Reply with the handler span's ids, so callers can verify trace propagation end to end."""
    span = trace.get_current_span()
    context = span.get_span_context()
    parent = getattr(span, "parent", None)
    reply = {
        "service": service,
        "trace_id": format(context.trace_id, "032x"),
        "span_id": format(context.span_id, "016x"),
        "parent_span_id": format(parent.span_id, "016x") if parent else None,
    }
    if msg.reply:
        await bus.client.publish(msg.reply, orjson.dumps(reply))


async def _announce_ready(context: ServiceContext) -> None:
    """`navarch.service.ready.<service>` once every informer the service made has synced."""
    for informer in list(context.informers):
        await informer.wait_synced()
    payload = orjson.dumps({"service": context.name, "pid": os.getpid()})
    await context.bus.publish(subjects.subject(subjects.SERVICE_READY, context.name), payload)
    log.info("service ready", extra={"informers": len(context.informers)})


async def serve(service: Service, settings: NavarchSettings | None = None) -> None:
    settings = settings or NavarchSettings()
    configure_logging(service.name, settings.log_level)
    configure_tracing(service.name)
    bus = await connect_bus(settings, name=service.name)
    backend = await JetStreamBackend.open(
        bus, bucket=settings.bucket, replicas=settings.kv_replicas, history=settings.kv_history
    )
    encryption = SecretEncryption(load_or_create_key(settings.home))
    context = ServiceContext(
        name=service.name,
        settings=settings,
        bus=bus,
        store=ObjectStore(backend, encryption=encryption),
    )
    runner = web.AppRunner(_health_app(service, context), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, settings.http_host, settings.http_port)
    await site.start()
    await bus.subscribe(
        subjects.subject(subjects.ECHO, service.name),
        lambda msg: _answer_echo(bus, msg, service=service.name),
    )
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopping.set)
    await service.start(context)
    context.started = True
    log.info("service started", extra={"http": site.name})
    context.tasks.start(_announce_ready(context), name="announce-ready")
    await stopping.wait()
    log.info("stopping: draining in-flight work")
    try:
        await asyncio.wait_for(service.stop(), settings.shutdown_timeout_s)
    except TimeoutError:
        log.error("service did not drain within %.1fs", settings.shutdown_timeout_s)
    await context.tasks.stop()
    await runner.cleanup()
    await bus.close()
    log.info("stopped")


def run(service: Service) -> None:
    asyncio.run(serve(service))
