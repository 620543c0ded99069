"""The Cluster Operator concern: a `cluster.kurator.dev` Cluster made real through a provider.

Level-triggered and idempotent: each pass asks the provider for the cluster (create is
idempotent by name), lists its machines, adds what is missing, drains and removes one
surplus node at a time (`lifecycle_scaling`), keeps the kubeconfig Secret and the
AttachedCluster that joins it to the fleet, and writes Kurator's phase and conditions.
Deletion detaches first (the AttachedCluster goes, so the Karmada Cluster goes and the
scheduler moves the work), then deprovisions; the finalizer holds the Cluster until then.
"""

import logging
from collections.abc import Callable

from services.fleet_manager.caches import FleetCaches
from services.fleet_manager.lifecycle_provisioning import (
    FINALIZER,
    MANAGED_LABEL,
    REASON_NO_PROVIDER,
    attached_cluster,
    cluster_ref,
    condition,
    create_request,
    kubeconfig_secret,
    managed_value,
    no_provider_message,
    phase_after,
    service_account_issuer,
    with_condition,
    worker_pools,
    workers_message,
)
from services.fleet_manager.lifecycle_scaling import PoolScaler
from services.fleet_manager.lifecycle_settings import LifecycleSettings
from shared.api.kinds import ATTACHED_CLUSTERS, KURATOR_CLUSTERS, SECRETS
from shared.api.kurator_cluster import (
    CONDITION_INFRASTRUCTURE_READY,
    CONDITION_READY,
    REASON_INFRASTRUCTURE_NOT_READY,
    REASON_INFRASTRUCTURE_PROVISION_FAILED,
    ClusterCondition,
    KuratorCluster,
    KuratorClusterStatus,
    kurator_form,
)
from shared.api.resources import ResourceType
from shared.members.kubeconfigs import attached_reference
from shared.providers.interface import ClusterNotFoundError, ClusterProvider, ProviderError
from shared.runtime.clock import format_timestamp
from shared.runtime.controllers import Controllers
from shared.runtime.informing import Informer, ObjectKey
from shared.runtime.reconciling import Requeue
from shared.store.errors import AlreadyExistsError, NotFoundError
from shared.store.objects import Object

log = logging.getLogger(__name__)

ProviderFor = Callable[[KuratorCluster], ClusterProvider | None]


def _with_finalizer(obj: Object) -> Object | None:
    finalizers = obj["metadata"].get("finalizers") or []
    if FINALIZER in finalizers:
        return None
    return dict(obj, metadata=dict(obj["metadata"], finalizers=[*finalizers, FINALIZER]))


def _without_finalizer(obj: Object) -> Object | None:
    finalizers = obj["metadata"].get("finalizers") or []
    if FINALIZER not in finalizers:
        return None
    kept = [f for f in finalizers if f != FINALIZER]
    return dict(obj, metadata=dict(obj["metadata"], finalizers=kept))


