"""What the workload controllers share: pods from templates, pod states, and the owner loop.

Each workload controller (ReplicaSet, Deployment, StatefulSet, Job) reconciles one owner
key from a de-duplicating queue; events on the owner, and on anything it controls (by
the controller ownerReference), enqueue it. Owners' own status writes are skipped.
"""

import copy
import itertools
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import orjson

from services.simulator.caching import SharedInformers
from services.simulator.capping import PodCap
from services.simulator.pacing import Pacer
from services.simulator.resources import PODS
from services.simulator.writing import controller_of, owner_reference
from shared.api.meta import LabelSelector
from shared.api.resources import ResourceType
from shared.runtime.informing import InformerEvent, ObjectKey
from shared.runtime.reconciling import ReconcileRunner, Requeue
from shared.store.errors import AlreadyExistsError, ConflictError, NotFoundError
from shared.store.objects import Object, ObjectStore

TERMINAL_PHASES = ("Succeeded", "Failed")
_SAFE_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"


def is_pod_ready(pod: Object) -> bool:
    for condition in (pod.get("status") or {}).get("conditions") or []:
        if condition.get("type") == "Ready":
            return condition.get("status") == "True"
    return False


def is_terminal(pod: Object) -> bool:
    return (pod.get("status") or {}).get("phase") in TERMINAL_PHASES


def is_active(pod: Object) -> bool:
    """Counts toward replicas: not finished, not being deleted (`FilterActivePods`)."""
    return not is_terminal(pod) and not pod["metadata"].get("deletionTimestamp")


def replicas_of(obj: Object, default: int = 1) -> int:
    value = (obj.get("spec") or {}).get("replicas")
    return default if value is None else int(value)


def selector_of(obj: Object) -> LabelSelector:
    return LabelSelector.model_validate((obj.get("spec") or {}).get("selector") or {})


def template_hash(template: Object, collision_count: int = 0) -> str:
    """A short, stable name for a pod template (FNV-32a, Kubernetes' safe alphabet)."""
    data = orjson.dumps(template, option=orjson.OPT_SORT_KEYS) + str(collision_count).encode()
    value = 0x811C9DC5
    for byte in data:
        value = ((value ^ byte) * 0x01000193) & 0xFFFFFFFF
    text = ""
    while value:
        value, digit = divmod(value, len(_SAFE_ALPHABET))
        text += _SAFE_ALPHABET[digit]
    return text[:10] or _SAFE_ALPHABET[0]


def pod_from_template(
    template: Object,
    *,
    owner: Object,
    name: str | None = None,
    labels: dict[str, str] | None = None,
    spec_overrides: dict[str, Any] | None = None,
) -> Object:
    """A Pending pod of `owner`; named `name`, or generated from the owner's name."""
    metadata = template.get("metadata") or {}
    spec = copy.deepcopy(template.get("spec") or {})
    spec.setdefault("containers", [])
    spec.setdefault("restartPolicy", "Always")
    spec.setdefault("schedulerName", "default-scheduler")
    spec.setdefault("terminationGracePeriodSeconds", 30)
    spec.setdefault("dnsPolicy", "ClusterFirst")
    spec.update(spec_overrides or {})
    pod_metadata: dict[str, Any] = {
        "namespace": owner["metadata"]["namespace"],
        "labels": {**(metadata.get("labels") or {}), **(labels or {})},
        "ownerReferences": [owner_reference(owner)],
    }
    if metadata.get("annotations"):
        pod_metadata["annotations"] = dict(metadata["annotations"])
    if name:
        pod_metadata["name"] = name
    else:
        pod_metadata["generateName"] = f"{owner['metadata']['name']}-"
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": pod_metadata,
        "spec": spec,
        "status": {"phase": "Pending", "qosClass": qos_class(spec)},
    }


def qos_class(spec: Object) -> str:
    containers = spec.get("containers") or []
    resources = [container.get("resources") or {} for container in containers]
    if not any(item.get("requests") or item.get("limits") for item in resources):
        return "BestEffort"
    guaranteed = all(
        (item.get("limits") or {}).get(name) is not None
        and (item.get("requests") or {}).get(name, (item.get("limits") or {}).get(name))
        == (item.get("limits") or {}).get(name)
        for item in resources
        for name in ("cpu", "memory")
    )
    return "Guaranteed" if guaranteed else "Burstable"


