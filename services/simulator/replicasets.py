"""ReplicaSet controller: keep `spec.replicas` active pods, report what they are doing.

Pods are created within the cluster's pod cap; a refused create is reported like
Kubernetes reports an exceeded quota: condition `ReplicaFailure`, reason `FailedCreate`.
"""

from services.simulator.caching import SharedInformers
from services.simulator.capping import RETRY_AFTER_S, PodCap
from services.simulator.pacing import Pacer
from services.simulator.resources import PODS, REPLICASETS
from services.simulator.workloads import (
    OwnerLoop,
    create_pods,
    is_active,
    is_pod_ready,
    pod_from_template,
    replicas_of,
    selector_of,
    write_status,
)
from services.simulator.writing import delete_quietly
from shared.runtime.reconciling import Requeue
from shared.store.objects import Object, ObjectStore, utc_timestamp

REPLICA_FAILURE = "ReplicaFailure"

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


def failure_conditions(rs: Object, *, refused: str | None, now: str) -> list[Object]:
    """`calculateStatus`: a ReplicaFailure is added once (not reworded) and removed on success."""
    conditions = list((rs.get("status") or {}).get("conditions") or [])
    failure = next((c for c in conditions if c.get("type") == REPLICA_FAILURE), None)
    if refused is not None and failure is None:
        conditions.append(
            {
                "type": REPLICA_FAILURE,
                "status": "True",
                "reason": "FailedCreate",
                "message": refused,
                "lastTransitionTime": now,
            }
        )
    elif refused is None and failure is not None:
        conditions = [c for c in conditions if c.get("type") != REPLICA_FAILURE]
    return conditions


def replicaset_status(
    rs: Object, pods: list[Object], *, refused: str | None = None, now: str = ""
) -> Object:
    active = [pod for pod in pods if is_active(pod)]
    selector = selector_of(rs)
    template_labels = ((rs["spec"].get("template") or {}).get("metadata") or {}).get("labels") or {}
    ready = sum(1 for pod in active if is_pod_ready(pod))
    status: Object = {
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
    conditions = failure_conditions(rs, refused=refused, now=now or utc_timestamp())
    if conditions:
        status["conditions"] = conditions
    return status


class ReplicaSetController:
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
            name=f"sim/{cluster}/replicasets",
            owner=REPLICASETS,
            dependents=(PODS,),
            reconcile=self._reconcile,
            pacer=pacer,
        )

    async def _reconcile(self, rs: Object) -> Requeue | None:
        namespace = rs["metadata"]["namespace"]
        pods = self._informers.owned(PODS, rs)
        active = [pod for pod in pods if is_active(pod)]
        diff = replicas_of(rs) - len(active)
        last_revision: str | int | None = None
        refused: str | None = None
        if diff > 0:
            template = rs["spec"].get("template") or {}
            last_revision, refused = await create_pods(
                self._store,
                self._informers,
                bodies=(pod_from_template(template, owner=rs) for _ in range(diff)),
                count=diff,
                cap=self._cap,
                pacer=self._pacer,
            )
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
                await self._pacer.pace()
        if last_revision is not None:
            await self._informers.caught_up(PODS, last_revision)
            pods = self._informers.owned(PODS, rs)
        status = replicaset_status(rs, pods, refused=refused)
        await write_status(self._store, REPLICASETS, rs, status)
        return Requeue(after=RETRY_AFTER_S) if refused is not None else None

    def start(self) -> None:
        self.loop.start()

    async def stop(self) -> None:
        await self.loop.stop()
