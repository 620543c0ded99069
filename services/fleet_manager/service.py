"""The fleet-manager service: AttachedClusters in, Karmada Cluster objects and Fleet status out.

One reconcile runner handles attached clusters (connect, keep the Cluster object and both
statuses true, detach on deletion), another handles Fleets (status, namespace sameness).
Member sessions never write to the hub themselves: they enqueue their cluster. One
AttachedCluster owns each Cluster name (`naming`); the disruption guard (`guarding`)
withholds NoExecute taints while most of the fleet is unhealthy at once.
"""

import hashlib
import logging

import orjson

from services.fleet_manager.disruption import ClusterHealth, cluster_health
from services.fleet_manager.fleets import fleet_status
from services.fleet_manager.guarding import DisruptionGuard
from services.fleet_manager.health import HEALTH_TAINT_KEYS, health_taints, merge_taints
from services.fleet_manager.inventory import cluster_labels, cluster_spec
from services.fleet_manager.members import MemberSession, Summaries
from services.fleet_manager.naming import name_conflict_condition, name_owner
from services.fleet_manager.settings import FleetManagerSettings
from services.fleet_manager.summarizing import GPU_PRODUCT_LABEL
from services.fleet_manager.transitions import cluster_reference, report_health_change
from shared import subjects
from shared.api.cluster import Cluster, ClusterStatus
from shared.api.fleet import AttachedCluster, AttachedClusterStatus, Fleet
from shared.api.kinds import ATTACHED_CLUSTERS, FLEETS, KARMADA_CLUSTERS, NAMESPACES, SECRETS
from shared.api.meta import Condition
from shared.events.models import InvolvedObject
from shared.events.recording import EventRecorder
from shared.members.client import MemberClient, MemberError, decode_secret_value
from shared.runtime.informing import InformerEvent, ObjectKey
from shared.runtime.reconciling import ReconcileRunner, Requeue
from shared.runtime.service import Service, ServiceContext
from shared.store.errors import AlreadyExistsError, ConflictError, NotFoundError
from shared.store.objects import Object, utc_timestamp

log = logging.getLogger(__name__)

FINALIZER = "navarch.dev/fleet-manager"
ATTACHED_LABEL = "navarch.dev/attached-cluster"
SYSTEM_NAMESPACES = {"default", "kube-system", "kube-public", "kube-node-lease"}
HANDOVER_RETRY_S = 0.5


def attached_label_value(key: ObjectKey) -> str:
    return f"{key[0]}.{key[1]}"


