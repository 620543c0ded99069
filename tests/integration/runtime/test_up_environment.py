"""`navarch up` honours the documented variables, keeps its files private, and fails honestly."""

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from shared.natsserver import free_port

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[3]


def navarch_env(
    *args: str, home: Path, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """`navarch` with its state directory given by NAVARCH_HOME, as a user sets it."""
    environment = {key: value for key, value in os.environ.items() if key != "KUBECONFIG"}
    environment.update(env or {})
    environment["NAVARCH_HOME"] = str(home)
    return subprocess.run(
        [sys.executable, "-m", "shared.cli.main", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=REPO,
        env=environment,
        check=False,
    )


def processes_of(home: Path) -> list[int]:
    """Every live process started for this home: each one carries NAVARCH_HOME in its env."""
    marker = f"NAVARCH_HOME={home}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            environment = (entry / "environ").read_bytes().split(b"\0")
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if any(item.startswith(marker) for item in environment) and state != "Z":
            found.append(int(entry.name))
    return found


@pytest.fixture(scope="module")
def gateway_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, int]]:
    home = tmp_path_factory.mktemp("gateway-home")
    home.chmod(0o755)
    port = free_port()
    started = navarch_env(
        "up",
        "--detach",
        "--services",
        "gateway",
        home=home,
        env={"NAVARCH_GATEWAY_PORT": str(port)},
    )
    assert started.returncode == 0, started.stdout + started.stderr
    yield home, port
    stopped = navarch_env("down", home=home)
    assert stopped.returncode == 0, stopped.stdout + stopped.stderr


def test_gateway_port_comes_from_the_environment(gateway_hub: tuple[Path, int]) -> None:
    home, port = gateway_hub
    kubeconfig = yaml.safe_load((home / "hub.kubeconfig").read_text())
    assert kubeconfig["clusters"][0]["cluster"]["server"] == f"https://127.0.0.1:{port}"
    version = navarch_env("version", home=home)
    assert version.returncode == 0, version.stdout + version.stderr
    assert "Server Version" in version.stdout


def test_home_and_logs_are_private(gateway_hub: tuple[Path, int]) -> None:
    home, _ = gateway_hub
    assert home.stat().st_mode & 0o777 == 0o700
    logs = sorted((home / "logs").glob("*.log"))
    assert {log.name for log in logs} >= {"up.log", "nats.log", "gateway.log"}
    for path in [*logs, home / "nats-server.conf", home / "nats.credentials", home / "nats.json"]:
        assert path.stat().st_mode & 0o777 == 0o600, path


def test_nats_password_is_not_on_any_command_line(gateway_hub: tuple[Path, int]) -> None:
    home, _ = gateway_hub
    password = yaml.safe_load((home / "nats.credentials").read_text())["password"]
    pids = processes_of(home)
    assert len(pids) >= 3, "the supervisor, nats and the gateway"
    for pid in pids:
        assert password.encode() not in Path(f"/proc/{pid}/cmdline").read_bytes()


@pytest.mark.parametrize("detach", [True, False], ids=["detached", "foreground"])
def test_up_fails_with_the_gateway_error_when_its_port_is_taken(
    tmp_path: Path, detach: bool
) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        args = ["up", "--services", "gateway", "--ready-timeout", "60"]
        result = navarch_env(
            *args,
            *(["--detach"] if detach else []),
            home=tmp_path,
            env={"NAVARCH_GATEWAY_PORT": str(port)},
        )
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "navarch is up" not in output
    assert "gateway exited" in result.stderr, output
    assert "address already in use" in result.stderr.lower(), output
    assert not (tmp_path / "up.json").exists()
    assert not (tmp_path / "hub.kubeconfig").exists()
    assert processes_of(tmp_path) == []


def test_up_that_is_not_ready_in_time_fails_and_stops_everything(tmp_path: Path) -> None:
    unreachable_nats = f"nats://127.0.0.1:{free_port()}"
    result = navarch_env(
        "up",
        "--detach",
        "--services",
        "tests.integration.runtime.sample_service",
        "--ready-timeout",
        "3",
        home=tmp_path,
        env={"NAVARCH_NATS_URL": unreachable_nats},
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "not ready after 3s: tests.integration.runtime.sample_service" in result.stderr
    nats_port = unreachable_nats.rsplit(":", 1)[1]
    assert f"'127.0.0.1', {nats_port})" in result.stderr, "the service's own last lines"
    assert not (tmp_path / "up.json").exists()
    assert processes_of(tmp_path) == []
