"""One HTTPS server for a whole simulated fleet: each cluster under `/clusters/<name>`.

Each cluster gets the shared Kubernetes API (`shared.kubeapi`) over its own store, its own
bearer token, and what the simulator adds to a real apiserver: the `pods/eviction`
subresource and the `metrics.k8s.io/v1beta1` API (what `kubectl top` reads). Faults are a
middleware in front of every cluster (`faults.py`); the admin API (`admin.py`) lives on the
same server, so one port and one CA serve a demo fleet, and a kubeconfig per cluster makes
each look like a separate real cluster to kubectl and to the hub.
"""

import asyncio
import dataclasses
import json
import logging
import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from aiohttp import web

from services.simulator.admin import create_admin_app
from services.simulator.cluster import SimulatedCluster
from services.simulator.faults import Fault, FaultInjector, FaultState, apply_fault
from services.simulator.fleet import SimulatedFleet
from services.simulator.metrics import API_VERSION as METRICS_API_VERSION
from services.simulator.provisioning import Provisioner
from services.simulator.resources import NODES, PODS
from services.simulator.routing import ClusterRoutes
from shared.api.resources import ResourceType
from shared.api.simulated_fleet import ClusterConfig
from shared.certs import ServingCerts
from shared.httplimits import ConnectionGuard, GuardedSite, ServingLimits, listen
from shared.kubeapi import statuses
from shared.kubeapi.handlers import Handlers
from shared.kubeapi.listing import parse_labels
from shared.kubeapi.registry import Kind, Registry, member_registry
from shared.kubeapi.server import APP_KEY, ServerSettings, create_app, json_response
from shared.kubeapi.storage import static_tokens
from shared.kubeconfig import KubeconfigEntry, write_kubeconfig

log = logging.getLogger(__name__)

CLUSTER_USER = "cluster-admin"
DROP_WAIT_S = 2.0
POD_METRICS = ResourceType(
    group="metrics.k8s.io",
    version="v1beta1",
    plural="pods",
    kind="PodMetrics",
    status_subresource=False,
    singular="podmetrics",
)
NODE_METRICS = ResourceType(
    group="metrics.k8s.io",
    version="v1beta1",
    plural="nodes",
    kind="NodeMetrics",
    namespaced=False,
    status_subresource=False,
    singular="nodemetrics",
)
METRICS_PREFIX = "/apis/metrics.k8s.io/v1beta1"


def simulator_registry() -> Registry:
    """A member's kinds, plus what discovery must show for eviction and `kubectl top`."""
    registry = member_registry()
    pods = registry.lookup(PODS.group, PODS.version, PODS.plural)
    assert pods is not None
    registry.add(dataclasses.replace(pods, extra_subresources=("eviction",)))
    registry.add(Kind(POD_METRICS))
    registry.add(Kind(NODE_METRICS))
    return registry


