"""Each fault through kubernetes-asyncio, as the hub's member clients will meet it.

Two clusters share one server: every test also checks that `steady` is unaffected.
"""

import asyncio
import json
import ssl
import time
from collections.abc import AsyncIterator, Iterator

import aiohttp
import pytest
from kubernetes_asyncio import client, watch
from kubernetes_asyncio.client.rest import ApiException
from simserving import RunningSimulator, fleet_document, running_simulator

FAULTY, STEADY = "faulty", "steady"


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSimulator]:
    document = fleet_document({"name": FAULTY}, {"name": STEADY})
    with running_simulator(tmp_path_factory.mktemp("sim-faults"), document) as running:
        yield running


@pytest.fixture
async def core(sim: RunningSimulator) -> AsyncIterator[dict[str, client.CoreV1Api]]:
    """A client per cluster; the faulty cluster is healed after each test."""
    async with (
        client.ApiClient(sim.configuration(FAULTY)) as faulty,
        client.ApiClient(sim.configuration(STEADY)) as steady,
    ):
        yield {FAULTY: client.CoreV1Api(faulty), STEADY: client.CoreV1Api(steady)}
    await sim.afault(FAULTY, "up")


def configmap(name: str, **labels: str) -> client.V1ConfigMap:
    metadata = client.V1ObjectMeta(name=name, labels=labels or None)
    return client.V1ConfigMap(metadata=metadata, data={"k": "v"})


async def names(api: client.CoreV1Api) -> list[str]:
    return [item.metadata.name for item in (await api.list_namespaced_config_map("default")).items]


async def test_down_refuses_then_comes_back_with_its_state(
    sim: RunningSimulator, core: dict[str, client.CoreV1Api]
) -> None:
    await core[FAULTY].create_namespaced_config_map("default", configmap("kept"))
    state = await sim.afault(FAULTY, "down")
    assert state.down and not sim.server.fleet[FAULTY].running
    with pytest.raises(aiohttp.ClientConnectionError):
        await core[FAULTY].list_namespace()
    assert "default" in [ns.metadata.name for ns in (await core[STEADY].list_namespace()).items]
    readyz = sim.api(FAULTY).kubectl("get", "--raw", "/readyz", check=False)
    assert readyz.returncode != 0
    await sim.afault(FAULTY, "up")
    assert sim.server.fleet[FAULTY].running
    assert "kept" in await names(core[FAULTY])


async def test_partition_hangs_until_the_client_times_out(
    sim: RunningSimulator, core: dict[str, client.CoreV1Api]
) -> None:
    await sim.afault(FAULTY, "partition")
    started = time.monotonic()
    with pytest.raises(asyncio.TimeoutError):
        await core[FAULTY].list_namespace(_request_timeout=1)
    assert time.monotonic() - started >= 0.9
    await core[STEADY].list_namespace(_request_timeout=1)
    await sim.afault(FAULTY, "up")
    await core[FAULTY].list_namespace(_request_timeout=2)


async def test_latency_slows_every_request(
    sim: RunningSimulator, core: dict[str, client.CoreV1Api]
) -> None:
    await core[FAULTY].list_namespace()
    await sim.afault(FAULTY, "latency", 300)
    started = time.monotonic()
    await core[FAULTY].list_namespace()
    slow = time.monotonic() - started
    started = time.monotonic()
    await core[STEADY].list_namespace()
    fast = time.monotonic() - started
    assert slow >= 0.3 and fast < 0.25, (slow, fast)


async def test_errors_answer_a_share_of_requests_with_500(
    sim: RunningSimulator, core: dict[str, client.CoreV1Api]
) -> None:
    await sim.afault(FAULTY, "errors", 0.5)
    failures, successes = [], 0
    for _ in range(40):
        try:
            await core[FAULTY].list_namespace()
            successes += 1
        except ApiException as error:
            failures.append(error)
        await core[STEADY].list_namespace()
    assert failures and successes, (len(failures), successes)
    status = json.loads(failures[0].body)
    assert failures[0].status == 500
    assert status["kind"] == "Status" and status["reason"] == "InternalError"
    assert status["code"] == 500


