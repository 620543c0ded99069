"""Deployment controller: one ReplicaSet per pod template, rolled by maxSurge/maxUnavailable.

Follows `pkg/controller/deployment` closely enough for `kubectl rollout status|history` and
for controllers that read Deployment status: revisions as annotations, the new ReplicaSet
scaled up within maxSurge, old ones scaled down while keeping
`replicas - maxUnavailable` available, and `Available`/`Progressing` conditions.
"""

import math
from typing import Any

from services.simulator.caching import SharedInformers
from services.simulator.pacing import Pacer
from services.simulator.replicasets import REPLICA_FAILURE
from services.simulator.resources import DEPLOYMENTS, REPLICASETS
from services.simulator.workloads import OwnerLoop, replicas_of, template_hash, write_status
from services.simulator.writing import delete_quietly, mutate, owner_reference, set_condition
from shared.runtime.reconciling import Requeue
from shared.store.errors import AlreadyExistsError
from shared.store.objects import Object, ObjectStore, utc_timestamp

HASH_LABEL = "pod-template-hash"
REVISION = "deployment.kubernetes.io/revision"
DESIRED_REPLICAS = "deployment.kubernetes.io/desired-replicas"
MAX_REPLICAS = "deployment.kubernetes.io/max-replicas"


def _scaled(value: Any, total: int, *, round_up: bool) -> int:
    """intstr.GetScaledValueFromIntOrPercent."""
    if value is None:
        value = "25%"
    if isinstance(value, str) and value.endswith("%"):
        exact = int(value[:-1]) * total / 100
        return math.ceil(exact) if round_up else math.floor(exact)
    return int(value)


def surge_and_unavailable(deployment: Object) -> tuple[int, int]:
    """(maxSurge, maxUnavailable) for the rolling strategy; never both zero."""
    replicas = replicas_of(deployment)
    strategy = deployment["spec"].get("strategy") or {}
    if strategy.get("type") == "Recreate":
        return 0, replicas
    rolling = strategy.get("rollingUpdate") or {}
    surge = _scaled(rolling.get("maxSurge"), replicas, round_up=True)
    unavailable = _scaled(rolling.get("maxUnavailable"), replicas, round_up=False)
    if surge == 0 and unavailable == 0:
        unavailable = 1
    return surge, min(unavailable, replicas)


def _spec_replicas(rs: Object) -> int:
    return replicas_of(rs, 0)


def _available(rs: Object) -> int:
    """Available pods; capped by spec until the ReplicaSet controller has seen a scale-down."""
    status = rs.get("status") or {}
    available = int(status.get("availableReplicas") or 0)
    if status.get("observedGeneration") != rs["metadata"].get("generation"):
        return min(available, _spec_replicas(rs))
    return available


def _revision(rs: Object) -> int:
    try:
        return int((rs["metadata"].get("annotations") or {}).get(REVISION, "0"))
    except ValueError:
        return 0


def plan_rollout(deployment: Object, new: Object, olds: list[Object]) -> dict[str, int]:
    """Target `spec.replicas` per ReplicaSet name for the next step (rolling.go)."""
    replicas = replicas_of(deployment)
    surge, max_unavailable = surge_and_unavailable(deployment)
    new_name = new["metadata"]["name"]
    everything = [new, *olds]
    total = sum(_spec_replicas(rs) for rs in everything)
    if (deployment["spec"].get("strategy") or {}).get("type") == "Recreate":
        if any(_spec_replicas(rs) or (rs.get("status") or {}).get("replicas") for rs in olds):
            return {**{rs["metadata"]["name"]: 0 for rs in olds}, new_name: 0}
        return {new_name: replicas}
    if _spec_replicas(new) > replicas or not olds:
        return {new_name: replicas}
    if _spec_replicas(new) < replicas:
        grown = min(replicas, _spec_replicas(new) + max(0, replicas + surge - total))
        if grown != _spec_replicas(new):
            return {new_name: grown}
    targets: dict[str, int] = {}
    min_available = replicas - max_unavailable
    new_unavailable = _spec_replicas(new) - _available(new)
    budget = total - min_available - new_unavailable
    if budget <= 0:
        return targets
    oldest_first = sorted(olds, key=lambda rs: rs["metadata"].get("creationTimestamp", ""))
    for rs in oldest_first:
        if budget <= 0:
            break
        unhealthy = _spec_replicas(rs) - _available(rs)
        if unhealthy > 0:
            cut = min(budget, unhealthy)
            targets[rs["metadata"]["name"]] = _spec_replicas(rs) - cut
            budget -= cut
    available = sum(_available(rs) for rs in everything)
    removable = available - min_available
    for rs in oldest_first:
        if removable <= 0:
            break
        current = targets.get(rs["metadata"]["name"], _spec_replicas(rs))
        cut = min(current, removable)
        if cut:
            targets[rs["metadata"]["name"]] = current - cut
            removable -= cut
    return targets