_NAME_ATTEMPTS = 3
"""A generated name may collide with a pod's (5 random letters); try a fresh one."""


async def create_pods(
    store: ObjectStore,
    informers: SharedInformers,
    *,
    bodies: Iterable[Object],
    count: int,
    cap: PodCap,
    pacer: Pacer,
) -> tuple[str | None, str | None]:
    """Create up to `count` of `bodies` within the pod cap, pacing between creations.

    Returns the last write's revision (the informer has seen it) and, when the cap
    refused some, the refusal message naming the first pod not created.
    """
    granted = cap.reserve(count)
    pending = iter(bodies)
    last: str | None = None
    try:
        for body in itertools.islice(pending, granted):
            created = await _create_pod(store, body)
            last = created["metadata"]["resourceVersion"]
            await pacer.pace()
        if last is not None:
            await informers.caught_up(PODS, last)
    finally:
        cap.release(granted)
    if granted >= count:
        return last, None
    refused = next(pending, None) or {}
    metadata = refused.get("metadata") or {}
    return last, cap.refusal(metadata.get("name") or metadata.get("generateName") or "")


async def _create_pod(store: ObjectStore, body: Object) -> Object:
    for _ in range(_NAME_ATTEMPTS - 1):
        try:
            return await store.create(PODS, body)
        except AlreadyExistsError:
            if body["metadata"].get("name"):
                raise
    return await store.create(PODS, body)


def _without_status(obj: Object) -> Object:
    metadata = {
        key: value
        for key, value in obj["metadata"].items()
        if key not in ("resourceVersion", "managedFields")
    }
    return {**{k: v for k, v in obj.items() if k != "status"}, "metadata": metadata}


Reconcile = Callable[[Object], Awaitable[Requeue | None]]


class OwnerLoop:
    """Queue and event wiring for a controller of `owner` objects over `dependents`."""

    def __init__(
        self,
        informers: SharedInformers,
        *,
        name: str,
        owner: ResourceType,
        dependents: tuple[ResourceType, ...],
        reconcile: Reconcile,
        pacer: Pacer,
    ) -> None:
        self._informers = informers
        self._pacer = pacer
        self._owner = owner
        self._reconcile_owner = reconcile
        self.runner: ReconcileRunner[ObjectKey] = ReconcileRunner(name, self._reconcile, workers=2)
        informers.on(owner, self._on_owner)
        for resource in dependents:
            informers.on(resource, self._on_dependent)

    def _on_owner(self, event: InformerEvent) -> None:
        if event.type == "MODIFIED" and event.old is not None:
            if _without_status(event.old) == _without_status(event.object):
                return
        self.runner.enqueue(event.key)

    def _on_dependent(self, event: InformerEvent) -> None:
        reference = controller_of(event.object)
        if reference and reference.get("kind") == self._owner.kind:
            namespace = event.object["metadata"].get("namespace") or ""
            self.runner.enqueue((namespace, reference["name"]))

    async def _reconcile(self, key: ObjectKey) -> Requeue | None:
        await self._pacer.pace()
        obj = self._informers.get(self._owner, key[0], key[1])
        if obj is None or obj["metadata"].get("deletionTimestamp"):
            return None
        return await self._reconcile_owner(obj)

    def start(self) -> None:
        self.runner.start()
        for obj in self._informers.list(self._owner):
            self.runner.enqueue((obj["metadata"]["namespace"], obj["metadata"]["name"]))

    async def stop(self) -> None:
        await self.runner.drain(timeout=2.0)


async def write_status(
    store: ObjectStore, resource: ResourceType, obj: Object, status: Object
) -> Object | None:
    """Write `status` when it differs from the cached object's (compare-and-set on its RV)."""
    if obj.get("status") == status:
        return None
    body = {**obj, "status": status}
    try:
        return await store.update_status(resource, body)
    except (ConflictError, NotFoundError):
        return None
