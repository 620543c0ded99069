"""The gateway: the Kubernetes API of the hub, over the store, for kubectl and `navarch`.

HTTPS with a CA and serving certificate generated into `$NAVARCH_HOME/pki`, bearer tokens
from `$NAVARCH_HOME/tokens.csv`, the hub kubeconfig written to
`$NAVARCH_HOME/hub.kubeconfig`, reads from informer caches, admission by the models in
`validation.py`, a span and a metric per request.
"""

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from aiohttp import web
from opentelemetry.trace import SpanKind, StatusCode
from prometheus_client import Histogram

from services.gateway.aggregating import AggregatedApis
from services.gateway.caching import CachedStore
from services.gateway.settings import GatewaySettings
from services.gateway.tokens import ADMIN_USER, TokenFile
from services.gateway.validation import validate
from shared.api.kinds import NAMESPACES
from shared.certs import ensure_serving_certs
from shared.httplimits import ConnectionGuard, GuardedSite, ServingLimits, listen
from shared.kubeapi.registry import hub_registry
from shared.kubeapi.server import SEED_NAMESPACES, ServerSettings, create_app
from shared.kubeconfig import KubeconfigEntry, write_kubeconfig
from shared.runtime.service import Service, ServiceContext
from shared.tracing import tracer

log = logging.getLogger(__name__)

HUB_KUBECONFIG = "hub.kubeconfig"
HUB_NAMESPACES = ("kurator-system", "karmada-system")
"""Where Kurator's and Karmada's own objects live on a hub, as their installers create them."""
REQUESTS = Histogram(
    "navarch_gateway_request_seconds",
    "API requests by method and status code",
    ["method", "code"],
)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def observe(request: web.Request, handler: Handler) -> web.StreamResponse:
    """One span and one histogram sample per request; watches count until they end."""
    started = time.perf_counter()
    code = 500
    with tracer("navarch.gateway").start_as_current_span(
        f"{request.method} {request.path}", kind=SpanKind.SERVER
    ) as span:
        try:
            response = await handler(request)
            code = response.status
            return response
        except web.HTTPException as error:
            code = error.status
            raise
        finally:
            span.set_attribute("http.status_code", code)
            if code >= 500:
                span.set_status(StatusCode.ERROR)
            REQUESTS.labels(request.method, str(code)).observe(time.perf_counter() - started)


class Gateway(Service):
    name = "gateway"

    def __init__(
        self, settings: GatewaySettings | None = None, limits: ServingLimits | None = None
    ) -> None:
        self.settings = settings or GatewaySettings()
        self.limits = limits or ServingLimits()
        self._runner: web.AppRunner | None = None
        self._cache: CachedStore | None = None
        self.port = 0

    async def start(self, context: ServiceContext) -> None:
        home = context.settings.home
        certs = ensure_serving_certs(home / "pki")
        tokens = TokenFile(home / "tokens.csv")
        admin_token = tokens.ensure_admin()
        self._cache = CachedStore(context.store, context.tasks)
        registry = hub_registry()
        for kind in registry.kinds():
            self._cache.informer(kind.resource)
        app = create_app(
            self._cache,
            registry=registry,
            authenticator=tokens.authenticate,
            validator=validate,
            settings=ServerSettings(
                seed_namespaces=(*SEED_NAMESPACES, *HUB_NAMESPACES),
                body_timeout_s=self.limits.body_timeout_s,
            ),
        )
        app.middlewares.append(AggregatedApis(context.bus).middleware)
        guard = ConnectionGuard(self.limits)
        app.middlewares.insert(0, observe)
        app.middlewares.insert(0, guard.middleware)
        self._runner = web.AppRunner(
            app, access_log=None, shutdown_timeout=2, **self.limits.runner_options()
        )
        await self._runner.setup()
        listener = listen(self.settings.host, self.settings.port, limits=self.limits)
        self.port = listener.getsockname()[1]
        site = GuardedSite(self._runner, listener, guard=guard, ssl_context=certs.server_context())
        await site.start()
        write_kubeconfig(
            home / HUB_KUBECONFIG,
            KubeconfigEntry(
                server=f"https://{self.settings.advertise_host}:{self.port}",
                ca_pem=certs.ca_pem,
                token=admin_token,
                context="navarch-hub",
                cluster="navarch-hub",
                user=ADMIN_USER,
            ),
        )
        context.tasks.start(self._compact_forever(context), name="compaction")
        log.info("hub API serving", extra={"port": self.port})

    async def _compact_forever(self, context: ServiceContext) -> None:
        """Forget old deletions so the bucket does not grow without bound."""
        while True:
            await asyncio.sleep(self.settings.compact_interval_s)
            listing = await context.store.list(NAMESPACES)
            horizon = listing.revision - self.settings.compact_keep_revisions
            if horizon > 0:
                await context.store.compact(before_revision=horizon)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def ready(self, context: ServiceContext) -> bool:
        return self._runner is not None and self._cache is not None and self._cache.synced()