def deployment_status(deployment: Object, new: Object | None, olds: list[Object]) -> Object:
    everything = [rs for rs in (new, *olds) if rs is not None]
    replicas = replicas_of(deployment)
    _, max_unavailable = surge_and_unavailable(deployment)
    statuses = [rs.get("status") or {} for rs in everything]
    total = sum(int(status.get("replicas") or 0) for status in statuses)
    available = sum(int(status.get("availableReplicas") or 0) for status in statuses)
    updated = int(((new or {}).get("status") or {}).get("replicas") or 0)
    now = utc_timestamp()
    previous = list((deployment.get("status") or {}).get("conditions") or [])
    minimum = available >= replicas - max_unavailable
    conditions = set_condition(
        previous,
        type_="Available",
        status="True" if minimum else "False",
        reason="MinimumReplicasAvailable" if minimum else "MinimumReplicasUnavailable",
        message="Deployment has minimum availability."
        if minimum
        else "Deployment does not have minimum availability.",
        now=now,
        extra_times=("lastUpdateTime",),
    )
    name = (new or {}).get("metadata", {}).get("name", "")
    complete = updated == replicas and total == replicas and available == replicas
    conditions = set_condition(
        conditions,
        type_="Progressing",
        status="True",
        reason="NewReplicaSetAvailable" if complete else "ReplicaSetUpdated",
        message=f'ReplicaSet "{name}" has successfully progressed.'
        if complete
        else f'ReplicaSet "{name}" is progressing.',
        now=now,
        extra_times=("lastUpdateTime",),
    )
    conditions = _replica_failure(conditions, everything)
    return {
        "observedGeneration": deployment["metadata"].get("generation", 1),
        "replicas": total,
        "updatedReplicas": updated,
        "readyReplicas": sum(int(status.get("readyReplicas") or 0) for status in statuses),
        "availableReplicas": available,
        "unavailableReplicas": max(0, sum(_spec_replicas(rs) for rs in everything) - available),
        "conditions": conditions,
    }


def _replica_failure(conditions: list[Object], sets: list[Object]) -> list[Object]:
    """`getReplicaFailures`: the new ReplicaSet's ReplicaFailure first, moved onto the
    Deployment with its transition time (`ReplicaSetToDeploymentCondition`), or removed."""
    failure = next(
        (
            condition
            for rs in sets
            for condition in (rs.get("status") or {}).get("conditions") or []
            if condition.get("type") == REPLICA_FAILURE
        ),
        None,
    )
    if failure is None:
        return [c for c in conditions if c.get("type") != REPLICA_FAILURE]
    return set_condition(
        conditions,
        type_=REPLICA_FAILURE,
        status=failure.get("status", "True"),
        reason=failure.get("reason", ""),
        message=failure.get("message", ""),
        now=failure.get("lastTransitionTime") or utc_timestamp(),
        extra_times=("lastUpdateTime",),
    )


def new_replicaset(deployment: Object, *, pod_hash: str, replicas: int, revision: int) -> Object:
    template = dict(deployment["spec"].get("template") or {})
    metadata = dict(template.get("metadata") or {})
    metadata["labels"] = {**(metadata.get("labels") or {}), HASH_LABEL: pod_hash}
    template["metadata"] = metadata
    selector = dict(deployment["spec"].get("selector") or {})
    selector["matchLabels"] = {**(selector.get("matchLabels") or {}), HASH_LABEL: pod_hash}
    return {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {
            "name": f"{deployment['metadata']['name']}-{pod_hash}",
            "namespace": deployment["metadata"]["namespace"],
            "labels": metadata["labels"],
            "annotations": _annotations(deployment, revision=revision),
            "ownerReferences": [owner_reference(deployment)],
        },
        "spec": {
            "replicas": replicas,
            "minReadySeconds": deployment["spec"].get("minReadySeconds", 0),
            "selector": selector,
            "template": template,
        },
    }


def _annotations(deployment: Object, *, revision: int) -> dict[str, str]:
    surge, _ = surge_and_unavailable(deployment)
    replicas = replicas_of(deployment)
    return {
        REVISION: str(revision),
        DESIRED_REPLICAS: str(replicas),
        MAX_REPLICAS: str(replicas + surge),
    }


