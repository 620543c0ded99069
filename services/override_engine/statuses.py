"""Status aggregation: member status → the binding's aggregatedStatus → the template's status.

One reconcile per binding, coalesced: changes within `status_delay_s` make one write, and a
binding's status is written at most once per `status_interval_s` while its members keep
changing. What the hub shows is decided by the pure `aggregating` module from the member
sessions' caches and the Works' Applied conditions; the writes go through the kit's writer
(status subresource, conflicts re-read and re-applied).
"""

import asyncio
from collections.abc import Callable
from functools import partial

from services.override_engine.aggregating import aggregated_item, template_status
from services.override_engine.caches import HubCaches
from services.override_engine.members import MemberSession
from services.override_engine.removal import is_deleting
from services.override_engine.settings import OverrideEngineSettings
from services.override_engine.syncing import resource_for
from services.override_engine.works import BindingKey, ManifestId, Object, applied_condition
from shared.api.binding import ResourceBindingSpec
from shared.api.kinds import BINDING_TYPES
from shared.members.sessions import MemberSessions
from shared.runtime.reconciling import Requeue
from shared.runtime.writing import Writer

EnqueueAfter = Callable[[BindingKey, float], None]


def status_delay(*, delay: float, interval: float, last_written: float | None, now: float) -> float:
    """How long a status change waits: at least `delay`, and until `interval` has passed
    since the binding's last status write."""
    if last_written is None:
        return delay
    return max(delay, last_written + interval - now)


def status_clusters(spec: ResourceBindingSpec) -> list[str]:
    """The clusters a binding's status lists: its targets, then those being evicted."""
    clusters = [target.name for target in spec.clusters]
    return clusters + sorted(spec.evicting_clusters() - set(clusters))


def with_aggregated_status(binding: Object, *, items: list[Object]) -> Object | None:
    """The binding with `status.aggregatedStatus` set to `items`; None when it is already,
    or when the binding is being deleted (its status no longer matters)."""
    if is_deleting(binding):
        return None
    status = dict(binding.get("status") or {})
    if status.get("aggregatedStatus") == items:
        return None
    status["aggregatedStatus"] = items
    return dict(binding, status=status)


def with_template_status(template: Object, *, kind: str, items: list[Object]) -> Object | None:
    """The template with the fleet-wide sums of its members' status; None when unchanged,
    when the kind has no summed status, or when the template is being deleted."""
    if is_deleting(template):
        return None
    summed = template_status(kind, items, current=template.get("status"))
    if summed is None or summed == template.get("status"):
        return None
    return dict(template, status=summed)


class StatusAggregation:
    def __init__(
        self,
        *,
        caches: HubCaches,
        sessions: MemberSessions[MemberSession],
        writer: Writer,
        settings: OverrideEngineSettings,
        enqueue: EnqueueAfter,
    ) -> None:
        self._caches = caches
        self._sessions = sessions
        self._writer = writer
        self._settings = settings
        self._enqueue = enqueue
        self._written_at: dict[BindingKey, float] = {}

    def later(self, key: BindingKey) -> None:
        """Coalesce this binding's status changes into one write (`status_delay`)."""
        delay = status_delay(
            delay=self._settings.status_delay_s,
            interval=self._settings.status_interval_s,
            last_written=self._written_at.get(key),
            now=asyncio.get_running_loop().time(),
        )
        self._enqueue(key, delay)

    async def reconcile(self, key: BindingKey) -> Requeue | None:
        raw = self._caches.binding(key)
        if raw is None or is_deleting(raw):
            self._written_at.pop(key, None)
            return None
        spec = self._caches.spec(key, raw)
        ref = spec.resource
        identity = ManifestId(ref.api_version, ref.kind, ref.namespace, ref.name)
        items = [self._item(key, cluster, identity) for cluster in status_clusters(spec)]
        if with_aggregated_status(raw, items=items) is not None:
            written = await self._writer.ensure(
                BINDING_TYPES[key.kind],
                raw,
                partial(with_aggregated_status, items=items),
                status=True,
            )
            if written is None:
                return None
            self._written_at[key] = asyncio.get_running_loop().time()
        await self._write_template_status(ref.api_version, ref.kind, identity, items)
        return None

    def _item(self, key: BindingKey, cluster: str, identity: ManifestId) -> Object:
        session = self._sessions.get(cluster)
        live = session.live(identity) if session is not None else None
        condition = applied_condition(self._caches.work(key, cluster))
        applied = condition is not None and condition.status == "True"
        return aggregated_item(
            cluster=cluster,
            live=live,
            applied=applied,
            applied_message=condition.message if condition and not applied else "",
        )

    async def _write_template_status(
        self, api_version: str, kind: str, identity: ManifestId, items: list[Object]
    ) -> None:
        resource = resource_for(api_version, kind)
        if resource is None:
            return
        template = self._caches.template(resource, identity.namespace, identity.name)
        if template is None or with_template_status(template, kind=kind, items=items) is None:
            return
        await self._writer.change(
            resource, template, partial(with_template_status, kind=kind, items=items), status=True
        )
