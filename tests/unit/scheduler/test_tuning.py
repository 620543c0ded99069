"""Example 13's knobs: parallelism applied (capped), the rest reported as ignored."""

import asyncio

from services.scheduler.resources import RegistryResolver
from services.scheduler.tuning import (
    ConcurrencyLimit,
    config_with_status,
    knob_status,
    read_knobs,
    requested_parallelism,
)
from shared.runtime.informing import InformerEvent

CONFIG = {
    "metadata": {"name": "performance-tuning", "generation": 2},
    "spec": {
        "scheduler": {"parallelism": 10, "cacheSyncTimeout": "30s", "percentOfNodesToScore": 50},
        "estimator": {"timeout": "30s"},
    },
}


def test_parallelism_applies_and_other_knobs_are_ignored() -> None:
    knobs = read_knobs(CONFIG, max_parallelism=64)
    assert knobs.parallelism == 10
    assert knobs.ignored == [
        "estimator.timeout",
        "scheduler.cacheSyncTimeout",
        "scheduler.percentOfNodesToScore",
    ]
    status = knob_status(knobs, config=CONFIG, active="performance-tuning", requested=10, now="T")
    [condition] = status["conditions"]
    assert (condition["status"], condition["reason"], condition["observedGeneration"]) == (
        "True",
        "PartiallyApplied",
        2,
    )
    assert "ignored (no meaning in Navarch's scheduler): estimator.timeout" in condition["message"]


def test_parallelism_is_capped_and_invalid_values_are_reported() -> None:
    big = {"metadata": {"name": "x"}, "spec": {"scheduler": {"parallelism": 500}}}
    knobs = read_knobs(big, max_parallelism=64)
    assert knobs.parallelism == 64
    message = knob_status(knobs, config=big, active="x", requested=500, now="T")["conditions"][0][
        "message"
    ]
    assert "capped from 500" in message
    bad = read_knobs({"spec": {"scheduler": {"parallelism": "many"}}}, max_parallelism=64)
    assert bad.parallelism is None and bad.invalid == ["scheduler.parallelism='many'"]


def test_superseded_configs_say_which_one_is_active() -> None:
    status = knob_status(None, config=CONFIG, active="a-first", requested=None, now="T")
    assert status["conditions"][0]["reason"] == "Superseded"
    assert "a-first" in status["conditions"][0]["message"]


async def test_concurrency_limit_follows_its_new_size() -> None:
    limit = ConcurrencyLimit(1)
    running = 0
    peak = 0

    async def work() -> None:
        nonlocal running, peak
        async with limit:
            running += 1
            peak = max(peak, running)
            await asyncio.sleep(0.01)
            running -= 1

    await asyncio.gather(*(work() for _ in range(6)))
    assert peak == 1
    await limit.set_limit(3)
    await asyncio.gather(*(work() for _ in range(6)))
    assert peak == 3


CRD = {
    "metadata": {"name": "widgets.example.dev"},
    "spec": {
        "group": "example.dev",
        "scope": "Cluster",
        "names": {"plural": "widgets", "kind": "Widget"},
        "versions": [
            {"name": "v1", "served": True, "storage": True, "subresources": {"status": {}}},
            {"name": "v1alpha1", "served": False, "storage": False},
        ],
    },
}


def test_registry_resolves_builtins_and_crd_kinds_until_the_crd_is_deleted() -> None:
    resolver = RegistryResolver()
    deployments = resolver.resolve("apps/v1", "Deployment")
    assert deployments is not None and deployments.plural == "deployments"
    assert resolver.resolve("example.dev/v1", "Widget") is None
    resolver.observe_crd(InformerEvent("ADDED", CRD))
    widgets = resolver.resolve("example.dev/v1", "Widget")
    assert widgets is not None
    assert (widgets.plural, widgets.namespaced, widgets.status_subresource) == (
        "widgets",
        False,
        True,
    )
    assert resolver.resolve("example.dev/v1alpha1", "Widget") is None
    resolver.observe_crd(InformerEvent("DELETED", CRD))
    assert resolver.resolve("example.dev/v1", "Widget") is None
    resolver.observe_crd(InformerEvent("ADDED", {"metadata": {"name": "bad"}, "spec": {}}))


def test_only_the_active_config_applies_and_a_reported_status_is_not_rewritten() -> None:
    active = config_with_status(CONFIG, active="performance-tuning", max_parallelism=4, now="T")
    assert active is not None
    assert active["status"]["appliedKnobs"] == {"scheduler.parallelism": 4}
    assert "capped from 10" in active["status"]["conditions"][0]["message"]
    assert (
        config_with_status(active, active="performance-tuning", max_parallelism=4, now="U") is None
    )
    other = config_with_status(CONFIG, active="another", max_parallelism=4, now="T")
    assert other is not None
    assert other["status"]["conditions"][0]["reason"] == "Superseded"
    assert requested_parallelism(CONFIG) == 10
    assert requested_parallelism({"spec": {"scheduler": {"parallelism": "ten"}}}) is None
