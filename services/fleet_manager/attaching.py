"""The AttachedCluster reconcile: connect, keep the Cluster object and both statuses true,
detach on deletion.

One AttachedCluster owns each Cluster name (`naming`); the others get a condition naming
the owner. The Ready condition is derived once (`readiness`) for both objects, and a Ready
transition is announced (log, Event, `navarch.cluster.health.<cluster>`) only after the
Cluster holding it was written, so a listener that reads the store sees it.
"""

import logging

from services.fleet_manager.caches import FleetCaches
from services.fleet_manager.cluster_objects import (
    cluster_status,
    desired_cluster,
    desired_labels,
    desired_taints,
    write_cluster,
)
from services.fleet_manager.connections import MemberConnections
from services.fleet_manager.naming import name_conflict_condition
from services.fleet_manager.observations import MemberObservations
from services.fleet_manager.readiness import attached_status, derive_readiness, ready_changed
from services.fleet_manager.transitions import (
    cluster_reference,
    health_message,
    report_health_change,
)
from shared import subjects
from shared.api.cluster import Cluster, ClusterStatus
from shared.api.fleet import AttachedCluster
from shared.api.kinds import ATTACHED_CLUSTERS, KARMADA_CLUSTERS
from shared.api.meta import Condition
from shared.bus import Bus
from shared.events.recording import EventRecorder
from shared.members.kubeconfigs import attached_reference
from shared.runtime.clock import format_timestamp
from shared.runtime.controllers import Controllers
from shared.runtime.informing import ObjectKey
from shared.runtime.reconciling import Requeue
from shared.store.errors import NotFoundError
from shared.store.objects import Object

log = logging.getLogger(__name__)

FINALIZER = "navarch.dev/fleet-manager"
HANDOVER_RETRY_S = 0.5


def with_finalizer(obj: Object) -> Object:
    finalizers = obj["metadata"].get("finalizers") or []
    if FINALIZER in finalizers:
        return obj
    return dict(obj, metadata=dict(obj["metadata"], finalizers=[*finalizers, FINALIZER]))


def without_finalizer(obj: Object) -> Object:
    finalizers = [f for f in obj["metadata"].get("finalizers") or [] if f != FINALIZER]
    return dict(obj, metadata=dict(obj["metadata"], finalizers=finalizers))


