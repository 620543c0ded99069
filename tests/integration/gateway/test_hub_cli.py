"""The `navarch` CLI against a running hub: apply, get, describe, delete, exit codes."""

import json
import os
import signal

import pytest

from shared.cli.supervising import read_state
from tests.helpers import eventually
from tests.integration.gateway.conftest import EXAMPLES, Hub

pytestmark = pytest.mark.integration


def test_apply_get_describe_delete_round_trip(hub: Hub) -> None:
    applied = hub.navarch("apply", "-f", str(EXAMPLES / "01-nginx-weighted.yaml"))
    assert applied.returncode == 0, applied.stderr
    assert "deployment.apps/nginx" in applied.stdout
    assert "propagationpolicy.policy.karmada.io/nginx-propagation" in applied.stdout
    again = hub.navarch("apply", "-f", str(EXAMPLES / "01-nginx-weighted.yaml"))
    assert again.returncode == 0
    table = hub.navarch("get", "deploy")
    header = table.stdout.splitlines()[0].split()
    assert header == ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"]
    assert any(line.startswith("nginx ") for line in table.stdout.splitlines())
    policy = json.loads(hub.navarch("get", "pp", "nginx-propagation", "-o", "json").stdout)
    assert policy["spec"]["resourceSelectors"][0]["name"] == "nginx"
    described = hub.navarch("describe", "propagationpolicy", "nginx-propagation")
    assert described.returncode == 0 and "Kind:         PropagationPolicy" in described.stdout
    names = hub.navarch("get", "pp", "-A", "-o", "name").stdout.split()
    assert "propagationpolicy.policy.karmada.io/nginx-propagation" in names
    deleted = hub.navarch("delete", "-f", str(EXAMPLES / "01-nginx-weighted.yaml"))
    assert deleted.returncode == 0, deleted.stderr
    assert 'deployment.apps "nginx" deleted' in deleted.stdout


def test_errors_read_like_kubectl(hub: Hub) -> None:
    missing = hub.navarch("get", "deploy", "does-not-exist")
    assert missing.returncode == 1
    assert missing.stderr.strip() == (
        'Error from server (NotFound): deployments.apps "does-not-exist" not found'
    )
    unknown = hub.navarch("get", "nosuchkind")
    assert unknown.returncode == 1
    assert 'the server doesn\'t have a resource type "nosuchkind"' in unknown.stderr
    invalid = hub.navarch(
        "apply",
        "-f",
        "-",
        stdin="apiVersion: cluster.kurator.dev/v1alpha1\nkind: AttachedCluster\n"
        "metadata: {name: x, namespace: default}\nspec: {}\n",
    )
    assert invalid.returncode == 1
    assert "Error from server (Invalid)" in invalid.stderr and "spec.kubeconfig" in invalid.stderr
    assert "No resources found" in hub.navarch("get", "fleets", "-n", "empty").stderr


def test_read_your_writes_and_secrets_stay_hidden(hub: Hub) -> None:
    secret = (
        "apiVersion: v1\nkind: Secret\nmetadata: {name: kc, namespace: default}\n"
        "stringData: {value: 'apiVersion: v1'}\n"
    )
    created = hub.navarch("apply", "-f", "-", stdin=secret)
    assert created.returncode == 0, created.stderr
    described = hub.navarch("describe", "secret", "kc")
    assert "value:  14 bytes" in described.stdout
    assert "apiVersion: v1'" not in described.stdout


def test_killed_gateway_restarts_and_serves_what_was_stored(hub: Hub) -> None:
    hub.navarch("apply", "-f", str(EXAMPLES / "06-fleet-placement.yaml"))
    state = read_state(hub.home)
    assert state is not None
    pid = next(p["pid"] for p in state["processes"] if p["name"] == "gateway")
    os.kill(pid, signal.SIGKILL)

    def restarted_and_serving() -> bool:
        current = read_state(hub.home)
        if current is None:
            return False
        now = next(p["pid"] for p in current["processes"] if p["name"] == "gateway")
        return (
            now != pid
            and hub.navarch("get", "fleet", "global-production", "-n", "kurator-system").returncode
            == 0
        )

    import asyncio

    asyncio.run(eventually(restarted_and_serving, timeout=30))
