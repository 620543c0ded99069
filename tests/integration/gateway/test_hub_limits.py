"""The hub as users run it, against hostile bodies and slow clients (issue 13, items 5-7).

A hub of its own (`navarch up --detach`) with a 1 s header timeout: 50 connections that
dribble a request line are closed within it while kubectl keeps working; a billion-laughs
apply and an object over the store's limit get 4xx Statuses, never a 500.
"""

import json
import os
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest

from shared.kubeconfig import load_kubeconfig
from shared.natsserver import free_port
from tests.integration.gateway.conftest import Hub
from tests.integration.kubeapi.slowclients import Endpoint, slowloris

REPO = Path(__file__).resolve().parents[3]
HEADER_TIMEOUT_S = 1.0
LAUGHS = "\n".join(
    ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    + [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)]
)


def _navarch(*args: str, home: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "shared.cli.main", *args, "--home", str(home)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=REPO,
        env=env,
    )


@pytest.fixture(scope="module")
def strict_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    home = tmp_path_factory.mktemp("strict-hub")
    port = free_port()
    env = dict(os.environ, NAVARCH_API_HEADER_TIMEOUT_S=str(HEADER_TIMEOUT_S))
    started = _navarch(
        "up", "--detach", "--services", "gateway", "--gateway-port", str(port), home=home, env=env
    )
    assert started.returncode == 0, started.stdout + started.stderr
    yield Hub(home=home, port=port, cache_dir=tmp_path_factory.mktemp("kubectl-cache"))
    stopped = _navarch("down", home=home, env=env)
    assert stopped.returncode == 0, stopped.stdout + stopped.stderr


async def test_dribbling_clients_are_cut_off_while_kubectl_works(strict_hub: Hub) -> None:
    context = ssl.create_default_context(cafile=str(strict_hub.home / "pki" / "ca.crt"))
    endpoint = Endpoint("127.0.0.1", strict_hub.port, context)
    lasted, codes = await slowloris(endpoint, clients=50, header_timeout_s=HEADER_TIMEOUT_S)
    assert codes == [200] * 5
    assert max(lasted) < HEADER_TIMEOUT_S + 2, sorted(lasted)[-5:]
    assert strict_hub.kubectl("get", "namespaces").returncode == 0


async def _post(
    hub: Hub, body: str, content_type: str, *, resource: str = "configmaps"
) -> tuple[int, dict]:
    context = ssl.create_default_context(cafile=str(hub.home / "pki" / "ca.crt"))
    token = load_kubeconfig(hub.kubeconfig).token
    headers = {"Authorization": f"Bearer {token}", "Content-Type": content_type}
    url = f"https://127.0.0.1:{hub.port}/api/v1/namespaces/default/{resource}"
    async with aiohttp.ClientSession() as session:
        async with session.post(url, data=body, headers=headers, ssl=context) as response:
            return response.status, json.loads(await response.read())


async def test_billion_laughs_is_400_and_quick(strict_hub: Hub) -> None:
    document = f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: laughs\n{LAUGHS}\n"
    started = time.monotonic()
    code, status = await _post(strict_hub, document, "application/yaml")
    assert time.monotonic() - started < 5
    assert (code, status["reason"]) == (400, "BadRequest")
    assert "yaml: document contains excessive aliasing" in status["message"]
    assert strict_hub.kubectl("get", "configmap", "laughs").returncode != 0


async def test_an_object_over_the_store_limit_is_413(strict_hub: Hub) -> None:
    """Events have no size rule of their own; this one is over the store's limit (1.5 MiB,
    or less if the NATS server's max_payload is smaller), under the 3 MiB body limit."""
    body = json.dumps(
        {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"name": "big"},
            "involvedObject": {"kind": "Pod", "name": "p"},
            "message": "x" * 2_000_000,
        }
    )
    code, status = await _post(strict_hub, body, "application/json", resource="events")
    assert (code, status["reason"]) == (413, "RequestEntityTooLarge")
    assert status["message"].startswith('Request entity too large: events "big" is ')
    assert "limit is" in status["message"]
    assert strict_hub.kubectl("get", "event", "big").returncode != 0