async def test_drop_watches_ends_open_streams(
    sim: RunningSimulator, core: dict[str, client.CoreV1Api]
) -> None:
    for api in core.values():
        await api.create_namespaced_config_map("default", configmap("watched", test="drop"))

    async def first_then_rest(api: client.CoreV1Api, received: asyncio.Queue[str]) -> int:
        count = 0
        async with watch.Watch() as stream:
            async for event in stream.stream(
                api.list_namespaced_config_map,
                "default",
                label_selector="test=drop",
                timeout_seconds=20,
            ):
                count += 1
                await received.put(event["object"].metadata.name)
        return count

    queues: dict[str, asyncio.Queue[str]] = {FAULTY: asyncio.Queue(), STEADY: asyncio.Queue()}
    async with asyncio.TaskGroup() as group:
        watchers = {
            name: group.create_task(first_then_rest(core[name], queues[name])) for name in core
        }
        for name in core:
            assert await asyncio.wait_for(queues[name].get(), 5) == "watched"
        started = time.monotonic()
        await sim.afault(FAULTY, "drop-watches")
        await asyncio.wait_for(asyncio.shield(watchers[FAULTY]), 5)
        assert time.monotonic() - started < 5
        assert not watchers[STEADY].done(), "the other cluster's watch stays open"
        await core[STEADY].create_namespaced_config_map(
            "default", configmap("after-drop", test="drop")
        )
        assert await asyncio.wait_for(queues[STEADY].get(), 5) == "after-drop"
        watchers[STEADY].cancel()
    assert (await core[FAULTY].list_namespace()).items, "the cluster still answers"


async def test_expire_gives_410_from_an_old_revision(
    sim: RunningSimulator, core: dict[str, client.CoreV1Api]
) -> None:
    old = {
        name: (await api.list_namespaced_config_map("default")).metadata.resource_version
        for name, api in core.items()
    }
    for api in core.values():
        await api.create_namespaced_config_map("default", configmap("before-expiry"))
    await sim.afault(FAULTY, "expire")
    with pytest.raises(ApiException) as gone:
        async with watch.Watch() as stream:
            async for _ in stream.stream(
                core[FAULTY].list_namespaced_config_map,
                "default",
                resource_version=old[FAULTY],
                timeout_seconds=5,
            ):
                pass
    assert gone.value.status == 410
    relisted = await core[FAULTY].list_namespaced_config_map("default")
    assert "before-expiry" in [item.metadata.name for item in relisted.items]
    async with watch.Watch() as stream:
        async for event in stream.stream(
            core[STEADY].list_namespaced_config_map,
            "default",
            resource_version=old[STEADY],
            timeout_seconds=5,
        ):
            assert event["object"].metadata.name == "before-expiry"
            break


async def test_admin_api_needs_its_token(sim: RunningSimulator) -> None:
    context = ssl.create_default_context(cafile=str(sim.server.certs.ca_cert))
    base = sim.server.admin_url
    admin = {"Authorization": f"Bearer {sim.server.admin_token}"}
    member = {"Authorization": f"Bearer {sim.server.tokens[FAULTY]}"}
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{base}/clusters", headers=member, ssl=context) as response:
            assert response.status == 401
        async with session.get(f"{base}/clusters", headers=admin, ssl=context) as response:
            listed = (await response.json())["clusters"]
        assert [row["name"] for row in listed] == [FAULTY, STEADY]
        url = f"{base}/clusters/{FAULTY}/faults"
        for body, status in (
            ({"action": "latency"}, 400),
            ({"action": "errors", "value": 2}, 400),
            ({"action": "melt"}, 400),
            ({"action": "latency", "value": 50}, 200),
        ):
            async with session.post(url, json=body, headers=admin, ssl=context) as response:
                assert response.status == status, (body, await response.text())
        async with session.get(url, headers=admin, ssl=context) as response:
            assert (await response.json())["faultLabels"] == ["latency=50ms"]
        async with session.post(
            f"{base}/clusters/nope/faults", json={"action": "up"}, headers=admin, ssl=context
        ) as response:
            assert response.status == 404
        async with session.post(url, json={"action": "up"}, headers=admin, ssl=context) as r:
            assert (await r.json())["faultLabels"] == []
