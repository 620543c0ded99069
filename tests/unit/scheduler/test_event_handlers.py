"""Events to keys: what each informer event wakes, what it only indexes, what it ignores."""

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from services.scheduler.binding_sync import TemplateKey
from services.scheduler.detecting import Detector
from services.scheduler.event_handlers import (
    BindingIndex,
    EventHandlers,
    bound_template,
    follows_every_cluster_change,
    needs_scheduling,
)
from services.scheduler.failover import TaintSightings
from services.scheduler.fleet_cache import ClusterCache, FleetCache
from services.scheduler.resources import (
    CLUSTERS,
    PROPAGATION_POLICIES,
    RESOURCE_BINDINGS,
    RegistryResolver,
)
from services.scheduler.template_kinds import TemplateKinds
from shared.api.resources import ResourceType
from shared.runtime.clock import utc_now
from shared.runtime.informing import Informer, InformerEvent
from shared.runtime.own_writes import OwnWrites
from shared.runtime.tasks import OwnedTasks
from shared.store.memory import MemoryBackend
from shared.store.objects import ObjectStore

DEPLOYMENTS = RegistryResolver().resolve("apps/v1", "Deployment")
assert DEPLOYMENTS is not None
WEB = TemplateKey("apps/v1", "Deployment", "default", "web")
API = TemplateKey("apps/v1", "Deployment", "default", "api")


def binding(
    key: TemplateKey,
    *,
    clusters: list[str],
    scheduling: str = "Divided",
    scheduled: bool = True,
    revision: int = 1,
    generation: int = 1,
    observed: int = 1,
) -> dict[str, Any]:
    return {
        "kind": "ResourceBinding",
        "metadata": {
            "name": f"{key.name}-deployment",
            "namespace": key.namespace,
            "resourceVersion": str(revision),
            "generation": generation,
        },
        "spec": {
            "resource": {"apiVersion": key.api_version, "kind": key.kind, "name": key.name}
            | {"namespace": key.namespace},
            "replicas": 4,
            "placement": {"replicaScheduling": {"replicaSchedulingType": scheduling}},
            "clusters": [{"name": name, "replicas": 2} for name in clusters],
        },
        "status": {
            "schedulerObservedGeneration": observed,
            "conditions": [{"type": "Scheduled", "status": "True" if scheduled else "False"}],
        },
    }


def cluster(name: str, *, taints: list[dict[str, Any]] | None = None, beat: str = "") -> dict:
    return {
        "metadata": {"name": name, "resourceVersion": "1"},
        "spec": {"taints": taints or []},
        "status": {
            "conditions": [{"type": "Ready", "status": "True", "lastHeartbeatTime": beat}],
        },
    }


def deployment(name: str, *, revision: int = 1, **extra: Any) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": "default", "resourceVersion": str(revision)},
        "spec": {"replicas": 2},
        **extra,
    }


@dataclass
class World:
    """The handlers over real indices, recording what they enqueue."""

    store: ObjectStore
    tasks: OwnedTasks
    own_writes: OwnWrites = field(default_factory=OwnWrites)
    woken: list[TemplateKey] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.resolver = RegistryResolver()
        self.bindings = BindingIndex()
        self.clusters = ClusterCache()
        self.kinds = TemplateKinds(
            resolver=self.resolver,
            declare=self.declare,
            on_template=lambda resource, event: self.handlers.on_template(resource, event),
        )
        self.handlers = EventHandlers(
            detector=Detector(enable_preemption=True, skipped_namespaces=[]),
            kinds=self.kinds,
            clusters=self.clusters,
            fleets=FleetCache(),
            bindings=self.bindings,
            sightings=TaintSightings(utc_now),
            own_writes=self.own_writes,
            resolver=self.resolver,
            enqueue=self.woken.append,
        )

    def declare(self, resource: ResourceType) -> Informer:
        informer = Informer(self.store, resource)
        self.tasks.start(informer.run(), name=f"informer/{resource.plural}")
        return informer

    def take(self) -> set[TemplateKey]:
        woken = set(self.woken)
        self.woken.clear()
        return woken


@pytest.fixture
async def world() -> AsyncIterator[World]:
    tasks = OwnedTasks("test-handlers")
    yield World(store=ObjectStore(MemoryBackend()), tasks=tasks)
    await tasks.stop()


async def test_a_cluster_change_wakes_its_bound_templates_and_the_sensitive_ones(
    world: World,
) -> None:
    world.bindings.index(WEB, binding(WEB, clusters=["a"]))
    world.bindings.index(API, binding(API, clusters=["b"], scheduling="Duplicated"))
    world.handlers.on_cluster(InformerEvent("ADDED", cluster("a")))
    assert world.take() == {WEB, API}
    world.handlers.on_cluster(InformerEvent("MODIFIED", cluster("a", beat="later")))
    assert world.take() == set(), "a heartbeat changes no placement"
    taint = {"key": "cluster.karmada.io/not-ready", "effect": "NoExecute"}
    world.handlers.on_cluster(InformerEvent("MODIFIED", cluster("a", taints=[taint])))
    assert world.take() == {WEB, API}
    world.handlers.on_cluster(InformerEvent("ADDED", cluster("c")))
    assert world.take() == {API}, "only the Duplicated one follows every cluster"
    world.handlers.on_cluster(InformerEvent("DELETED", cluster("c")))
    assert world.take() == {API}
    assert [c.name for c in world.clusters.schedulable] == ["a"]


