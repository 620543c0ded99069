"""`navarch` fails like kubectl when the hub cannot be reached: one line, exit 1, no traceback."""

import asyncio
import os
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from shared.certs import ensure_serving_certs
from shared.kubeconfig import KubeconfigEntry, write_kubeconfig

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[3]


async def navarch(
    *args: str, env: dict[str, str] | None = None, timeout: float = 60
) -> tuple[int, str, str]:
    """Run the CLI without blocking the loop, so a server in this process can answer it."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in ("KUBECONFIG", "NAVARCH_DEBUG")
    }
    environment.update(env or {})
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "shared.cli.main",
        *args,
        cwd=REPO,
        env=environment,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout)
    assert process.returncode is not None
    return process.returncode, stdout.decode(), stderr.decode()


def kubeconfig_for(path: Path, server: str, *, ca_pem: bytes | None = None) -> Path:
    return write_kubeconfig(path, KubeconfigEntry(server=server, ca_pem=ca_pem, token="t"))


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
async def tls_server_with_another_ca(tmp_path: Path) -> AsyncIterator[int]:
    """A TLS server whose certificate the client's CA did not sign."""
    certs = ensure_serving_certs(tmp_path / "server-pki")

    async def answer(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.close()

    server = await asyncio.start_server(
        answer, "127.0.0.1", 0, ssl=certs.server_context(), ssl_handshake_timeout=5
    )
    yield server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()


@pytest.mark.parametrize("verb", [["get", "pods"], ["delete", "pod", "web"], ["version"]])
async def test_hub_down_is_one_kubectl_line(tmp_path: Path, verb: list[str]) -> None:
    port = closed_port()
    config = kubeconfig_for(tmp_path / "hub.kubeconfig", f"https://127.0.0.1:{port}")
    code, stdout, stderr = await navarch(*verb, "--kubeconfig", str(config))
    expected = (
        f"The connection to the server 127.0.0.1:{port} was refused - "
        "did you specify the right host or port?"
    )
    assert code == 1
    assert stderr.splitlines() == [expected], stderr
    assert "Traceback" not in stdout + stderr


async def test_untrusted_certificate_is_one_line(
    tmp_path: Path, tls_server_with_another_ca: int
) -> None:
    client_ca = ensure_serving_certs(tmp_path / "client-pki").ca_pem
    server = f"https://127.0.0.1:{tls_server_with_another_ca}"
    config = kubeconfig_for(tmp_path / "hub.kubeconfig", server, ca_pem=client_ca)
    code, stdout, stderr = await navarch("get", "pods", "--kubeconfig", str(config))
    assert code == 1
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith(
        "Unable to connect to the server: tls: failed to verify certificate: x509: "
    ), lines[0]
    assert stdout == ""


async def test_a_bug_shows_its_traceback_only_with_navarch_debug(tmp_path: Path) -> None:
    broken = tmp_path / "broken.kubeconfig"
    broken.write_text("- this is a list, not a kubeconfig\n")
    code, _, stderr = await navarch("get", "pods", "--kubeconfig", str(broken))
    assert code == 1
    assert len(stderr.splitlines()) == 1 and "Traceback" not in stderr, stderr
    assert "NAVARCH_DEBUG=1" in stderr
    code, _, stderr = await navarch(
        "get", "pods", "--kubeconfig", str(broken), env={"NAVARCH_DEBUG": "1"}
    )
    assert code == 1
    assert "Traceback (most recent call last)" in stderr
