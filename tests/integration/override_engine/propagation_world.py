"""A hub store, simulated members served over HTTPS, and the override-engine between them.

Members run on their own event loop in a thread (as remote apiservers would), each behind
its own port with a fault switch (errors, hang), standing faults (latency, error ratio) and
a stop/start that drops every connection. Hub objects are written straight into the store,
as the gateway, the fleet-manager and the scheduler would.
"""

import asyncio
import base64
import random
import socket
import threading
from collections.abc import Callable, Coroutine
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

from services.override_engine.service import OverrideEngine
from services.override_engine.settings import OverrideEngineSettings
from services.simulator.cluster import SimulatedCluster
from shared.api.kinds import ATTACHED_CLUSTERS, KARMADA_CLUSTERS, SECRETS
from shared.api.simulated_fleet import parse_fleet_config
from shared.bus import Bus
from shared.certs import ServingCerts, ensure_serving_certs
from shared.kubeapi.registry import member_registry
from shared.kubeapi.server import ServerSettings, create_app
from shared.kubeapi.storage import static_tokens
from shared.kubeconfig import KubeconfigEntry, render
from shared.members.client import MemberClient, MemberError
from shared.runtime.service import ServiceContext
from shared.settings import NavarchSettings
from shared.store.errors import ConflictError
from shared.store.objects import Object, ObjectStore

TOKEN = "member-token"
FLEET_NAMESPACE = "kurator-system"
ATTACHED_LABEL = "navarch.dev/attached-cluster"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Member:
    name: str
    port: int
    cluster: SimulatedCluster
    fault: str | None = None
    """None, "error" (every request answers 500) or "hang" (requests never answer)."""
    latency_s: float = 0.0
    """Every request waits this long before it is served (a slow member)."""
    error_ratio: float = 0.0
    """This share of requests answers 500 (a flaky member)."""
    runner: web.AppRunner | None = None
    requests: list[tuple[str, str]] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}/clusters/{self.name}"


def _fault_middleware(member: Member) -> Any:
    @web.middleware
    async def faults(request: web.Request, handler: Any) -> web.StreamResponse:
        if request.method not in ("GET", "HEAD") or request.query.get("watch") == "true":
            member.requests.append((request.method, request.path))
        if member.fault == "error":
            return web.json_response({"kind": "Status", "code": 500}, status=500)
        if member.fault == "hang":
            await asyncio.sleep(3600)
        if member.latency_s:
            await asyncio.sleep(member.latency_s)
        if random.random() < member.error_ratio:
            return web.json_response({"kind": "Status", "code": 500}, status=500)
        return await handler(request)

    return faults


class Members:
    """Simulated clusters on a private loop in a thread, one HTTPS port each."""

    def __init__(self, names: list[str], directory: Path) -> None:
        self.certs: ServingCerts = ensure_serving_certs(directory / "pki")
        self.members: dict[str, Member] = {}
        self._names = names
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._main, daemon=True)
        self._started: Future[None] = Future()

    def __getitem__(self, name: str) -> Member:
        return self.members[name]

    def start(self) -> None:
        self._thread.start()
        self._started.result(timeout=20)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=20)
        assert not self._thread.is_alive(), "member servers did not stop"

    def run(self, coroutine: Coroutine[Any, Any, Any]) -> Any:
        assert self._loop is not None
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout=20)

    async def call(self, coroutine: Coroutine[Any, Any, Any]) -> Any:
        """Await a coroutine on the members' loop from the test's loop."""
        assert self._loop is not None
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coroutine, self._loop))

    def _main(self) -> None:
        asyncio.run(self._serve())

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        for name in self._names:
            document = {
                "apiVersion": "navarch.dev/v1alpha1",
                "kind": "SimulatedFleet",
                "clusters": [
                    {
                        "name": name,
                        "podReadyDelay": "50ms",
                        "nodes": [{"count": 2, "capacity": {"cpu": "8", "memory": "32Gi"}}],
                    }
                ],
            }
            cluster = SimulatedCluster(parse_fleet_config(document).clusters[0])
            await cluster.start()
            member = Member(name, free_port(), cluster)
            self.members[name] = member
            await self.start_server(name)
        self._started.set_result(None)
        while not self._stop.is_set():
            await asyncio.sleep(0.05)
        for member in self.members.values():
            await self.stop_server(member.name)
            await member.cluster.stop()

    async def start_server(self, name: str) -> None:
        """Serve the member (a fresh app over the same store: a restarted apiserver)."""
        member = self.members[name]
        app = create_app(
            member.cluster.store,
            registry=member_registry(),
            authenticator=static_tokens({TOKEN: "admin"}),
            settings=ServerSettings(bookmark_interval_s=1.0, namespace_retry_s=0.05),
        )
        root = web.Application(middlewares=[_fault_middleware(member)])
        root.add_subapp(f"/clusters/{name}", app)
        runner = web.AppRunner(root, shutdown_timeout=1, access_log=None)
        await runner.setup()
        site = web.TCPSite(
            runner, "127.0.0.1", member.port, ssl_context=self.certs.server_context()
        )
        await site.start()
        member.runner = runner

    async def stop_server(self, name: str) -> None:
        """The member goes away: listening socket and every open connection closed."""
        member = self.members[name]
        if member.runner is not None:
            runner, member.runner = member.runner, None
            await runner.cleanup()

    def kubeconfig(self, name: str) -> str:
        import yaml

        entry = KubeconfigEntry(server=self[name].url, ca_pem=self.certs.ca_pem, token=TOKEN)
        return yaml.safe_dump(render(entry), sort_keys=False)

    def writes(self, name: str) -> list[tuple[str, str]]:
        """Requests that change something (or open a watch) the member received."""
        return [r for r in self[name].requests if r[0] not in ("GET", "HEAD")]


