"""The scheduler service: its settings, and what it declares to the controller kit.

Three runners: `scheduler-tuning` (the KarmadaConfig knobs, applied once before any
scheduling), `scheduler-policy-ids` (a policy's missing permanent id) and `scheduler`
(one key per resource template, `max_parallelism` workers gated by the parallelism limit).
Informers of the template kinds are declared as policies and bindings name them, while
the service runs.
"""

import logging
from functools import partial

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.scheduler.deciding import SchedulingOptions
from services.scheduler.detecting import POLICY_SOURCES, Detector, PolicySource
from services.scheduler.permanent_ids import PolicyIds, PolicyKey
from services.scheduler.resources import (
    CLUSTER_RESOURCE_BINDINGS,
    CLUSTERS,
    CUSTOM_RESOURCE_DEFINITIONS,
    FLEETS,
    KARMADA_CONFIGS,
    RESOURCE_BINDINGS,
    RegistryResolver,
    ResourceResolver,
)
from services.scheduler.scheduling import Scheduler
from services.scheduler.tuning import ConcurrencyLimit, TuningReconciler
from shared.events.recording import EventRecorder
from shared.placement.matching import DEFAULT_SKIPPED_NAMESPACES
from shared.runtime.clock import WallClock, format_timestamp, utc_now
from shared.runtime.controllers import Controllers, ControllerService
from shared.runtime.informing import InformerEvent

log = logging.getLogger(__name__)

TUNING_KEY = "karmadaconfigs"


class SchedulerSettings(BaseSettings):
    """`NAVARCH_SCHEDULER_*`; every default documented here."""

    model_config = SettingsConfigDict(env_prefix="NAVARCH_SCHEDULER_", extra="ignore")

    parallelism: int = Field(
        default=16,
        ge=1,
        description="Bindings scheduled concurrently; a KarmadaConfig's "
        "spec.scheduler.parallelism overrides it",
    )
    max_parallelism: int = Field(
        default=64, ge=1, description="Reconcile workers started: the cap on parallelism"
    )
    default_toleration_seconds: float = Field(
        default=0.0,
        ge=0,
        description="Grace after a NoExecute taint the placement does not tolerate before "
        "eviction (Karmada evicts at once; the fleet-manager's detection already waited)",
    )
    graceful_eviction_timeout_seconds: float = Field(
        default=600.0,
        gt=0,
        description="Karmada --graceful-eviction-timeout: an eviction task's lifetime "
        "unless its gracePeriodSeconds is set",
    )
    enable_preemption: bool = Field(
        default=True, description="Honour policies with preemption: Always"
    )
    skipped_namespaces: list[str] = Field(
        default=list(DEFAULT_SKIPPED_NAMESPACES),
        description="Regexes of namespaces never propagated "
        "(Karmada --skipped-propagating-namespaces)",
    )
    empty_workload_propagation: bool = Field(
        default=False,
        description="Karmada --enable-empty-workload-propagation: keep zero-replica targets",
    )


class SchedulerService(ControllerService):
    name = "scheduler"

    def __init__(
        self,
        *,
        resolver: ResourceResolver | None = None,
        settings: SchedulerSettings | None = None,
        clock: WallClock = utc_now,
    ) -> None:
        super().__init__(clock=clock)
        self._resolver = resolver or RegistryResolver()
        self.settings = settings or SchedulerSettings()
        self.scheduler: Scheduler | None = None
        self.events: EventRecorder | None = None

    async def declare(self, controllers: Controllers) -> None:
        settings = self.settings
        parallelism = min(settings.parallelism, settings.max_parallelism)
        limit = ConcurrencyLimit(parallelism)
        self.events = EventRecorder(
            controllers.context.store, component=self.name, clock=self.clock
        )
        self.events.start()
        configs = controllers.informer(KARMADA_CONFIGS)
        tuning = TuningReconciler(
            writer=controllers.writer,
            informer=configs,
            limit=limit,
            default_parallelism=parallelism,
            max_parallelism=settings.max_parallelism,
            clock=lambda: format_timestamp(self.clock()),
        )
        tuning_runner = controllers.reconciler("scheduler-tuning", tuning.reconcile, workers=1)
        controllers.wake(configs, tuning_runner, lambda _event: (TUNING_KEY,), skip_own_writes=True)
        tuning_runner.enqueue(TUNING_KEY)
        crds = controllers.informer(CUSTOM_RESOURCE_DEFINITIONS)
        clusters = controllers.informer(CLUSTERS)
        fleets = controllers.informer(FLEETS)
        policies = {source: controllers.informer(source) for source in POLICY_SOURCES}
        policy_ids = PolicyIds(controllers=controllers, informers=policies)
        ids_runner = controllers.reconciler("scheduler-policy-ids", policy_ids.reconcile, workers=2)

        def unlabelled(source: PolicySource, event: InformerEvent) -> list[PolicyKey]:
            if event.type == "DELETED" or not policy_ids.needs_id(source, event.object):
                return []
            return [(source, *event.key)]

        for source, informer in policies.items():
            controllers.wake(informer, ids_runner, partial(unlabelled, source))
        bindings = {
            binding_type: controllers.informer(binding_type)
            for binding_type in (RESOURCE_BINDINGS, CLUSTER_RESOURCE_BINDINGS)
        }
        self.scheduler = Scheduler(
            controllers=controllers,
            binding_informers=bindings,
            resolver=self._resolver,
            detector=Detector(
                enable_preemption=settings.enable_preemption,
                skipped_namespaces=settings.skipped_namespaces,
            ),
            limit=limit,
            policy_ids=policy_ids,
            options=SchedulingOptions(
                default_toleration_seconds=settings.default_toleration_seconds,
                graceful_eviction_timeout_seconds=settings.graceful_eviction_timeout_seconds,
                empty_workload_propagation=settings.empty_workload_propagation,
            ),
            workers=settings.max_parallelism,
            events=self.events,
        )
        handlers = self.scheduler.handlers
        crds.add_handler(handlers.on_crd)
        clusters.add_handler(handlers.on_cluster)
        fleets.add_handler(handlers.on_fleet)
        for source, informer in policies.items():
            informer.add_handler(partial(handlers.on_policy, source))
        for binding_type, informer in bindings.items():
            informer.add_handler(partial(handlers.on_binding, binding_type))
        await configs.wait_synced()
        await self._tune_before_scheduling(tuning)

    @staticmethod
    async def _tune_before_scheduling(tuning: TuningReconciler) -> None:
        """The first pass applies a configured parallelism before any template is scheduled;
        should it fail, the tuning runner retries it with its backoff."""
        try:
            await tuning.reconcile(TUNING_KEY)
        except Exception:
            log.exception("first KarmadaConfig pass failed; the tuning runner retries it")

    async def stop(self) -> None:
        await super().stop()
        if self.events is not None:
            await self.events.stop()
