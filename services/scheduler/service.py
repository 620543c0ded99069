"""The scheduler service: settings, the reconcile runners, and start/stop wiring.

Two runners: `scheduler` (one key per resource template, `max_parallelism` workers gated
by the parallelism limit) and `scheduler-tuning` (the KarmadaConfig knobs).
"""

from collections.abc import Callable
from datetime import UTC, datetime

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.scheduler.failover import format_time
from services.scheduler.resources import KARMADA_CONFIGS, RegistryResolver, ResourceResolver
from services.scheduler.scheduling import Scheduler
from services.scheduler.tuning import ConcurrencyLimit, TuningReconciler
from shared.events.recording import EventRecorder
from shared.placement.matching import DEFAULT_SKIPPED_NAMESPACES
from shared.runtime.reconciling import ReconcileRunner
from shared.runtime.service import Service, ServiceContext

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


def utc_now() -> datetime:
    return datetime.now(UTC)


class SchedulerService(Service):
    name = "scheduler"

    def __init__(
        self,
        *,
        resolver: ResourceResolver | None = None,
        settings: SchedulerSettings | None = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._resolver = resolver or RegistryResolver()
        self.settings = settings or SchedulerSettings()
        self._clock = clock
        self.scheduler: Scheduler | None = None
        self.events: EventRecorder | None = None
        self._tuning: ReconcileRunner[str] | None = None

    async def start(self, context: ServiceContext) -> None:
        settings = self.settings
        limit = ConcurrencyLimit(min(settings.parallelism, settings.max_parallelism))
        self.events = EventRecorder(context.store, component=self.name, clock=self._clock)
        self.events.start()
        self.scheduler = Scheduler(
            store=context.store,
            bus=context.bus,
            informer_factory=context.informer,
            resolver=self._resolver,
            limit=limit,
            clock=self._clock,
            workers=settings.max_parallelism,
            default_toleration_seconds=settings.default_toleration_seconds,
            graceful_eviction_timeout_seconds=settings.graceful_eviction_timeout_seconds,
            enable_preemption=settings.enable_preemption,
            skipped_namespaces=settings.skipped_namespaces,
            empty_workload_propagation=settings.empty_workload_propagation,
            events=self.events,
        )
        configs = context.informer(KARMADA_CONFIGS)
        tuning = TuningReconciler(
            store=context.store,
            informer=configs,
            limit=limit,
            default_parallelism=min(settings.parallelism, settings.max_parallelism),
            max_parallelism=settings.max_parallelism,
            clock=lambda: format_time(self._clock()),
        )
        self._tuning = ReconcileRunner("scheduler-tuning", tuning.reconcile, workers=1)
        configs.add_handler(lambda _event: self._enqueue_tuning())
        await configs.wait_synced()
        self._tuning.start()
        self._tuning.enqueue(TUNING_KEY)
        await self._tuning.wait_idle()
        await self.scheduler.start()

    def _enqueue_tuning(self) -> None:
        if self._tuning is not None:
            self._tuning.enqueue(TUNING_KEY)

    async def stop(self) -> None:
        if self.scheduler is not None:
            await self.scheduler.stop()
        if self._tuning is not None:
            await self._tuning.drain()
        if self.events is not None:
            await self.events.stop()