def _selected(request: web.Request, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    selector = parse_labels(request.query.get("labelSelector"))
    return [item for item in items if selector.matches(item["metadata"].get("labels") or {})]


def _metrics_list(kind: str, items: list[dict[str, Any]]) -> web.Response:
    return json_response(
        {"kind": kind, "apiVersion": METRICS_API_VERSION, "metadata": {}, "items": items}
    )


def add_simulator_routes(app: web.Application, cluster: SimulatedCluster) -> None:
    """Eviction and metrics routes; more specific than the API's catch-all, so they win."""

    async def evict(request: web.Request) -> web.StreamResponse:
        namespace, name = request.match_info["namespace"], request.match_info["name"]
        if request.body_exists:
            body = await request.json()
            named = ((body or {}).get("metadata") or {}).get("name")
            if named not in (None, name):
                raise statuses.bad_request(f"name in URL does not match name in Eviction: {name}")
        result = await cluster.evict(namespace, name)
        return web.json_response(result.status(), status=result.code)

    async def pod_metrics(request: web.Request) -> web.StreamResponse:
        items = await cluster.pod_metrics(request.match_info.get("namespace"))
        return _metrics_list("PodMetricsList", _selected(request, items))

    async def one_pod_metrics(request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        for item in await cluster.pod_metrics(request.match_info["namespace"]):
            if item["metadata"]["name"] == name:
                return json_response(item)
        raise statuses.not_found(POD_METRICS, name)

    async def node_metrics(request: web.Request) -> web.StreamResponse:
        return _metrics_list("NodeMetricsList", _selected(request, await cluster.node_metrics()))

    async def one_node_metrics(request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        for item in await cluster.node_metrics():
            if item["metadata"]["name"] == name:
                return json_response(item)
        raise statuses.not_found(NODE_METRICS, name)

    router = app.router
    router.add_post("/api/v1/namespaces/{namespace}/pods/{name}/eviction", evict)
    router.add_get(f"{METRICS_PREFIX}/pods", pod_metrics)
    router.add_get(f"{METRICS_PREFIX}/namespaces/{{namespace}}/pods", pod_metrics)
    router.add_get(f"{METRICS_PREFIX}/namespaces/{{namespace}}/pods/{{name}}", one_pod_metrics)
    router.add_get(f"{METRICS_PREFIX}/nodes", node_metrics)
    router.add_get(f"{METRICS_PREFIX}/nodes/{{name}}", one_node_metrics)


class SimulatorServer:
    """The fleet's clusters behind one TLS listener, with faults and an admin API."""

    def __init__(
        self,
        fleet: SimulatedFleet,
        *,
        certs: ServingCerts,
        tokens: Mapping[str, str] | None = None,
        admin_token: str | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        settings: ServerSettings | None = None,
        fault_seed: int | None = None,
        limits: ServingLimits | None = None,
    ) -> None:
        self.fleet = fleet
        self.certs = certs
        self.host = host
        self.port = port
        self.tokens = {
            name: (tokens or {}).get(name) or secrets.token_urlsafe(32) for name in fleet.names
        }
        self.admin_token = admin_token or secrets.token_urlsafe(32)
        self.faults = FaultInjector(fleet.names, seed=fault_seed)
        self._settings = settings
        self.limits = limits or ServingLimits()
        self._guard = ConnectionGuard(self.limits)
        self._apps: dict[str, web.Application] = {}
        self._routes = ClusterRoutes()
        self.provisioner = Provisioner(self)
        self._runner: web.AppRunner | None = None
        self._stopping = False
        self._fault_lock = asyncio.Lock()

    @property
    def url(self) -> str:
        return f"https://{self.host}:{self.port}"

    @property
    def admin_url(self) -> str:
        return f"{self.url}/admin"

    def cluster_url(self, name: str) -> str:
        return f"{self.url}/clusters/{name}"

    def kubeconfig_entry(self, name: str) -> KubeconfigEntry:
        return KubeconfigEntry(
            server=self.cluster_url(name),
            ca_pem=self.certs.ca_pem,
            token=self.tokens[name],
            context=name,
            cluster=name,
            user=f"{name}-admin",
        )

    def write_kubeconfigs(self, directory: Path) -> dict[str, Path]:
        """`<directory>/<name>.kubeconfig` per cluster (mode 0600): how the hub attaches them."""
        return {
            name: write_kubeconfig(directory / f"{name}.kubeconfig", self.kubeconfig_entry(name))
            for name in self.fleet.names
        }

    def _cluster_settings(self, cluster: SimulatedCluster) -> ServerSettings:
        """The given settings, reporting the cluster's own Kubernetes version."""
        base = self._settings or ServerSettings()
        return dataclasses.replace(
            base,
            git_version=cluster.config.kubernetes_version,
            body_timeout_s=self.limits.body_timeout_s,
        )

    def _build(self) -> web.Application:
        root = web.Application(
            middlewares=[self._guard.middleware, self.faults.middleware],
            client_max_size=(self._settings or ServerSettings()).max_body_bytes,
        )

        async def ready(_request: web.Request) -> web.StreamResponse:
            return web.Response(text="ok")

        for path in ("/readyz", "/healthz", "/livez"):
            root.router.add_get(path, ready)
        root.add_subapp(
            "/admin", create_admin_app(self, token=self.admin_token, provisioner=self.provisioner)
        )
        root.router.register_resource(self._routes)

        async def shutdown(_app: web.Application) -> None:
            await self._routes.shutdown_all()

        async def cleanup(_app: web.Application) -> None:
            await self._routes.cleanup_all()

        root.on_shutdown.append(shutdown)
        root.on_cleanup.append(cleanup)
        return root

    def _cluster_app(self, cluster: SimulatedCluster) -> web.Application:
        app = create_app(
            cluster.store,
            registry=simulator_registry(),
            authenticator=static_tokens({self.tokens[cluster.name]: CLUSTER_USER}),
            settings=self._cluster_settings(cluster),
        )
        add_simulator_routes(app, cluster)
        return app

    async def _mount(self, cluster: SimulatedCluster) -> None:
        app = self._cluster_app(cluster)
        await self._routes.mount(cluster.name, app)
        self._apps[cluster.name] = app

    async def add_cluster(self, config: ClusterConfig) -> SimulatedCluster:
        """A cluster created while the server runs: started, then served with its own token.

        ValueError when the name is taken."""
        cluster = await self.fleet.add_cluster(config)
        self.tokens[cluster.name] = secrets.token_urlsafe(32)
        self.faults.add(cluster.name)
        try:
            await self._mount(cluster)
        except BaseException:
            await self.fleet.remove_cluster(cluster.name)
            self.faults.remove(cluster.name)
            raise
        log.info("cluster %s created", cluster.name)
        return cluster

    def has_cluster(self, name: str) -> bool:
        return name in self.fleet.names

    async def remove_cluster(self, name: str) -> None:
        """Stop serving the cluster (its watches end), then forget it and its objects."""
        self.faults.remove(name)
        await self._routes.unmount(name)
        self._apps.pop(name, None)
        self.tokens.pop(name, None)
        await self.fleet.remove_cluster(name)
        log.info("cluster %s deleted", name)

    async def start(self) -> None:
        """Start every cluster's controllers, then listen; `port` 0 picks a free port."""
        await self.fleet.start()
        runner = web.AppRunner(
            self._build(), shutdown_timeout=2, access_log=None, **self.limits.runner_options()
        )
        await runner.setup()
        try:
            for cluster in self.fleet:
                await self._mount(cluster)
            listener = listen(self.host, self.port, limits=self.limits)
            site = GuardedSite(
                runner, listener, guard=self._guard, ssl_context=self.certs.server_context()
            )
            await site.start()
        except BaseException:
            await runner.cleanup()
            await self.fleet.stop()
            raise
        self.port = int(runner.addresses[0][1])
        self._runner = runner

    async def stop(self) -> None:
        """Stop listening (ending watches and held requests), then stop the clusters."""
        self._stopping = True
        await self.provisioner.stop()
        for gate in self.faults.gates.values():
            gate.release_held()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        await self.fleet.stop()

    def cluster_app(self, name: str) -> web.Application:
        """The cluster's Kubernetes API app (mounted at `/clusters/<name>`)."""
        return self._apps[name]

    def handlers(self, name: str) -> Handlers:
        return self._apps[name][APP_KEY]

    async def inject(self, name: str, fault: Fault) -> FaultState:
        """Apply a fault command to a cluster; KeyError for an unknown cluster."""
        cluster = self.fleet[name]
        gate = self.faults[name]
        async with self._fault_lock:
            before = gate.state
            gate.set_state(apply_fault(before, fault))
            if fault.action == "down" and not before.down:
                gate.sever()
                await cluster.stop()
                log.info("cluster %s is down", name)
            elif fault.action == "up" and before.down:
                await cluster.start()
                log.info("cluster %s is up", name)
            elif fault.action == "drop-watches":
                dropped = await self._drop_watches(name)
                log.info("cluster %s: dropped %d watches", name, dropped)
            elif fault.action == "expire":
                await self._expire(name)
            return gate.state

    async def _drop_watches(self, name: str) -> int:
        """End every open watch cleanly (as an apiserver restart does); stragglers are cut."""
        gate = self.faults[name]
        closing = self.handlers(name).closing
        count = len(gate.watches())
        closing.set()
        try:
            if not await gate.watches_ended(timeout=DROP_WAIT_S):
                gate.sever(watches_only=True)
        finally:
            if not self._stopping:
                closing.clear()
        return count

    async def _expire(self, name: str) -> None:
        """Compact the store to its latest revision: older resourceVersions now get 410."""
        cluster = self.fleet[name]
        await cluster.store.compact(before_revision=cluster.backend.revision + 1)
        self.handlers(name).snapshots.drop_all()

    async def describe(self) -> list[dict[str, Any]]:
        """Each cluster's name, URL, faults and size (for `navarch sim clusters`)."""
        rows = []
        for cluster in self.fleet:
            state = self.faults[cluster.name].state
            rows.append(
                {
                    "name": cluster.name,
                    "server": self.cluster_url(cluster.name),
                    "running": cluster.running,
                    "nodes": len((await cluster.store.list(NODES)).items),
                    "pods": len((await cluster.store.list(PODS)).items),
                    "faults": state.to_dict(),
                    "faultLabels": state.describe(),
                }
            )
        return rows


STATE_FILE = "simulator.json"


def _attachment(config: ClusterConfig) -> dict[str, Any]:
    """What the hub needs to attach the cluster as configured: placement labels and taints."""
    return {
        "region": config.region,
        "zone": config.zone,
        "provider": config.provider,
        "labels": dict(config.labels),
        "taints": [taint.to_dict() for taint in config.taints],
    }


def state_document(server: SimulatorServer, kubeconfigs: Mapping[str, Path]) -> dict[str, Any]:
    """What `navarch sim` and the hub read from `<kubeconfig-dir>/simulator.json`."""
    return {
        "pid": os.getpid(),
        "url": server.url,
        "adminUrl": server.admin_url,
        "adminToken": server.admin_token,
        "caFile": str(server.certs.ca_cert.resolve()),
        "clusters": {
            name: {
                "server": server.cluster_url(name),
                "kubeconfig": str(path.resolve()),
                **_attachment(server.fleet[name].config),
            }
            for name, path in kubeconfigs.items()
        },
    }


def write_state(path: Path, document: Mapping[str, Any]) -> Path:
    """Written with mode 0600: it holds the admin token."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(json.dumps(document, indent=2) + "\n")
    path.chmod(0o600)
    return path
