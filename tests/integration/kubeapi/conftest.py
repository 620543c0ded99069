"""One API server per module, over the memory store, with HTTPS and a bearer token.

The server runs on its own event loop in a thread, so kubectl (a subprocess) and
kubernetes-asyncio (on each test's loop) talk to it exactly as to a remote apiserver, and
no server task ever counts as a task a test leaked.
"""

import asyncio
import json
import socket
import ssl
import subprocess
import threading
import uuid
from collections.abc import AsyncIterator, Coroutine, Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from shared.certs import ServingCerts, ensure_serving_certs
from shared.kubeapi.server import ServerSettings, create_app
from shared.kubeapi.storage import static_tokens
from shared.kubeconfig import KubeconfigEntry, write_kubeconfig
from shared.store.memory import MemoryBackend
from shared.store.objects import ObjectStore

REPO = Path(__file__).resolve().parents[3]
KUBECTL = REPO / ".venv" / "bin" / "kubectl"
TOKEN = "conformance-token"
PREFIX = "/clusters/east"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class ApiServer:
    """A running server and what clients need to reach it."""

    url: str
    certs: ServingCerts
    kubeconfig: Path
    store: ObjectStore
    app: web.Application
    loop: asyncio.AbstractEventLoop
    cache_dir: Path

    def run(self, coroutine: Coroutine[Any, Any, Any]) -> Any:
        """Run a coroutine on the server's loop (store access from a test)."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout=10)

    def kubectl(
        self, *args: str, check: bool = True, stdin: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        command = [
            str(KUBECTL),
            f"--kubeconfig={self.kubeconfig}",
            f"--cache-dir={self.cache_dir}",
            *args,
        ]
        result = subprocess.run(
            command, input=stdin, capture_output=True, text=True, timeout=30, check=False
        )
        if check and result.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(args)} failed: {result.stderr}")
        return result

    def kubectl_json(self, *args: str) -> Any:
        return json.loads(self.kubectl(*args, "-o", "json").stdout)


def _serve(
    app: web.Application,
    certs: ServingCerts,
    port: int,
    started: Future[asyncio.AbstractEventLoop],
    stop: threading.Event,
) -> None:
    async def main() -> None:
        root = web.Application(client_max_size=ServerSettings().max_body_bytes)
        root.add_subapp(PREFIX, app)
        runner = web.AppRunner(root, shutdown_timeout=2)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", port, ssl_context=certs.server_context())
        await site.start()
        started.set_result(asyncio.get_running_loop())
        while not stop.is_set():
            await asyncio.sleep(0.05)
        await runner.cleanup()

    asyncio.run(main())


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiServer]:
    directory = tmp_path_factory.mktemp("kubeapi")
    certs = ensure_serving_certs(directory / "pki")
    store = ObjectStore(MemoryBackend(history=200))
    app = create_app(
        store,
        authenticator=static_tokens({TOKEN: "admin"}),
        settings=ServerSettings(bookmark_interval_s=0.3, namespace_retry_s=0.05),
    )
    port = free_port()
    url = f"https://127.0.0.1:{port}{PREFIX}"
    kubeconfig = write_kubeconfig(
        directory / "kubeconfig", KubeconfigEntry(server=url, ca_pem=certs.ca_pem, token=TOKEN)
    )
    started: Future[asyncio.AbstractEventLoop] = Future()
    stop = threading.Event()
    thread = threading.Thread(target=_serve, args=(app, certs, port, started, stop), daemon=True)
    thread.start()
    loop = started.result(timeout=10)
    yield ApiServer(url, certs, kubeconfig, store, app, loop, directory / "cache")
    stop.set()
    thread.join(timeout=10)
    assert not thread.is_alive(), "the API server did not stop"


@pytest.fixture
def namespace(api: ApiServer) -> Iterator[str]:
    """A fresh namespace per test, so tests sharing the server do not see each other."""
    name = f"t-{uuid.uuid4().hex[:8]}"
    api.kubectl("create", "namespace", name)
    yield name


@pytest.fixture
async def session(api: ApiServer) -> AsyncIterator[aiohttp.ClientSession]:
    """A raw HTTPS client of the member API with the admin token, for requests kubectl and
    kubernetes-asyncio would refuse to send."""
    context = ssl.create_default_context(cafile=str(api.certs.ca_cert))
    connector = aiohttp.TCPConnector(ssl=context)
    headers = {"Authorization": f"Bearer {TOKEN}"}
    async with aiohttp.ClientSession(headers=headers, connector=connector) as client:
        yield client