class FleetManager(Service):
    name = "fleet-manager"

    def __init__(self, settings: FleetManagerSettings | None = None) -> None:
        self.settings = settings or FleetManagerSettings()
        self.sessions: dict[ObjectKey, MemberSession] = {}
        self._context: ServiceContext | None = None
        self._recorder: EventRecorder | None = None
        self._guard: DisruptionGuard | None = None

    @property
    def context(self) -> ServiceContext:
        assert self._context is not None, "service not started"
        return self._context

    @property
    def recorder(self) -> EventRecorder:
        assert self._recorder is not None, "service not started"
        return self._recorder

    @property
    def guard(self) -> DisruptionGuard:
        assert self._guard is not None, "service not started"
        return self._guard

    async def start(self, context: ServiceContext) -> None:
        self._context = context
        self._recorder = EventRecorder(context.store, component=self.name)
        self._recorder.start()
        self._guard = DisruptionGuard(
            recorder=self._recorder,
            unhealthy_threshold=self.settings.unhealthy_threshold,
            minimum_unhealthy=self.settings.disruption_min_clusters,
        )
        self.attached = context.informer(ATTACHED_CLUSTERS)
        self.secrets = context.informer(SECRETS)
        self.fleets = context.informer(FLEETS)
        self.clusters = context.informer(KARMADA_CLUSTERS)
        self.namespaces = context.informer(NAMESPACES)
        self.attached_runner: ReconcileRunner[ObjectKey] = ReconcileRunner(
            "attached-clusters", self.reconcile_attached, workers=self.settings.workers
        )
        self.fleet_runner: ReconcileRunner[ObjectKey] = ReconcileRunner(
            "fleets", self.reconcile_fleet, workers=2
        )
        self.attached.add_handler(self._attached_changed)
        self.secrets.add_handler(self._secret_changed)
        self.fleets.add_handler(self._fleet_changed)
        self.clusters.add_handler(self._cluster_changed)
        self.namespaces.add_handler(lambda _event: self._enqueue_all_fleets())
        context.tasks.start(self._run_when_synced(context), name="start-runners")

    async def _run_when_synced(self, context: ServiceContext) -> None:
        """Reconcile only from complete caches: a restart must see the Ready conditions it
        wrote before, or it would report every cluster's health as new."""
        for informer in context.informers:
            await informer.wait_synced()
        self.attached_runner.start()
        self.fleet_runner.start()

    async def stop(self) -> None:
        await self.attached_runner.drain()
        await self.fleet_runner.drain()
        for session in list(self.sessions.values()):
            await session.stop()
        self.sessions.clear()
        if self._recorder is not None:
            await self._recorder.stop()

    def _attached_changed(self, event: InformerEvent) -> None:
        """Every AttachedCluster of the same name, in any namespace: ownership may move."""
        self.attached_runner.enqueue(event.key)
        self._enqueue_named(event.key[1])

    def _enqueue_named(self, name: str) -> None:
        for item in self.attached.list():
            if item["metadata"]["name"] == name:
                self.attached_runner.enqueue((item["metadata"].get("namespace") or "", name))

    def _secret_changed(self, event: InformerEvent) -> None:
        namespace, name = event.key
        for attached in self.attached.list(namespace=namespace):
            model = AttachedCluster.model_validate(attached)
            if model.spec.kubeconfig.secret_name == name:
                self.attached_runner.enqueue((namespace, model.metadata.name))

    def _fleet_changed(self, event: InformerEvent) -> None:
        self.fleet_runner.enqueue(event.key)
        namespace, _ = event.key
        for item in (event.object, event.old):
            for member in (item or {}).get("spec", {}).get("clusters", []) or []:
                self.attached_runner.enqueue((namespace, member.get("name", "")))

    def _cluster_changed(self, event: InformerEvent) -> None:
        self._enqueue_all_fleets()
        if event.type == "DELETED":
            self._enqueue_named(event.key[1])

    def _enqueue_all_fleets(self) -> None:
        for key in self.fleets.keys():
            self.fleet_runner.enqueue(key)

    def _fleets_for(self, namespace: str) -> list[Fleet]:
        return [Fleet.model_validate(item) for item in self.fleets.list(namespace=namespace)]

    def _owner_of(self, name: str) -> ObjectKey | None:
        candidates = [
            AttachedCluster.model_validate(item)
            for item in self.attached.list()
            if item["metadata"]["name"] == name
        ]
        return name_owner(candidates, name)

    def _labelled_owner(self, cluster: Object | None) -> str | None:
        if cluster is None:
            return None
        return (cluster["metadata"].get("labels") or {}).get(ATTACHED_LABEL)

    async def reconcile_attached(self, key: ObjectKey) -> Requeue | None:
        namespace, name = key
        raw = self.attached.get(namespace, name)
        if raw is None:
            await self._end_session(key)
            return None
        if raw["metadata"].get("deletionTimestamp"):
            await self._detach(key, raw)
            return None
        if FINALIZER not in raw["metadata"].get("finalizers", []):
            raw = dict(raw, metadata=dict(raw["metadata"]))
            raw["metadata"]["finalizers"] = [*raw["metadata"].get("finalizers", []), FINALIZER]
            raw = await self.context.store.update(ATTACHED_CLUSTERS, raw)
        attached = AttachedCluster.model_validate(raw)
        owner = self._owner_of(name)
        if owner != key:
            await self._end_session(key)
            if owner is not None:
                await self._store_attached_status(
                    raw, attached, name_conflict_condition(name, owner), version=None
                )
            return None
        labelled = self._labelled_owner(self.clusters.get(None, name))
        if labelled not in (None, attached_label_value(key)) and self._is_terminating(labelled):
            return Requeue(after=HANDOVER_RETRY_S)
        session, failure = await self._session_for(key, attached)
        cluster = await self._write_cluster(attached, session)
        await self._write_attached_status(raw, attached, session, failure, cluster)
        return None

    def _is_terminating(self, label: str) -> bool:
        """The AttachedCluster a Cluster is labelled for is being detached: it deletes the
        Cluster itself, and the next owner creates it afresh after that."""
        namespace, _, name = label.partition(".")
        raw = self.attached.get(namespace, name)
        return raw is not None and bool(raw["metadata"].get("deletionTimestamp"))

    async def _session_for(
        self, key: ObjectKey, attached: AttachedCluster
    ) -> tuple[MemberSession | None, MemberError | None]:
        reference = attached.spec.kubeconfig
        secret = self.secrets.get(key[0], reference.secret_name)
        if secret is None:
            await self._end_session(key)
            message = f'secret "{reference.secret_name}" not found'
            return None, MemberError("InvalidKubeconfig", message)
        try:
            text = decode_secret_value(secret.get("data") or {}, reference.key)
        except MemberError as error:
            await self._end_session(key)
            return None, error
        digest = hashlib.sha256(text.encode()).hexdigest()
        current = self.sessions.get(key)
        if current is not None and current.kubeconfig_digest == digest:
            return current, None
        await self._end_session(key)
        try:
            client = await MemberClient.from_kubeconfig(
                text, timeout=self.settings.request_timeout_s
            )
        except MemberError as error:
            return None, error
        existing = self.clusters.get(None, attached.metadata.name)
        current_ready = None
        if existing is not None and self._labelled_owner(existing) == attached_label_value(key):
            current_ready = Cluster.model_validate(existing).condition("Ready")
        session = MemberSession(
            attached.metadata.name,
            client,
            settings=self.settings,
            current_ready=current_ready,
            on_change=lambda: self.attached_runner.enqueue(key),
            on_health=self._publish_health,
            on_probe_state=self._assess_fleet_health,
        )
        session.kubeconfig_digest = digest
        self.sessions[key] = session
        session.start()
        return session, None

    async def _end_session(self, key: ObjectKey) -> None:
        session = self.sessions.pop(key, None)
        if session is not None:
            await session.stop()
            self._assess_fleet_health(key[1])

    def _cluster_reference(self, name: str) -> InvolvedObject:
        existing = self.clusters.get(None, name)
        uid = existing["metadata"].get("uid") if existing else None
        return cluster_reference(name, uid=uid)

    def _publish_health(
        self, cluster: str, previous: Condition | None, condition: Condition
    ) -> None:
        report_health_change(
            self.recorder,
            self._cluster_reference(cluster),
            previous=previous,
            condition=condition,
        )
        payload = orjson.dumps({"cluster": cluster, **condition.to_dict()})
        self.context.tasks.start(
            self.context.bus.publish(subjects.subject(subjects.CLUSTER_HEALTH, cluster), payload),
            name=f"publish-health/{cluster}",
        )

    def _fleet_healths(self) -> list[ClusterHealth]:
        """Every Cluster this service writes: its live session's view, else what the store
        says (a restart must not evict before the sessions have probed)."""
        healths = [
            cluster_health(session.ready_condition, probe_failing=session.probe_failing)
            for session in self.sessions.values()
        ]
        live = {key[1] for key in self.sessions}
        for item in self.clusters.list():
            if item["metadata"]["name"] in live or self._labelled_owner(item) is None:
                continue
            healths.append(cluster_health(Cluster.model_validate(item).condition("Ready")))
        return healths

    def _assess_fleet_health(self, trigger: str) -> None:
        """On every probe-state change: when evictions pause or resume, rewrite every
        Cluster's health taints (on resuming, after a fresh failure threshold)."""
        if self.guard.assess(self._fleet_healths(), trigger=self._cluster_reference(trigger)):
            for key, session in list(self.sessions.items()):
                if not self.guard.evictions_paused:
                    session.hold_evictions()
                self.attached_runner.enqueue(key)

    async def _write_cluster(
        self, attached: AttachedCluster, session: MemberSession | None
    ) -> Cluster:
        name = attached.metadata.name
        labels = cluster_labels(attached, self._fleets_for(attached.metadata.namespace or ""))
        labels[ATTACHED_LABEL] = attached_label_value((attached.metadata.namespace or "", name))
        summaries = session.summaries() if session else None
        if summaries is not None and len(summaries[2]) == 1:
            labels.setdefault(GPU_PRODUCT_LABEL, summaries[2][0].product)
        existing_raw = self.clusters.get(None, name)
        handover = existing_raw is not None and (
            self._labelled_owner(existing_raw) != labels[ATTACHED_LABEL]
        )
        if handover:
            log.info(
                "taking over a Cluster name from an AttachedCluster that no longer owns it",
                extra={"cluster": name, "previous_owner": self._labelled_owner(existing_raw)},
            )
            existing_raw = {key: value for key, value in existing_raw.items() if key != "status"}
        existing = Cluster.model_validate(existing_raw) if existing_raw else None
        ready = session.ready_condition if session else None
        if session is None and existing is not None:
            ready = existing.condition("Ready")
        now = utc_timestamp()
        previous = {(t.key, t.effect): t for t in existing.spec.taints} if existing else {}
        configured = [previous.get((t.key, t.effect), t) for t in attached.spec.taints]
        self._assess_fleet_health(name)
        taints = merge_taints(
            [*configured, *(t for t in previous.values() if t.key in HEALTH_TAINT_KEYS)],
            health_taints(
                ready,
                now=now,
                evictions_paused=self.guard.evictions_paused
                or (session is not None and session.eviction_held),
            ),
        )
        spec = cluster_spec(labels, api_endpoint=session.client.server if session else None)
        spec.taints = taints
        desired = {
            "apiVersion": "cluster.karmada.io/v1alpha1",
            "kind": "Cluster",
            "metadata": {"name": name, "labels": labels},
            "spec": spec.to_dict(),
        }
        if existing_raw is None:
            try:
                written = await self.context.store.create(KARMADA_CLUSTERS, desired)
            except AlreadyExistsError:
                written = await self.context.store.get(KARMADA_CLUSTERS, None, name)
        else:
            merged = dict(existing_raw, spec=desired["spec"])
            merged["metadata"] = dict(existing_raw["metadata"], labels=labels, resourceVersion=None)
            written = await self.context.store.update(KARMADA_CLUSTERS, merged)
        status = self._cluster_status(
            Cluster.model_validate(dict(written, status={}) if handover else written),
            session,
            ready,
            summaries=summaries,
        )
        if written.get("status") != status:
            written = await self.context.store.update_status(
                KARMADA_CLUSTERS, dict(written, status=status)
            )
        return Cluster.model_validate(written)

    def _cluster_status(
        self,
        cluster: Cluster,
        session: MemberSession | None,
        ready: Condition | None,
        *,
        summaries: Summaries | None,
    ) -> Object:
        status = ClusterStatus.model_validate(cluster.status.to_dict())
        extension: dict[str, object] = {}
        if session is not None:
            if session.version:
                status.kubernetes_version = session.version
            if session.api_enablements is not None:
                status.api_enablements = session.api_enablements
            if summaries is not None:
                status.node_summary, status.resource_summary, products = summaries
                extension["gpuProducts"] = [product.to_dict() for product in products]
        if ready is not None:
            status.conditions = [c for c in status.conditions if c.type != "Ready"] + [ready]
        rendered = status.to_dict()
        rendered.update(extension)
        return rendered

    async def _write_attached_status(
        self,
        raw: Object,
        attached: AttachedCluster,
        session: MemberSession | None,
        failure: MemberError | None,
        cluster: Cluster,
    ) -> None:
        ready = cluster.condition("Ready")
        problem = failure or (session.last_error if session else None)
        if problem is not None and problem.reason in ("InvalidKubeconfig", "Unauthorized"):
            condition = Condition(
                type="Ready", status="False", reason=problem.reason, message=problem.message
            )
        elif (
            session is not None
            and not session.online
            and ready is not None
            and ready.status == "False"
        ):
            condition = Condition(
                type="Ready", status="False", reason="Unreachable", message=ready.message
            )
        elif ready is not None:
            condition = Condition(
                type="Ready", status=ready.status, reason=ready.reason, message=ready.message
            )
        else:
            condition = Condition(
                type="Ready",
                status="Unknown",
                reason="Connecting",
                message="waiting for the first health probe",
            )
        version = session.version if session else attached.status.kubernetes_version
        await self._store_attached_status(raw, attached, condition, version=version)

    async def _store_attached_status(
        self,
        raw: Object,
        attached: AttachedCluster,
        condition: Condition,
        *,
        version: str | None,
    ) -> None:
        """Write the Ready condition (its transition time kept while it says the same)."""
        previous = next((c for c in attached.status.conditions if c.type == "Ready"), None)
        if previous is not None and (previous.status, previous.reason, previous.message) == (
            condition.status,
            condition.reason,
            condition.message,
        ):
            condition = previous
        else:
            condition.last_transition_time = utc_timestamp()
        status = AttachedClusterStatus(
            ready=condition.status == "True",
            conditions=[condition],
            kubernetes_version=version,
        ).to_dict()
        if raw.get("status") != status:
            try:
                await self.context.store.update_status(ATTACHED_CLUSTERS, dict(raw, status=status))
            except (ConflictError, NotFoundError):
                self.attached_runner.enqueue(
                    (raw["metadata"]["namespace"], raw["metadata"]["name"])
                )

    async def _detach(self, key: ObjectKey, raw: Object) -> None:
        """Stop watching, remove the Cluster it owns (its work is then unscheduled), drop the
        finalizer; a Cluster another AttachedCluster owns is left alone."""
        await self._end_session(key)
        name = raw["metadata"]["name"]
        try:
            cluster = await self.context.store.get(KARMADA_CLUSTERS, None, name)
            if self._labelled_owner(cluster) in (None, attached_label_value(key)):
                await self.context.store.delete(
                    KARMADA_CLUSTERS, None, name, uid=cluster["metadata"].get("uid")
                )
        except NotFoundError:
            pass
        finalizers = [f for f in raw["metadata"].get("finalizers", []) if f != FINALIZER]
        if finalizers != raw["metadata"].get("finalizers", []):
            await self.context.store.update(
                ATTACHED_CLUSTERS, dict(raw, metadata=dict(raw["metadata"], finalizers=finalizers))
            )

    async def reconcile_fleet(self, key: ObjectKey) -> None:
        namespace, name = key
        raw = self.fleets.get(namespace, name)
        if raw is None:
            return
        fleet = Fleet.model_validate(raw)
        clusters = {
            item["metadata"]["name"]: Cluster.model_validate(item) for item in self.clusters.list()
        }
        status = fleet_status(fleet, clusters).to_dict()
        if raw.get("status") != status:
            await self.context.store.update_status(FLEETS, dict(raw, status=status))
        wanted = {
            item["metadata"]["name"]
            for item in self.namespaces.list()
            if item["metadata"]["name"] not in SYSTEM_NAMESPACES
            and not item["metadata"].get("deletionTimestamp")
        } | {namespace}
        for member in fleet.spec.clusters:
            session = self.sessions.get((namespace, member.name))
            if session is not None and session.online:
                await session.ensure_namespaces(wanted)

    def ready(self, context: ServiceContext) -> bool:
        return context.synced()