class AttachedClusters:
    def __init__(
        self,
        *,
        controllers: Controllers,
        caches: FleetCaches,
        connections: MemberConnections,
        recorder: EventRecorder,
        bus: Bus,
    ) -> None:
        self._controllers = controllers
        self._writer = controllers.writer
        self._caches = caches
        self._connections = connections
        self._recorder = recorder
        self._bus = bus

    def _now(self) -> str:
        return format_timestamp(self._controllers.clock())

    async def reconcile(self, key: ObjectKey) -> Requeue | None:
        namespace, name = key
        raw = self._controllers.fresh(self._caches.attached, namespace, name)
        if raw is None:
            await self._connections.end(key)
            return None
        if raw["metadata"].get("deletionTimestamp"):
            await self._detach(key, raw)
            return None
        if FINALIZER not in (raw["metadata"].get("finalizers") or []):
            raw = await self._writer.change(ATTACHED_CLUSTERS, raw, with_finalizer)
            if raw is None:
                return None
        attached = AttachedCluster.model_validate(raw)
        owner = self._caches.owner_of(name)
        if owner != key:
            await self._connections.end(key)
            if owner is not None:
                await self._write_attached_status(
                    raw, name_conflict_condition(name, owner), version=None
                )
            return None
        existing = self._controllers.fresh(self._caches.clusters, None, name)
        labelled = attached_reference(existing) if existing is not None else None
        if labelled not in (None, key) and self._caches.is_terminating(labelled):
            return Requeue(after=HANDOVER_RETRY_S)
        handover = existing is not None and labelled != key
        if existing is not None and handover:
            log.info(
                "taking over a Cluster name from an AttachedCluster that no longer owns it",
                extra={"cluster": name, "previous_owner": "/".join(labelled or ())},
            )
            existing = {field: value for field, value in existing.items() if field != "status"}
        stored = Cluster.model_validate(existing) if existing is not None else None
        previous = stored.condition("Ready") if stored is not None else None
        session, failure = await self._connections.connect(key, attached, current_ready=previous)
        member = session.observe() if session is not None else None
        readiness = derive_readiness(member, stored=previous, failure=failure)
        cluster = await self._write_cluster(
            attached, member=member, existing=existing, ready=readiness.cluster, handover=handover
        )
        if cluster is not None and ready_changed(previous, readiness.cluster):
            await self._announce(cluster, previous=previous, condition=cluster.condition("Ready"))
        version = member.version if member is not None else attached.status.kubernetes_version
        await self._write_attached_status(raw, readiness.attached, version=version)
        return None

    async def _write_cluster(
        self,
        attached: AttachedCluster,
        *,
        member: MemberObservations | None,
        existing: Object | None,
        ready: Condition | None,
        handover: bool,
    ) -> Cluster | None:
        """`existing` as this service last knew it (without its status on a handover: the
        new owner starts from nothing the previous one observed)."""
        name = attached.metadata.name
        self._connections.assess(name)
        evictions_paused = self._connections.guard.evictions_paused or (
            member is not None and member.eviction_held
        )
        labels = desired_labels(
            attached,
            fleets=self._caches.fleets_in(attached.metadata.namespace or ""),
            member=member,
        )
        desired = desired_cluster(
            name,
            labels=labels,
            taints=desired_taints(
                attached,
                existing=Cluster.model_validate(existing) if existing is not None else None,
                ready=ready,
                now=self._now(),
                evictions_paused=evictions_paused,
            ),
            api_endpoint=member.server if member is not None else None,
        )

        def status_of(obj: Object) -> Object:
            base = ClusterStatus() if handover else Cluster.model_validate(obj).status
            return cluster_status(base, member=member, ready=ready)

        return await write_cluster(
            self._writer, existing=existing, desired=desired, status_of=status_of
        )

    async def _announce(
        self, cluster: Cluster, *, previous: Condition | None, condition: Condition | None
    ) -> None:
        """Log, Event and subject for a Ready transition the store now holds."""
        if condition is None:
            return
        name = cluster.metadata.name
        report_health_change(
            self._recorder,
            cluster_reference(name, uid=cluster.metadata.uid),
            previous=previous,
            condition=condition,
        )
        try:
            await self._bus.publish(
                subjects.subject(subjects.CLUSTER_HEALTH, name), health_message(name, condition)
            )
        except Exception:
            log.exception("cannot announce the health of cluster %s", name)

    async def _write_attached_status(
        self, raw: Object, condition: Condition, *, version: str | None
    ) -> None:
        """The Ready condition, its transition time kept while it says the same."""
        now = self._now()

        def status_of(obj: Object) -> Object:
            current = AttachedCluster.model_validate(obj).status
            return attached_status(current, condition, version=version, now=now).to_dict()

        if raw.get("status") != status_of(raw):
            await self._writer.change(
                ATTACHED_CLUSTERS,
                raw,
                lambda current: dict(current, status=status_of(current)),
                status=True,
            )

    async def _detach(self, key: ObjectKey, raw: Object) -> None:
        """Stop watching, remove the Cluster it owns (its work is then unscheduled), drop the
        finalizer; a Cluster another AttachedCluster owns is left alone."""
        await self._connections.end(key)
        name = raw["metadata"]["name"]
        try:
            cluster = await self._writer.store.get(KARMADA_CLUSTERS, None, name)
            if attached_reference(cluster) in (None, key):
                await self._writer.delete(
                    KARMADA_CLUSTERS, None, name, uid=cluster["metadata"].get("uid")
                )
        except NotFoundError:
            log.debug("cluster %s already gone on detach", name)
        if FINALIZER in (raw["metadata"].get("finalizers") or []):
            await self._writer.change(ATTACHED_CLUSTERS, raw, without_finalizer)
