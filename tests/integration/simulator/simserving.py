"""A SimulatorServer on its own event loop in a thread (imported as `simserving`).

As in the kubeapi conformance tests, kubectl (a subprocess) and kubernetes-asyncio (on each
test's loop) reach it like a remote apiserver, and its tasks never count as a test's leaks.
"""

import asyncio
import threading
from collections.abc import Coroutine, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kubernetes_asyncio import client

from services.simulator.faults import FaultState, parse_fault
from services.simulator.fleet import SimulatedFleet
from services.simulator.serving import SimulatorServer
from shared.api.simulated_fleet import parse_fleet_config
from shared.certs import ensure_serving_certs
from shared.kubeapi.server import ServerSettings
from tests.integration.kubeapi.conftest import KUBECTL, ApiServer

FAST_SETTINGS = ServerSettings(bookmark_interval_s=0.3, namespace_retry_s=0.05)


@dataclass
class RunningSimulator:
    server: SimulatorServer
    loop: asyncio.AbstractEventLoop
    directory: Path
    kubeconfigs: dict[str, Path]

    def run(self, coroutine: Coroutine[Any, Any, Any], *, timeout: float = 10) -> Any:
        """Run a coroutine on the server's loop (store access, faults)."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout=timeout)

    def fault(self, cluster: str, action: str, value: str | float | None = None) -> FaultState:
        return self.run(self.server.inject(cluster, parse_fault(action, value)))

    async def afault(
        self, cluster: str, action: str, value: str | float | None = None
    ) -> FaultState:
        """`fault` without blocking the calling loop (its clients keep running)."""
        future = asyncio.run_coroutine_threadsafe(
            self.server.inject(cluster, parse_fault(action, value)), self.loop
        )
        return await asyncio.wrap_future(future)

    def api(self, cluster: str) -> ApiServer:
        """The kubeapi tests' view of one simulated cluster, so their scenarios run here."""
        return ApiServer(
            url=self.server.cluster_url(cluster),
            certs=self.server.certs,
            kubeconfig=self.kubeconfigs[cluster],
            store=self.server.fleet[cluster].store,
            app=self.server.cluster_app(cluster),
            loop=self.loop,
            cache_dir=self.directory / "kubectl-cache" / cluster,
        )

    def configuration(self, cluster: str) -> client.Configuration:
        config = client.Configuration(host=self.server.cluster_url(cluster))
        config.ssl_ca_cert = str(self.server.certs.ca_cert)
        config.api_key = {"BearerToken": self.server.tokens[cluster]}
        config.api_key_prefix = {"BearerToken": "Bearer"}
        return config


def fleet_document(*clusters: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": "navarch.dev/v1alpha1", "kind": "SimulatedFleet", "clusters": clusters}


@contextmanager
def running_simulator(
    directory: Path,
    document: dict[str, Any],
    *,
    tokens: dict[str, str] | None = None,
) -> Iterator[RunningSimulator]:
    """Start the server in a thread; stop it (and check it stopped) on exit."""
    fleet = SimulatedFleet(parse_fleet_config(document))
    server = SimulatorServer(
        fleet,
        certs=ensure_serving_certs(directory / "pki"),
        tokens=tokens,
        settings=FAST_SETTINGS,
        fault_seed=7,
    )
    started: Future[asyncio.AbstractEventLoop] = Future()
    stop = threading.Event()

    def serve() -> None:
        async def main() -> None:
            try:
                await server.start()
            except BaseException as error:
                started.set_exception(error)
                raise
            started.set_result(asyncio.get_running_loop())
            while not stop.is_set():
                await asyncio.sleep(0.05)
            await server.stop()

        asyncio.run(main())

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    loop = started.result(timeout=30)
    kubeconfigs = server.write_kubeconfigs(directory / "members")
    try:
        yield RunningSimulator(server, loop, directory, kubeconfigs)
    finally:
        stop.set()
        thread.join(timeout=15)
        assert not thread.is_alive(), "the simulator server did not stop"


__all__ = ["KUBECTL", "RunningSimulator", "fleet_document", "running_simulator"]