class DeploymentController:
    def __init__(
        self, store: ObjectStore, informers: SharedInformers, *, cluster: str, pacer: Pacer
    ) -> None:
        self._store = store
        self._informers = informers
        self.loop = OwnerLoop(
            informers,
            name=f"sim/{cluster}/deployments",
            owner=DEPLOYMENTS,
            dependents=(REPLICASETS,),
            reconcile=self._reconcile,
            pacer=pacer,
        )

    async def _reconcile(self, deployment: Object) -> Requeue | None:
        namespace = deployment["metadata"]["namespace"]
        sets = self._informers.owned(REPLICASETS, deployment)
        pod_hash = template_hash(deployment["spec"].get("template") or {})
        new = next((rs for rs in sets if rs["metadata"]["name"].endswith(f"-{pod_hash}")), None)
        olds = [rs for rs in sets if rs is not new]
        newest_old = max((_revision(rs) for rs in olds), default=0)
        last: str | None = None
        if new is None:
            revision = newest_old + 1
            placeholder = {"metadata": {"name": ""}, "spec": {"replicas": 0}}
            initial = plan_rollout(deployment, placeholder, olds).get("", 0)
            body = new_replicaset(
                deployment, pod_hash=pod_hash, replicas=initial, revision=revision
            )
            try:
                created = await self._store.create(REPLICASETS, body)
            except AlreadyExistsError:
                return Requeue(after=0.05)
            last = created["metadata"]["resourceVersion"]
        else:
            revision = _revision(new) if _revision(new) > newest_old else newest_old + 1
            targets = plan_rollout(deployment, new, olds)
            targets.setdefault(new["metadata"]["name"], _spec_replicas(new))
            for name, replicas in targets.items():
                is_new = name == new["metadata"]["name"]
                written = await self._scale(
                    deployment, name, replicas, revision=revision if is_new else None
                )
                last = written or last
            last = await self._prune(deployment, olds) or last
        await self._annotate(deployment, revision)
        if last is not None:
            await self._informers.caught_up(REPLICASETS, last)
            sets = self._informers.owned(REPLICASETS, deployment)
            new = next((rs for rs in sets if rs["metadata"]["name"].endswith(f"-{pod_hash}")), None)
            olds = [rs for rs in sets if rs is not new]
        fresh = self._informers.get(DEPLOYMENTS, namespace, deployment["metadata"]["name"])
        if fresh is not None:
            await write_status(self._store, DEPLOYMENTS, fresh, deployment_status(fresh, new, olds))
        return None

    async def _scale(
        self, deployment: Object, name: str, replicas: int, *, revision: int | None
    ) -> str | None:
        """Set one ReplicaSet's replicas; the new one also gets the current revision."""
        annotations = _annotations(deployment, revision=revision or 0)
        if revision is None:
            annotations.pop(REVISION)

        def scale(rs: Object) -> Object:
            rs["spec"]["replicas"] = replicas
            rs["metadata"].setdefault("annotations", {}).update(annotations)
            return rs

        written = await mutate(
            self._store,
            REPLICASETS,
            namespace=deployment["metadata"]["namespace"],
            name=name,
            change=scale,
        )
        return written["metadata"]["resourceVersion"] if written else None

    async def _prune(self, deployment: Object, olds: list[Object]) -> str | None:
        """Delete drained old ReplicaSets beyond `revisionHistoryLimit` (default 10)."""
        limit = int(deployment["spec"].get("revisionHistoryLimit", 10))
        drained = [
            rs
            for rs in olds
            if _spec_replicas(rs) == 0 and not (rs.get("status") or {}).get("replicas")
        ]
        drained.sort(key=_revision)
        last = None
        for rs in drained[: max(0, len(drained) - limit)]:
            revision = await delete_quietly(
                self._store,
                REPLICASETS,
                namespace=rs["metadata"]["namespace"],
                name=rs["metadata"]["name"],
                uid=rs["metadata"]["uid"],
            )
            last = str(revision) if revision else last
        return last

    async def _annotate(self, deployment: Object, revision: int) -> None:
        if (deployment["metadata"].get("annotations") or {}).get(REVISION) == str(revision):
            return

        def annotate(current: Object) -> Object:
            current["metadata"].setdefault("annotations", {})[REVISION] = str(revision)
            return current

        await mutate(
            self._store,
            DEPLOYMENTS,
            namespace=deployment["metadata"]["namespace"],
            name=deployment["metadata"]["name"],
            change=annotate,
        )

    def start(self) -> None:
        self.loop.start()

    async def stop(self) -> None:
        await self.loop.stop()
