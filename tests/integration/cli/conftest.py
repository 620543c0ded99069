"""The articles' fleet as users run it (`navarch up --detach --sim examples/seed-fleet.yaml`),
shared by the CLI tests of this package; started with the e2e tier's helpers."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import REPO, Fleet, down, up, wait_until

EXAMPLES = REPO / "examples"
SEED_CLUSTERS = 11


def ready_clusters(fleet: Fleet) -> set[str]:
    listing = fleet.json("get", "clusters")
    return {
        item["metadata"]["name"]
        for item in listing["items"]
        if any(
            c["type"] == "Ready" and c["status"] == "True"
            for c in (item.get("status") or {}).get("conditions", [])
        )
    }


@pytest.fixture(scope="package")
def seed_fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fleet]:
    home: Path = tmp_path_factory.mktemp("cli") / "hub"
    fleet = up(home, "--sim", str(EXAMPLES / "seed-fleet.yaml"))
    try:
        wait_until(lambda: len(ready_clusters(fleet)) == SEED_CLUSTERS, timeout=60)
        yield fleet
    finally:
        down(fleet)
