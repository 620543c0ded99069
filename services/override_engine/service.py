"""The override-engine service: bindings in, member objects, Works and status out.

Wiring only, on the controller kit. Three hub-side reconcilers and one queue per member:
- `override-bindings` (`bindings`): finalizer, and which members must look again;
- `override-clusters` (`clusters`): one member session per Karmada Cluster, through the
  shared registry and the Cluster → AttachedCluster → Secret chain; clean-up on detach;
- `override-status` (`statuses`): aggregatedStatus on the binding, sums on the template;
- `member/<cluster>` (`members`): render + server-side apply, drift repair and removal,
  calling back through the `Hub` (`hub`) for decisions (`planning`) and Work writes.

Everything is rebuilt from the store and the members' lists on start: nothing is written
unless what the store or a member holds differs from what it should be. No reconcile runs
before every hub cache it reads has listed (an empty cache is not an empty store), and then
every binding a Work names is looked at: a Work whose binding is gone is removed from its
member and the hub like any other.
"""

from services.override_engine.bindings import BindingReconciler
from services.override_engine.caches import HubCaches
from services.override_engine.clusters import ClusterSessions
from services.override_engine.event_handlers import HubEvents
from services.override_engine.hub import EngineHub
from services.override_engine.members import MemberSession
from services.override_engine.planning import Planner
from services.override_engine.settings import OverrideEngineSettings
from services.override_engine.statuses import StatusAggregation
from services.override_engine.work_index import WorkIndex
from services.override_engine.works import BindingKey
from shared.members.sessions import MemberSessions
from shared.runtime.clock import WallClock, utc_now
from shared.runtime.controllers import Controllers, ControllerService
from shared.runtime.reconciling import ReconcileRunner
from shared.runtime.service import ServiceContext

DRAIN_TIMEOUT_S = 2.0


class OverrideEngine(ControllerService):
    name = "override-engine"

    def __init__(
        self, settings: OverrideEngineSettings | None = None, *, clock: WallClock = utc_now
    ) -> None:
        super().__init__(clock=clock)
        self.settings = settings or OverrideEngineSettings()
        self._index = WorkIndex()
        self._clusters: ClusterSessions | None = None
        self._binding_runner: ReconcileRunner[BindingKey] | None = None

    @property
    def sessions(self) -> MemberSessions[MemberSession]:
        """The member sessions by cluster name."""
        assert self._clusters is not None, "service not started"
        return self._clusters.sessions

    async def declare(self, controllers: Controllers) -> None:
        settings, index = self.settings, self._index
        binding_runner: ReconcileRunner[BindingKey]
        status_runner: ReconcileRunner[BindingKey]
        events: HubEvents
        clusters: ClusterSessions
        statuses: StatusAggregation

        def enqueue_binding(key: BindingKey) -> None:
            binding_runner.enqueue(key)

        def status_later(key: BindingKey) -> None:
            statuses.later(key)

        caches = HubCaches(
            controllers,
            on_template=lambda resource, event: events.template_changed(resource, event),
            resume=lambda binding, cluster: clusters.resume(binding, cluster),
        )
        planner = Planner(caches)
        hub = EngineHub(
            caches=caches,
            index=index,
            planner=planner,
            writer=controllers.writer,
            bus=controllers.context.bus,
            clock=self.clock,
            enqueue_binding=enqueue_binding,
            status_later=status_later,
        )
        clusters = self._clusters = ClusterSessions(
            caches=caches, index=index, planner=planner, hub=hub, settings=settings
        )
        statuses = StatusAggregation(
            caches=caches,
            sessions=clusters.sessions,
            writer=controllers.writer,
            settings=settings,
            enqueue=lambda key, after: status_runner.enqueue(key, after=after),
        )
        bindings = BindingReconciler(
            caches=caches,
            index=index,
            sessions=clusters.sessions,
            hub=hub,
            writer=controllers.writer,
            status_later=status_later,
        )
        events = HubEvents(
            caches=caches,
            index=index,
            planner=planner,
            own_writes=controllers.own_writes,
            enqueue_binding=enqueue_binding,
            status_later=status_later,
        )
        workers = settings.hub_workers
        binding_runner = controllers.reconciler(
            "override-bindings", bindings.reconcile, workers=workers
        )
        cluster_runner = controllers.reconciler("override-clusters", clusters.reconcile, workers=2)
        status_runner = controllers.reconciler(
            "override-status", statuses.reconcile, workers=workers
        )
        self._binding_runner = binding_runner
        for kind, informer in caches.bindings.items():
            controllers.wake(informer, binding_runner, events.binding_keys(kind))
        caches.works.add_handler(events.work_changed)
        controllers.wake(caches.clusters, cluster_runner, lambda event: (event.key[1],))
        controllers.wake(caches.attached, cluster_runner, events.every_cluster)
        controllers.wake(caches.secrets, cluster_runner, events.clusters_of_secret)
        for informer in caches.policies:
            informer.add_handler(events.policy_changed)

    async def start(self, context: ServiceContext) -> None:
        """The kit starts the reconcilers once every hub cache listed; then every binding a
        Work names is looked at (the Work may be all that is left of it)."""
        await super().start(context)
        assert self._binding_runner is not None
        for key in self._index.bindings():
            self._binding_runner.enqueue(key)

    async def stop(self) -> None:
        if self.controllers is not None:
            await self.controllers.stop(timeout=DRAIN_TIMEOUT_S)
        if self._clusters is not None:
            await self._clusters.end_all()
