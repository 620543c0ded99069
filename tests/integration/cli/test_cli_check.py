"""`navarch check` on the seed fleet: 0 when healthy, 1 naming a member taken down."""

import json

import pytest

from tests.e2e.conftest import Fleet, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]


def test_check_passes_then_names_the_member_that_is_down(seed_fleet: Fleet) -> None:
    healthy = seed_fleet.navarch("check")
    assert healthy.returncode == 0, healthy.stdout + healthy.stderr
    checks = {line.split()[0]: line.split()[1] for line in healthy.stdout.splitlines()[1:5]}
    assert checks == {"control-plane": "OK", "members": "OK", "bindings": "OK", "events": "INFO"}

    broken = seed_fleet.navarch("sim", "fault", "cluster-dr", "down")
    assert broken.returncode == 0, broken.stderr
    try:
        wait_until(lambda: seed_fleet.navarch("check").returncode == 1, timeout=60)
        failing = seed_fleet.navarch("check")
        assert "  members: cluster-dr: " in failing.stdout
        assert failing.stderr.strip() == "error: the fleet is not healthy: members"
        document = json.loads(seed_fleet.navarch("check", "-o", "json").stdout)
        assert document["healthy"] is False
    finally:
        assert seed_fleet.navarch("sim", "fault", "cluster-dr", "up").returncode == 0
    wait_until(lambda: seed_fleet.navarch("check").returncode == 0, timeout=60)
