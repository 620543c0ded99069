"""StatefulSet controller: ordinal pods `<name>-<i>`, created and removed in order.

OrderedReady (the default) creates pod i only when pods 0..i-1 are Running and Ready and
removes the highest ordinal first; Parallel does both at once. A template change rolls
the pods from the highest ordinal down, one at a time, each after the rest are Ready.
"""

from services.simulator.caching import SharedInformers
from services.simulator.capping import RETRY_AFTER_S, PodCap
from services.simulator.pacing import Pacer
from services.simulator.resources import PODS, STATEFULSETS
from services.simulator.workloads import (
    OwnerLoop,
    create_pods,
    is_active,
    is_pod_ready,
    pod_from_template,
    replicas_of,
    template_hash,
    write_status,
)
from services.simulator.writing import delete_quietly
from shared.runtime.reconciling import Requeue
from shared.store.objects import Object, ObjectStore

REVISION_LABEL = "controller-revision-hash"
POD_NAME_LABEL = "statefulset.kubernetes.io/pod-name"
POD_INDEX_LABEL = "apps.kubernetes.io/pod-index"


def ordinal_of(statefulset: str, pod: Object) -> int | None:
    suffix = pod["metadata"]["name"].removeprefix(f"{statefulset}-")
    return int(suffix) if suffix.isdigit() else None


def update_revision(statefulset: Object) -> str:
    template = statefulset["spec"].get("template") or {}
    return f"{statefulset['metadata']['name']}-{template_hash(template)}"


def ordinal_pod(statefulset: Object, ordinal: int) -> Object:
    name = f"{statefulset['metadata']['name']}-{ordinal}"
    overrides = {"hostname": name}
    if statefulset["spec"].get("serviceName"):
        overrides["subdomain"] = statefulset["spec"]["serviceName"]
    return pod_from_template(
        statefulset["spec"].get("template") or {},
        owner=statefulset,
        name=name,
        labels={
            REVISION_LABEL: update_revision(statefulset),
            POD_NAME_LABEL: name,
            POD_INDEX_LABEL: str(ordinal),
        },
        spec_overrides=overrides,
    )


def statefulset_status(statefulset: Object, pods: list[Object]) -> Object:
    revision = update_revision(statefulset)
    previous = statefulset.get("status") or {}
    active = [pod for pod in pods if is_active(pod)]
    updated = sum(1 for pod in active if pod["metadata"]["labels"].get(REVISION_LABEL) == revision)
    ready = sum(1 for pod in active if is_pod_ready(pod))
    replicas = replicas_of(statefulset)
    rolled = updated == len(active) == replicas
    current = revision if rolled else previous.get("currentRevision", revision)
    return {
        "observedGeneration": statefulset["metadata"].get("generation", 1),
        "replicas": len(active),
        "readyReplicas": ready,
        "availableReplicas": ready,
        "currentReplicas": sum(
            1 for pod in active if pod["metadata"]["labels"].get(REVISION_LABEL) == current
        ),
        "updatedReplicas": updated,
        "currentRevision": current,
        "updateRevision": revision,
        "collisionCount": 0,
    }


class StatefulSetController:
    def __init__(
        self,
        store: ObjectStore,
        informers: SharedInformers,
        *,
        cluster: str,
        pacer: Pacer,
        cap: PodCap,
    ) -> None:
        self._store = store
        self._informers = informers
        self._pacer = pacer
        self._cap = cap
        self.loop = OwnerLoop(
            informers,
            name=f"sim/{cluster}/statefulsets",
            owner=STATEFULSETS,
            dependents=(PODS,),
            reconcile=self._reconcile,
            pacer=pacer,
        )

    async def _reconcile(self, statefulset: Object) -> Requeue | None:
        namespace = statefulset["metadata"]["namespace"]
        name = statefulset["metadata"]["name"]
        pods = self._informers.owned(PODS, statefulset)
        revision, refused = await self._step(statefulset, pods)
        if revision is not None:
            await self._informers.caught_up(PODS, revision)
            pods = self._informers.owned(PODS, statefulset)
        fresh = self._informers.get(STATEFULSETS, namespace, name) or statefulset
        await write_status(self._store, STATEFULSETS, fresh, statefulset_status(fresh, pods))
        return Requeue(after=RETRY_AFTER_S) if refused else None

    async def _create(self, statefulset: Object, ordinal: int) -> tuple[str | None, bool]:
        last, refusal = await create_pods(
            self._store,
            self._informers,
            bodies=[ordinal_pod(statefulset, ordinal)],
            count=1,
            cap=self._cap,
            pacer=self._pacer,
        )
        return last, refusal is not None

    async def _step(self, statefulset: Object, pods: list[Object]) -> tuple[str | None, bool]:
        """One move towards the desired pods: the revision of the write, if any, and whether
        the pod cap refused a pod (the ordinals from it on wait for a retry)."""
        name = statefulset["metadata"]["name"]
        parallel = statefulset["spec"].get("podManagementPolicy") == "Parallel"
        replicas = replicas_of(statefulset)
        by_ordinal = {
            ordinal: pod
            for pod in pods
            if is_active(pod) and (ordinal := ordinal_of(name, pod)) is not None
        }
        last: str | None = None
        for ordinal in range(replicas):
            pod = by_ordinal.get(ordinal)
            if pod is None:
                created, refused = await self._create(statefulset, ordinal)
                last = created or last
                if refused or not parallel:
                    return last, refused
            elif not parallel and not is_pod_ready(pod):
                return last, False
        if last is not None:
            return last, False
        surplus = sorted((o for o in by_ordinal if o >= replicas), reverse=True)
        for ordinal in surplus[: None if parallel else 1]:
            last = await self._delete(by_ordinal[ordinal]) or last
        if last is not None or surplus:
            return last, False
        strategy = (statefulset["spec"].get("updateStrategy") or {}).get("type", "RollingUpdate")
        if strategy == "OnDelete" or not all(is_pod_ready(pod) for pod in by_ordinal.values()):
            return None, False
        revision = update_revision(statefulset)
        stale = [
            ordinal
            for ordinal, pod in by_ordinal.items()
            if pod["metadata"]["labels"].get(REVISION_LABEL) != revision
        ]
        if stale:
            return await self._delete(by_ordinal[max(stale)]), False
        return None, False

    async def _delete(self, pod: Object) -> str | None:
        revision = await delete_quietly(
            self._store,
            PODS,
            namespace=pod["metadata"]["namespace"],
            name=pod["metadata"]["name"],
            uid=pod["metadata"]["uid"],
        )
        return str(revision) if revision else None

    def start(self) -> None:
        self.loop.start()

    async def stop(self) -> None:
        await self.loop.stop()