@pytest.mark.parametrize(
    ("changes", "sensitive"),
    [
        ({}, False),
        ({"scheduling": "Duplicated"}, True),
        ({"scheduled": False}, True),
    ],
)
def test_which_bindings_follow_every_cluster_change(changes: dict, sensitive: bool) -> None:
    assert follows_every_cluster_change(binding(WEB, clusters=["a"], **changes)) is sensitive


async def test_a_bindings_own_echo_is_indexed_but_wakes_nothing(world: World) -> None:
    written = world.own_writes.remember(RESOURCE_BINDINGS, binding(WEB, clusters=["b"], revision=5))
    world.handlers.on_binding(RESOURCE_BINDINGS, InformerEvent("MODIFIED", written))
    assert world.take() == set()
    world.handlers.on_cluster(InformerEvent("ADDED", cluster("b")))
    assert world.take() == {WEB}, "indexed to the cluster it was written to"

    foreign = binding(WEB, clusters=["b"], revision=6, generation=2, observed=1)
    world.handlers.on_binding(RESOURCE_BINDINGS, InformerEvent("MODIFIED", foreign))
    assert world.take() == {WEB}, "a generation the scheduler has not observed"
    observed = binding(WEB, clusters=["b"], revision=7, generation=2, observed=2)
    world.handlers.on_binding(RESOURCE_BINDINGS, InformerEvent("MODIFIED", observed))
    assert world.take() == set(), "status only, already observed"


def test_binding_events_that_need_scheduling() -> None:
    current = binding(WEB, clusters=["a"])
    assert needs_scheduling(InformerEvent("ADDED", current))
    assert needs_scheduling(InformerEvent("DELETED", current))
    assert not needs_scheduling(InformerEvent("MODIFIED", current))
    evicting = {**current, "spec": {**current["spec"], "gracefulEvictionTasks": [{}]}}
    assert needs_scheduling(InformerEvent("MODIFIED", evicting))
    assert bound_template(current) == WEB
    assert bound_template({"spec": {"resource": {"kind": "Deployment"}}}) is None


async def test_template_echoes_and_status_changes_wake_nothing(world: World) -> None:
    old = deployment("web", revision=1)
    world.handlers.on_template(DEPLOYMENTS, InformerEvent("ADDED", old))
    assert world.take() == {WEB}
    status_only = deployment("web", revision=2, status={"readyReplicas": 2})
    world.handlers.on_template(DEPLOYMENTS, InformerEvent("MODIFIED", status_only, old))
    assert world.take() == set()
    own = world.own_writes.remember(DEPLOYMENTS, deployment("web", revision=3, spec={}))
    world.handlers.on_template(DEPLOYMENTS, InformerEvent("MODIFIED", own, status_only))
    assert world.take() == set(), "the echo of the scheduler's own claim write"
    scaled = deployment("web", revision=4, spec={"replicas": 5})
    world.handlers.on_template(DEPLOYMENTS, InformerEvent("MODIFIED", scaled, own))
    assert world.take() == {WEB}


async def test_a_new_policy_watches_its_kind_and_wakes_the_matching_templates(
    world: World,
) -> None:
    await world.store.create(
        DEPLOYMENTS, {**deployment("web"), "metadata": {"name": "web", "namespace": "default"}}
    )
    await world.store.create(
        DEPLOYMENTS, {**deployment("db"), "metadata": {"name": "db", "namespace": "other"}}
    )
    policy = {
        "metadata": {"name": "web", "namespace": "default", "uid": "u"},
        "spec": {"resourceSelectors": [{"apiVersion": "apps/v1", "kind": "Deployment"}]},
    }
    world.handlers.on_policy(PROPAGATION_POLICIES, InformerEvent("ADDED", policy))
    informer = world.kinds.informer(DEPLOYMENTS)
    assert informer is not None, "the selected kind is watched from now on"
    await informer.wait_synced()
    world.take()
    world.handlers.on_policy(PROPAGATION_POLICIES, InformerEvent("MODIFIED", policy))
    assert world.take() == {WEB}, "the policy's namespace only"
    assert world.kinds.watched() == {DEPLOYMENTS: informer}
    assert CLUSTERS not in world.kinds.watched()


async def test_a_crd_teaches_the_resolver_then_watches_the_pending_kind(world: World) -> None:
    crd = {
        "metadata": {"name": "gizmos.handlers.example.dev"},
        "spec": {
            "group": "handlers.example.dev",
            "scope": "Namespaced",
            "names": {"plural": "gizmos", "kind": "Gizmo"},
            "versions": [{"name": "v1", "served": True, "storage": True}],
        },
    }
    world.kinds.want("handlers.example.dev/v1", "Gizmo")
    assert world.kinds.pending == {("handlers.example.dev/v1", "Gizmo")}
    try:
        world.handlers.on_crd(InformerEvent("ADDED", crd))
        assert [r.plural for r in world.kinds.watched()] == ["gizmos"]
        assert not world.kinds.pending
    finally:
        world.handlers.on_crd(InformerEvent("DELETED", crd))
