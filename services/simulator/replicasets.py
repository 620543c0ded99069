"""ReplicaSet controller: keep `spec.replicas` active pods, report what they are doing."""

from services.simulator.caching import SharedInformers
from services.simulator.resources import PODS, REPLICASETS
from services.simulator.workloads import (
    OwnerLoop,
    is_active,
    is_pod_ready,
    owned,
    pod_from_template,
    replicas_of,
    selector_of,
    write_status,
)
from services.simulator.writing import delete_quietly
from shared.runtime.reconciling import Requeue
from shared.store.objects import Object, ObjectStore

_PHASE_RANK = {"Pending": 0, "Unknown": 1, "Running": 2}


def deletion_order(pods: list[Object]) -> list[Object]:
    """Pods to remove first when scaling down (`ActivePods` ranking): unbound, pending,
    not ready, then the newest."""
    newest_first = sorted(
        pods, key=lambda pod: pod["metadata"].get("creationTimestamp", ""), reverse=True
    )
    return sorted(
        newest_first,
        key=lambda pod: (
            bool(pod["spec"].get("nodeName")),
            _PHASE_RANK.get((pod.get("status") or {}).get("phase", "Pending"), 0),
            is_pod_ready(pod),
        ),
    )


def replicaset_status(rs: Object, pods: list[Object]) -> Object:
    active = [pod for pod in pods if is_active(pod)]
    selector = selector_of(rs)
    template_labels = ((rs["spec"].get("template") or {}).get("metadata") or {}).get("labels") or {}
    ready = sum(1 for pod in active if is_pod_ready(pod))
    return {
        "replicas": len(active),
        "fullyLabeledReplicas": sum(
            1
            for pod in active
            if selector.matches(pod["metadata"].get("labels") or {})
            and all(pod["metadata"]["labels"].get(k) == v for k, v in template_labels.items())
        ),
        "readyReplicas": ready,
        "availableReplicas": ready,
        "observedGeneration": rs["metadata"].get("generation", 1),
    }


class ReplicaSetController:
    def __init__(self, store: ObjectStore, informers: SharedInformers, *, cluster: str) -> None:
        self._store = store
        self._informers = informers
        self.loop = OwnerLoop(
            informers,
            name=f"sim/{cluster}/replicasets",
            owner=REPLICASETS,
            dependents=(PODS,),
            reconcile=self._reconcile,
        )

    async def _reconcile(self, rs: Object) -> Requeue | None:
        namespace = rs["metadata"]["namespace"]
        pods = owned(self._informers.list(PODS, namespace=namespace), rs)
        active = [pod for pod in pods if is_active(pod)]
        diff = replicas_of(rs) - len(active)
        last_revision: str | int | None = None
        if diff > 0:
            template = rs["spec"].get("template") or {}
            for _ in range(diff):
                created = await self._store.create(PODS, pod_from_template(template, owner=rs))
                last_revision = created["metadata"]["resourceVersion"]
        elif diff < 0:
            for pod in deletion_order(active)[:-diff]:
                revision = await delete_quietly(
                    self._store,
                    PODS,
                    namespace=namespace,
                    name=pod["metadata"]["name"],
                    uid=pod["metadata"]["uid"],
                )
                last_revision = revision or last_revision
        if last_revision is not None:
            await self._informers.caught_up(PODS, last_revision)
            pods = owned(self._informers.list(PODS, namespace=namespace), rs)
        await write_status(self._store, REPLICASETS, rs, replicaset_status(rs, pods))
        return None

    def start(self) -> None:
        self.loop.start()

    async def stop(self) -> None:
        await self.loop.stop()