async def attach(store: ObjectStore, members: Members, name: str, **labels: str) -> None:
    """What the fleet-manager leaves in the hub for an attached member."""
    secret = f"{name}-kubeconfig"
    data = base64.b64encode(members.kubeconfig(name).encode()).decode()
    await store.create(
        SECRETS,
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": secret, "namespace": FLEET_NAMESPACE},
            "data": {"value": data},
        },
    )
    await store.create(
        ATTACHED_CLUSTERS,
        {
            "apiVersion": "cluster.kurator.dev/v1alpha1",
            "kind": "AttachedCluster",
            "metadata": {"name": name, "namespace": FLEET_NAMESPACE},
            "spec": {"kubeconfig": {"secretRef": {"name": secret}}},
        },
    )
    await store.create(
        KARMADA_CLUSTERS,
        {
            "apiVersion": "cluster.karmada.io/v1alpha1",
            "kind": "Cluster",
            "metadata": {
                "name": name,
                "labels": {ATTACHED_LABEL: f"{FLEET_NAMESPACE}.{name}", **labels},
            },
            "spec": {},
        },
    )


class RunningEngine:
    """The override-engine in-process on the test's loop, restartable."""

    def __init__(self, *, store: ObjectStore, bus: Bus, settings: OverrideEngineSettings) -> None:
        self.store = store
        self.bus = bus
        self.settings = settings
        self.engine: OverrideEngine | None = None
        self.context: ServiceContext | None = None

    async def start(self) -> OverrideEngine:
        self.context = ServiceContext(
            name="override-engine", settings=NavarchSettings(), bus=self.bus, store=self.store
        )
        self.engine = OverrideEngine(self.settings)
        await self.engine.start(self.context)
        return self.engine

    async def stop(self) -> None:
        if self.engine is not None and self.context is not None:
            await self.engine.stop()
            await self.context.tasks.stop()
        self.engine, self.context = None, None

    async def kill(self) -> None:
        """As kill -9 would: every task of the engine cancelled where it stands, nothing
        drained and nothing written on the way out (member connections are closed only so
        the test does not leak sockets)."""
        if self.engine is None:
            return
        prefixes = ("override-engine/", "runner/override-", "runner/member/", "watches/")
        tasks = [task for task in asyncio.all_tasks() if task.get_name().startswith(prefixes)]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for _cluster, session in self.engine.sessions.items():
            await session.client.close()
        self.engine, self.context = None, None


async def member_get(members: Members, name: str, path: str) -> Object | None:
    """An object read through the member's API (None when it answers 404)."""
    client = await MemberClient.from_kubeconfig(members.kubeconfig(name))
    try:
        return await client.request("GET", path)
    except MemberError as error:
        if error.status == 404:
            return None
        raise
    finally:
        await client.close()


async def eventually_async(
    condition: Callable[[], Coroutine[Any, Any, bool]], *, timeout: float = 10.0
) -> None:
    async with asyncio.timeout(timeout):
        while not await condition():
            await asyncio.sleep(0.05)


def hub_type(api_version: str, kind: str) -> Any:
    from services.override_engine.syncing import resource_for

    resource = resource_for(api_version, kind)
    assert resource is not None
    return resource


async def create_hub(store: ObjectStore, obj: Object, *, namespace: str = "default") -> Object:
    """Store a user object as the gateway would (namespaced kinds get `namespace`)."""
    resource = hub_type(obj["apiVersion"], obj["kind"])
    obj = dict(obj, metadata=dict(obj["metadata"]))
    if resource.namespaced:
        obj["metadata"].setdefault("namespace", namespace)
    return await store.create(resource, obj)


async def bind(
    store: ObjectStore,
    template: Object,
    clusters: dict[str, int],
    *,
    propagate_deps: bool = False,
) -> Object:
    """The ResourceBinding the scheduler would write for `template`."""
    metadata = template["metadata"]
    binding = {
        "apiVersion": "work.karmada.io/v1alpha2",
        "kind": "ResourceBinding",
        "metadata": {
            "name": f"{metadata['name']}-{template['kind'].lower()}",
            "namespace": metadata["namespace"],
            "ownerReferences": [
                {
                    "apiVersion": template["apiVersion"],
                    "kind": template["kind"],
                    "name": metadata["name"],
                    "uid": metadata["uid"],
                    "controller": True,
                    "blockOwnerDeletion": True,
                }
            ],
        },
        "spec": {
            "resource": {
                "apiVersion": template["apiVersion"],
                "kind": template["kind"],
                "namespace": metadata["namespace"],
                "name": metadata["name"],
                "uid": metadata["uid"],
                "resourceVersion": metadata["resourceVersion"],
            },
            "propagateDeps": propagate_deps,
            "replicas": (template.get("spec") or {}).get("replicas", 0),
            "clusters": [{"name": name, "replicas": count} for name, count in clusters.items()],
        },
    }
    return await store.create(hub_type("work.karmada.io/v1alpha2", "ResourceBinding"), binding)


async def update_with_retry(
    store: ObjectStore, resource: Any, namespace: str, name: str, change: Callable[[Object], None]
) -> Object:
    """Read-modify-write as the scheduler does: the engine may have just added its finalizer."""
    for _ in range(20):
        current = await store.get(resource, namespace, name)
        change(current)
        try:
            return await store.update(resource, current)
        except ConflictError:
            await asyncio.sleep(0.05)
    raise AssertionError(f"{name} kept changing under the test")
