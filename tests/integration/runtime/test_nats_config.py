"""The embedded nats-server keeps its credentials in a private config file, never on `ps`."""

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from shared.bus import Bus
from shared.natsserver import MAX_PAYLOAD_BYTES, NatsCredentials, NatsServer

pytestmark = pytest.mark.integration


@pytest.fixture
def protected_server(tmp_path: Path) -> Iterator[NatsServer]:
    credentials = NatsCredentials.load_or_create(tmp_path / "nats.credentials")
    server = NatsServer(
        store_dir=tmp_path / "jetstream",
        credentials=credentials,
        config_file=tmp_path / "nats-server.conf",
        log_file=tmp_path / "logs" / "nats.log",
    )
    server.start()
    yield server
    server.stop()


def server_info(server: NatsServer) -> dict[str, object]:
    with socket.create_connection((server.host, server.port), timeout=2) as sock:
        line = sock.recv(65536).split(b"\r\n", 1)[0]
    assert line.startswith(b"INFO ")
    return json.loads(line[len(b"INFO ") :])


def test_the_password_is_not_on_the_command_line(protected_server: NatsServer) -> None:
    assert protected_server.process is not None and protected_server.credentials is not None
    cmdline = Path(f"/proc/{protected_server.process.pid}/cmdline").read_bytes()
    assert protected_server.credentials.password.encode() not in cmdline
    assert b"--pass" not in cmdline and b"--user" not in cmdline
    assert str(protected_server.config_file).encode() in cmdline


def test_config_file_and_log_are_private(protected_server: NatsServer) -> None:
    assert protected_server.config_file.stat().st_mode & 0o777 == 0o600
    assert protected_server.log_file is not None
    assert protected_server.log_file.stat().st_mode & 0o777 == 0o600


def test_a_wider_config_file_is_made_private_again(tmp_path: Path) -> None:
    config = tmp_path / "nats-server.conf"
    config.write_text("# left readable by an older version\n")
    config.chmod(0o644)
    server = NatsServer(
        store_dir=tmp_path / "jetstream",
        credentials=NatsCredentials(user="navarch", password="secret"),
        config_file=config,
    )
    server.write_config()
    assert config.stat().st_mode & 0o777 == 0o600
    assert '"secret"' in config.read_text()


def test_server_requires_the_password_and_allows_8mb_payloads(
    protected_server: NatsServer,
) -> None:
    info = server_info(protected_server)
    assert info["auth_required"] is True
    assert info["max_payload"] == MAX_PAYLOAD_BYTES == 8 * 1024 * 1024
    assert info["jetstream"] is True


async def test_clients_connect_with_the_credentials(protected_server: NatsServer) -> None:
    bus = await Bus.connect(protected_server.url, name="config-file-test")
    try:
        assert bus.connected
        assert bus.client.max_payload == MAX_PAYLOAD_BYTES
    finally:
        await bus.close()


def test_session_server_without_credentials_still_runs(nats_server: NatsServer) -> None:
    assert server_info(nats_server)["max_payload"] == MAX_PAYLOAD_BYTES
    assert nats_server.config_file.stat().st_mode & 0o777 == 0o600
