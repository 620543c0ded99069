"""How controllers write: read fresh, change, compare-and-set, retry on conflict.

Several controllers write different field groups of one object (the scheduler binds a
pod, the kubelet writes its status); reading the latest version right before each write
keeps them from overwriting each other.
"""

from collections.abc import Callable
from typing import Any

import orjson

from shared.api.resources import ResourceType
from shared.store.errors import ConflictError, NotFoundError
from shared.store.objects import Object, ObjectStore

Change = Callable[[Object], Object | None]
_ATTEMPTS = 8


def clone(obj: Object) -> Object:
    """A deep copy of a JSON object: orjson's round trip is several times faster than
    `copy.deepcopy`, which was the simulator's hottest path (every controller write)."""
    return orjson.loads(orjson.dumps(obj))


async def mutate(
    store: ObjectStore,
    resource: ResourceType,
    *,
    namespace: str | None,
    name: str,
    change: Change,
    status: bool = False,
) -> Object | None:
    """Apply `change` to the latest object; None when it is gone or `change` returns None.

    `change` gets a copy it may edit in place and returns the object to write (or None
    for nothing to do); `status=True` writes the status subresource.
    """
    for _ in range(_ATTEMPTS):
        try:
            current = await store.get(resource, namespace, name)
        except NotFoundError:
            return None
        desired = change(clone(current))
        if desired is None or desired == current:
            return current
        try:
            if status:
                return await store.update_status(resource, desired)
            return await store.update(resource, desired)
        except NotFoundError:
            return None
        except ConflictError:
            continue
    raise ConflictError(f"{resource.group_resource} {name!r}: too many conflicting writers")


async def delete_quietly(
    store: ObjectStore, resource: ResourceType, *, namespace: str | None, name: str, uid: str
) -> int | None:
    """Delete one object if it is still the same one; its deletion revision, if deleted."""
    try:
        result = await store.delete(resource, namespace, name, uid=uid)
    except (NotFoundError, ConflictError):
        return None
    return int(result.object["metadata"]["resourceVersion"])


def set_condition(
    conditions: list[dict[str, Any]],
    *,
    type_: str,
    status: str,
    reason: str,
    message: str,
    now: str,
    extra_times: tuple[str, ...] = (),
) -> list[dict[str, Any]]:
    """Replace one condition, keeping lastTransitionTime unless the status flips.

    `extra_times` names timestamps refreshed only when anything about the condition
    changed (Deployments' `lastUpdateTime`); heartbeats are written by their owner.
    """
    previous = next((item for item in conditions if item.get("type") == type_), None)
    changed = previous is None or (
        previous.get("status"),
        previous.get("reason"),
        previous.get("message"),
    ) != (status, reason, message)
    condition: dict[str, Any] = dict(previous or {})
    condition.update(type=type_, status=status, reason=reason, message=message)
    if previous is None or previous.get("status") != status:
        condition["lastTransitionTime"] = now
    for field in extra_times:
        if changed or field not in condition:
            condition[field] = now
    others = [item for item in conditions if item.get("type") != type_]
    if previous is None:
        return [*others, condition]
    return [condition if item.get("type") == type_ else item for item in conditions]


def condition_status(obj: Object, type_: str) -> str | None:
    for condition in (obj.get("status") or {}).get("conditions") or []:
        if condition.get("type") == type_:
            return condition.get("status")
    return None


def owner_reference(owner: Object) -> dict[str, Any]:
    """A controller reference that blocks the owner's foreground deletion, like Kubernetes'."""
    return {
        "apiVersion": owner["apiVersion"],
        "kind": owner["kind"],
        "name": owner["metadata"]["name"],
        "uid": owner["metadata"]["uid"],
        "controller": True,
        "blockOwnerDeletion": True,
    }


def controller_of(obj: Object) -> dict[str, Any] | None:
    for reference in obj["metadata"].get("ownerReferences") or []:
        if reference.get("controller"):
            return reference
    return None


def controller_uid(obj: Object) -> str | None:
    reference = controller_of(obj)
    return reference.get("uid") if reference else None
