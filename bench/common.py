"""What every bench shares: percentiles, a private nats-server, and the JSON result line."""

import json
import platform
import statistics
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from tempfile import TemporaryDirectory

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from shared.natsserver import NatsServer

RESULTS = Path(__file__).resolve().parent / "results"
REPO = Path(__file__).resolve().parents[1]


def navarch(*args: str, home: Path) -> None:
    """Run the CLI against a bench's private hub home (`up --detach`, `down`)."""
    subprocess.run(
        [sys.executable, "-m", "shared.cli.main", *args, "--home", str(home)],
        check=True,
        cwd=REPO,
        capture_output=True,
        timeout=300,
    )


def percentile(samples: list[float], fraction: float) -> float:
    if not samples:
        return float("nan")
    ordered = sorted(samples)
    index = min(round(fraction * (len(ordered) - 1)), len(ordered) - 1)
    return ordered[index]


def mean(samples: list[float]) -> float:
    return statistics.fmean(samples) if samples else float("nan")


@contextmanager
def private_nats() -> Iterator[NatsServer]:
    with TemporaryDirectory(prefix="navarch-bench-") as directory:
        server = NatsServer(store_dir=Path(directory) / "nats")
        server.start()
        try:
            yield server
        finally:
            server.stop()


def machine() -> str:
    return (
        f"{platform.machine()} {psutil.cpu_count()} cpu {psutil.virtual_memory().total >> 30} GiB"
    )


def report(bench: str, figures: dict[str, float | int | str]) -> None:
    """Write bench/results/<bench>.json and print the same flat object as the last line."""
    rounded = {
        key: round(value, 2) if isinstance(value, float) else value
        for key, value in figures.items()
    }
    rounded["machine"] = machine()
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{bench}.json").write_text(json.dumps(rounded, indent=2) + "\n")
    print(json.dumps(rounded))
