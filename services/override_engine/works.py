"""Karmada's `work.karmada.io/v1alpha1` Work: what was sent to which member, and whether it took.

One Work per (binding, cluster) in the cluster's execution namespace `karmada-es-<cluster>`,
holding the rendered manifests and an `Applied` condition. The override-engine is the only
writer. Besides showing users what each member runs, the Works are the durable record of
which members may hold a copy: removal works from them after a restart.
"""

import dataclasses
import hashlib
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from shared.api.kinds import WORKS
from shared.api.meta import Condition

WORK_API_VERSION = "work.karmada.io/v1alpha1"
EXECUTION_NAMESPACE_PREFIX = "karmada-es-"
MANAGED_BY_LABEL = "propagation.navarch.dev/managed-by"
MANAGED_BY_VALUE = "navarch"
BINDING_ANNOTATION = "propagation.navarch.dev/binding"
CLUSTER_ANNOTATION = "propagation.navarch.dev/cluster"
CONDITION_APPLIED = "Applied"
REASON_APPLIED = "AppliedSuccessful"
REASON_APPLY_FAILED = "AppliedFailed"
WORKS_WRITE = dataclasses.replace(WORKS, status_subresource=False)
"""Works are written only by this service, so `update` writes status in the same revision."""

Object = dict[str, Any]


class BindingKey(NamedTuple):
    """A (Cluster)ResourceBinding as work queues name it."""

    kind: str
    namespace: str
    name: str

    def reference(self) -> str:
        """`ResourceBinding/<namespace>/<name>`: the value of the binding annotation."""
        return f"{self.kind}/{self.namespace}/{self.name}"

    @classmethod
    def parse(cls, reference: str) -> "BindingKey | None":
        parts = reference.split("/")
        if len(parts) != 3 or parts[0] not in ("ResourceBinding", "ClusterResourceBinding"):
            return None
        return cls(parts[0], parts[1], parts[2])


class ManifestId(NamedTuple):
    """Which member object a manifest is: (apiVersion, kind, namespace, name)."""

    api_version: str
    kind: str
    namespace: str
    name: str

    @classmethod
    def of(cls, obj: Mapping[str, Any]) -> "ManifestId":
        metadata = obj.get("metadata") or {}
        return cls(
            str(obj.get("apiVersion", "")),
            str(obj.get("kind", "")),
            str(metadata.get("namespace") or ""),
            str(metadata.get("name", "")),
        )


def execution_namespace(cluster: str) -> str:
    return f"{EXECUTION_NAMESPACE_PREFIX}{cluster}"


def cluster_of_namespace(namespace: str) -> str | None:
    if namespace.startswith(EXECUTION_NAMESPACE_PREFIX):
        return namespace.removeprefix(EXECUTION_NAMESPACE_PREFIX)
    return None


def work_name(binding: BindingKey) -> str:
    """Karmada's GenerateWorkName shape: `<name>-<short hash of kind/namespace/name>`, so two
    bindings of the same name in different namespaces never share a Work."""
    digest = hashlib.sha256(binding.reference().encode()).hexdigest()[:10]
    return f"{binding.name[:240]}-{digest}"


def manifests_of(work: Mapping[str, Any] | None) -> list[Object]:
    if work is None:
        return []
    workload = (work.get("spec") or {}).get("workload") or {}
    return [m for m in workload.get("manifests") or [] if isinstance(m, dict)]


def binding_of(work: Mapping[str, Any]) -> BindingKey | None:
    annotations = (work.get("metadata") or {}).get("annotations") or {}
    return BindingKey.parse(str(annotations.get(BINDING_ANNOTATION, "")))


def applied_condition(work: Mapping[str, Any] | None) -> Condition | None:
    for raw in ((work or {}).get("status") or {}).get("conditions") or []:
        if raw.get("type") == CONDITION_APPLIED:
            return Condition.model_validate(raw)
    return None


def next_condition(
    previous: Condition | None, *, applied: bool, message: str, now: str
) -> Condition:
    """The Applied condition; its transition time moves only when status or reason do."""
    status = "True" if applied else "False"
    reason = REASON_APPLIED if applied else REASON_APPLY_FAILED
    transition = now
    if previous is not None and (previous.status, previous.reason) == (status, reason):
        transition = previous.last_transition_time or now
    return Condition(
        type=CONDITION_APPLIED,
        status=status,
        reason=reason,
        message=message,
        last_transition_time=transition,
    )


def build_work(
    *,
    binding: BindingKey,
    cluster: str,
    manifests: Sequence[Object],
    condition: Condition | None,
    existing: Mapping[str, Any] | None,
) -> Object:
    """The whole Work as it should be stored; compare with `existing` to skip no-op writes.
    Without a condition it records what is about to be applied (nothing answered yet)."""
    metadata: Object = {
        "name": work_name(binding),
        "namespace": execution_namespace(cluster),
        "labels": {MANAGED_BY_LABEL: MANAGED_BY_VALUE},
        "annotations": {BINDING_ANNOTATION: binding.reference(), CLUSTER_ANNOTATION: cluster},
    }
    if existing is not None:
        metadata = dict(existing.get("metadata") or {}, **metadata)
    return {
        "apiVersion": WORK_API_VERSION,
        "kind": "Work",
        "metadata": metadata,
        "spec": {"workload": {"manifests": list(manifests)}},
        "status": {"conditions": [condition.to_dict()]} if condition is not None else {},
    }


def same_work(desired: Mapping[str, Any], existing: Mapping[str, Any] | None) -> bool:
    """Equal apart from server-set metadata: nothing to write."""
    if existing is None:
        return False
    return (
        desired.get("spec") == existing.get("spec")
        and desired.get("status") == existing.get("status")
        and (desired["metadata"].get("labels") == (existing.get("metadata") or {}).get("labels"))
        and desired["metadata"].get("annotations")
        == (existing.get("metadata") or {}).get("annotations")
    )