class LifecycleClusters:
    def __init__(
        self,
        *,
        controllers: Controllers,
        clusters: Informer,
        caches: FleetCaches,
        settings: LifecycleSettings,
        provider_for: ProviderFor,
        scaler: PoolScaler,
    ) -> None:
        self._controllers = controllers
        self._writer = controllers.writer
        self._clusters = clusters
        self._caches = caches
        self._settings = settings
        self._provider_for = provider_for
        self._scaler = scaler

    def _now(self) -> str:
        return format_timestamp(self._controllers.clock())

    async def reconcile(self, key: ObjectKey) -> Requeue | None:
        namespace, name = key
        raw = self._controllers.fresh(self._clusters, namespace, name)
        if raw is None:
            return None
        if raw["metadata"].get("deletionTimestamp"):
            return await self._delete(raw)
        with_finalizer = await self._writer.change(KURATOR_CLUSTERS, raw, _with_finalizer)
        raw = with_finalizer or raw
        cluster = kurator_form(KuratorCluster.model_validate(raw))
        status = KuratorCluster.model_validate(raw).status
        provider = self._provider_for(cluster)
        if provider is None:
            message = no_provider_message(
                cluster.spec.infra_type or "", str(self._settings.state_file())
            )
            failed = condition(
                CONDITION_INFRASTRUCTURE_READY,
                False,
                reason=REASON_NO_PROVIDER,
                message=message,
                severity="Error",
            )
            await self._write_status(raw, self._failed(status, failed))
            return Requeue(after=self._settings.provider_retry_s)
        try:
            return await self._realise(raw, cluster, status, provider)
        except ProviderError as error:
            log.warning(
                "provider call failed for cluster %s/%s: %s",
                namespace,
                name,
                error,
                extra={"cluster": name},
            )
            failed = condition(
                CONDITION_INFRASTRUCTURE_READY,
                False,
                reason=REASON_INFRASTRUCTURE_PROVISION_FAILED,
                message=str(error),
                severity="Error",
            )
            await self._write_status(raw, self._failed(status, failed))
            return Requeue(after=self._settings.provider_retry_s)

    def _failed(
        self, status: KuratorClusterStatus, infrastructure: ClusterCondition
    ) -> KuratorClusterStatus:
        """The infrastructure's failure; a cluster never Ready is Failed, a Ready one stays."""
        now = self._now()
        updated = with_condition(status, infrastructure, now=now)
        if status.phase != "Ready":
            not_ready = condition(
                CONDITION_READY,
                False,
                reason=REASON_INFRASTRUCTURE_NOT_READY,
                message="the infrastructure is not ready",
                severity="Error",
            )
            updated = with_condition(updated, not_ready, now=now)
            updated = updated.model_copy(update={"phase": "Failed"})
        return updated

    async def _realise(
        self,
        raw: Object,
        cluster: KuratorCluster,
        status: KuratorClusterStatus,
        provider: ClusterProvider,
    ) -> Requeue | None:
        now = self._now()
        ref = cluster_ref(cluster)
        provisioned = await provider.create_cluster(create_request(cluster))
        status = with_condition(status, condition(CONDITION_INFRASTRUCTURE_READY, True), now=now)
        status = status.model_copy(update={"api_endpoint": provisioned.api_endpoint})
        if cluster.spec.pod_identity and cluster.spec.pod_identity.enabled:
            issuer = service_account_issuer(provisioned.api_endpoint)
            if status.service_account_issuer != issuer:
                status = status.model_copy(update={"service_account_issuer": issuer})
                if status.phase is None:
                    status = status.model_copy(update={"phase": "Provisioning"})
                await self._write_status(raw, status)
                return Requeue(after=0.01)
        kubeconfig = await provider.fetch_kubeconfig(ref)
        secret = kubeconfig_secret(cluster, kubeconfig)
        await self._ensure(SECRETS, secret, fields=("data", "metadata"))
        await self._ensure(ATTACHED_CLUSTERS, attached_cluster(cluster), fields=("spec",))
        status = status.model_copy(update={"kubeconfig_secret_ref": secret["metadata"]["name"]})
        machines = await provider.list_nodes(ref)
        healthy = self._healthy(cluster.name)
        outcome = await self._scaler.scale(
            provider,
            cluster=cluster,
            pools=worker_pools(cluster),
            machines=machines,
            kubeconfig=kubeconfig,
            healthy=healthy,
        )
        pools = {pool.name for pool in worker_pools(cluster)}
        wanted = sum(pool.replicas for pool in worker_pools(cluster))
        ready = sum(1 for m in outcome.machines if m.pool in pools and m.ready)
        is_ready = ready >= wanted
        if is_ready:
            status = with_condition(status, condition(CONDITION_READY, True), now=now)
        else:
            waiting = condition(
                CONDITION_READY,
                False,
                reason="WaitingForWorkerNodes",
                message=workers_message(ready, wanted),
                severity="Info",
            )
            status = with_condition(status, waiting, now=now)
        if outcome.scaled_down is not None:
            status = with_condition(status, outcome.scaled_down, now=now)
        phase = phase_after(status, ready=is_ready, failed=False)
        status = status.model_copy(update={"phase": phase})
        await self._write_status(raw, status)
        if outcome.requeue_after is not None:
            return Requeue(after=outcome.requeue_after)
        if not is_ready:
            return Requeue(after=self._settings.poll_s)
        return None

    def _healthy(self, name: str) -> bool:
        """The fleet's verdict on the member: its Karmada Cluster's Ready condition."""
        stored = self._caches.clusters.get(None, name)
        if stored is None:
            return False
        for item in (stored.get("status") or {}).get("conditions") or []:
            if item.get("type") == "Ready":
                return item.get("status") == "True"
        return False

    async def _ensure(
        self, resource: ResourceType, desired: Object, *, fields: tuple[str, ...]
    ) -> None:
        """Create the object, or bring the given fields back to what they should be."""
        metadata = desired["metadata"]
        store = self._writer.store
        try:
            current = await store.get(resource, metadata["namespace"], metadata["name"])
        except NotFoundError:
            try:
                await self._writer.create(resource, desired)
            except AlreadyExistsError:
                log.debug("%s %s created meanwhile", resource.kind, metadata["name"])
            return
        owner = (current["metadata"].get("labels") or {}).get(MANAGED_LABEL)
        if owner != metadata["labels"][MANAGED_LABEL]:
            raise ProviderError(
                f"{resource.kind} {metadata['namespace']}/{metadata['name']} exists and is not "
                "managed for this Cluster"
            )

        def change(obj: Object) -> Object | None:
            updated = dict(obj)
            for field in fields:
                if field == "metadata":
                    labels = {**(obj["metadata"].get("labels") or {}), **metadata["labels"]}
                    updated["metadata"] = dict(obj["metadata"], labels=labels)
                else:
                    updated[field] = desired[field]
            return None if updated == obj else updated

        await self._writer.change(resource, current, change)

    async def _write_status(self, raw: Object, status: KuratorClusterStatus) -> None:
        document = status.to_dict()

        def change(obj: Object) -> Object | None:
            return None if obj.get("status") == document else dict(obj, status=document)

        await self._writer.change(KURATOR_CLUSTERS, raw, change, status=True)

    async def _delete(self, raw: Object) -> Requeue | None:
        """Detach (AttachedCluster, then its Karmada Cluster), deprovision, drop the finalizer."""
        if FINALIZER not in (raw["metadata"].get("finalizers") or []):
            return None
        cluster = KuratorCluster.model_validate(raw)
        namespace = cluster.metadata.namespace or "default"
        if cluster.status.phase != "Deleting":
            deleting = cluster.status.model_copy(update={"phase": "Deleting"})
            await self._write_status(raw, deleting)
        attached = self._caches.attached.get(namespace, cluster.name)
        if attached is not None and (attached["metadata"].get("labels") or {}).get(
            MANAGED_LABEL
        ) == managed_value(cluster):
            if not attached["metadata"].get("deletionTimestamp"):
                try:
                    await self._writer.delete(ATTACHED_CLUSTERS, namespace, cluster.name)
                except NotFoundError:
                    log.debug("AttachedCluster %s/%s already gone", namespace, cluster.name)
            return Requeue(after=self._settings.poll_s)
        karmada = self._caches.clusters.get(None, cluster.name)
        if karmada is not None and attached_reference(karmada) == (namespace, cluster.name):
            return Requeue(after=self._settings.poll_s)
        provider = self._provider_for(kurator_form(cluster))
        if provider is not None:
            try:
                await provider.delete_cluster(cluster_ref(cluster))
            except ClusterNotFoundError:
                log.debug("cluster %s already deprovisioned", cluster.name)
        await self._scaler.forget(cluster.name)
        try:
            await self._writer.delete(SECRETS, namespace, f"{cluster.name}-kubeconfig")
        except NotFoundError:
            log.debug("kubeconfig Secret of %s already gone", cluster.name)
        await self._writer.change(KURATOR_CLUSTERS, raw, _without_finalizer)
        log.info("cluster %s/%s deprovisioned", namespace, cluster.name)
        return None
