"""What one member must hold for one binding, and the server-side apply that puts it there.

Pure parts first (the desired manifests with Navarch's labels and hash, the dependencies a
workload names, whether the live object has drifted), then the two member calls (apply with
field manager `navarch`, namespace creation). The reconcile in `members.py` strings them.
"""

import copy
import hashlib
from collections.abc import Iterator, Mapping, Sequence
from functools import cache
from typing import Any

import orjson

from services.override_engine.works import (
    BINDING_ANNOTATION,
    MANAGED_BY_LABEL,
    MANAGED_BY_VALUE,
    BindingKey,
    ManifestId,
)
from shared.api.resources import ResourceType
from shared.kubeapi.registry import Registry, hub_registry
from shared.members.client import MemberClient, MemberError, resource_path

Object = dict[str, Any]
HASH_ANNOTATION = "propagation.navarch.dev/manifest-hash"
DEPENDENCY_ANNOTATION = "propagation.navarch.dev/dependency"
RETAIN_REPLICAS_LABEL = "resourcetemplate.karmada.io/retain-replicas"
LAST_APPLIED_ANNOTATION = "kubectl.kubernetes.io/last-applied-configuration"
APPLY_CONTENT_TYPE = "application/apply-patch+yaml"
_KEPT_METADATA = ("name", "namespace", "labels", "annotations")
# Where each workload kind keeps its pod spec (dependencies are read from there).
_POD_SPEC_PATHS: dict[str, tuple[str, ...]] = {
    "Pod": ("spec",),
    "Deployment": ("spec", "template", "spec"),
    "StatefulSet": ("spec", "template", "spec"),
    "DaemonSet": ("spec", "template", "spec"),
    "ReplicaSet": ("spec", "template", "spec"),
    "Job": ("spec", "template", "spec"),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
}


@cache
def _registry() -> Registry:
    return hub_registry()


def resource_for(api_version: str, kind: str) -> ResourceType | None:
    """The hub's collection of a kind (templates, dependencies and member objects alike)."""
    found = _registry().by_kind(api_version, kind)
    return found.resource if found is not None else None


def collection_path(resource: ResourceType, namespace: str | None = None) -> str:
    return resource_path(
        group=resource.group,
        version=resource.version,
        plural=resource.plural,
        namespace=namespace if resource.namespaced else None,
    )


def object_path(resource: ResourceType, namespace: str, name: str) -> str:
    return resource_path(
        group=resource.group,
        version=resource.version,
        plural=resource.plural,
        namespace=namespace if resource.namespaced else None,
        name=name,
    )


def manifest_hash(manifest: Mapping[str, Any]) -> str:
    return hashlib.sha256(orjson.dumps(manifest, option=orjson.OPT_SORT_KEYS)).hexdigest()[:16]


def desired_manifest(
    rendered: Mapping[str, Any], *, binding: BindingKey | None, dependency: bool = False
) -> Object:
    """The rendered object as the member gets it: user metadata only (no uid, status or
    server fields), Navarch's label, the owning binding, and a hash of the content so a
    changed template is seen even where the live object keeps an old extra field."""
    manifest = {k: copy.deepcopy(v) for k, v in rendered.items() if k not in ("metadata", "status")}
    source = rendered.get("metadata") or {}
    metadata: Object = {k: copy.deepcopy(source[k]) for k in _KEPT_METADATA if source.get(k)}
    labels = dict(metadata.get("labels") or {})
    labels[MANAGED_BY_LABEL] = MANAGED_BY_VALUE
    annotations = {
        k: v for k, v in (metadata.get("annotations") or {}).items() if k != LAST_APPLIED_ANNOTATION
    }
    if dependency:
        annotations[DEPENDENCY_ANNOTATION] = "true"
    elif binding is not None:
        annotations[BINDING_ANNOTATION] = binding.reference()
    metadata["labels"] = labels
    metadata["annotations"] = annotations
    manifest["metadata"] = metadata
    annotations[HASH_ANNOTATION] = manifest_hash(manifest)
    return manifest


def retain_member_fields(desired: Object, live: Mapping[str, Any] | None) -> Object:
    """Fields the member owns stay as the member has them: with Karmada's retain-replicas
    label (a member-local HPA scales the workload) the live replicas are sent back."""
    labels = (desired.get("metadata") or {}).get("labels") or {}
    if live is None or labels.get(RETAIN_REPLICAS_LABEL) != "true":
        return desired
    live_replicas = (live.get("spec") or {}).get("replicas")
    if isinstance(live_replicas, int) and isinstance(desired.get("spec"), dict):
        desired["spec"]["replicas"] = live_replicas
    return desired


def _empty(value: Any) -> bool:
    return value is None or value == {} or value == []


def contained(desired: Any, live: Any) -> bool:
    """Every field Navarch sends has the value Navarch sent: maps by key, lists element by
    element. Fields only the live object has (defaults, other managers, status) are fine."""
    if isinstance(desired, Mapping):
        if not isinstance(live, Mapping):
            return all(_empty(value) for value in desired.values()) and live is None
        return all(
            contained(value, live.get(key)) if key in live else _empty(value)
            for key, value in desired.items()
        )
    if isinstance(desired, list):
        if not isinstance(live, list) or len(desired) != len(live):
            return not desired and live is None
        return all(contained(d, item) for d, item in zip(desired, live, strict=True))
    if isinstance(desired, bool) or isinstance(live, bool):
        return desired is live
    return bool(desired == live)


def drifted(desired: Mapping[str, Any], live: Mapping[str, Any] | None) -> bool:
    """True when an apply is needed: the object is missing or a field Navarch owns differs."""
    if live is None or (live.get("metadata") or {}).get("deletionTimestamp"):
        return True
    return not contained(desired, live)


def navarch_created(live: Mapping[str, Any]) -> bool:
    labels = (live.get("metadata") or {}).get("labels") or {}
    return labels.get(MANAGED_BY_LABEL) == MANAGED_BY_VALUE


def _pod_spec(workload: Mapping[str, Any]) -> Mapping[str, Any]:
    current: Any = workload
    for key in _POD_SPEC_PATHS.get(str(workload.get("kind")), ()):
        current = current.get(key) if isinstance(current, Mapping) else None
    return current if isinstance(current, Mapping) and current is not workload else {}


def _volume_refs(volume: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    if name := (volume.get("configMap") or {}).get("name"):
        yield "ConfigMap", name
    if name := (volume.get("secret") or {}).get("secretName"):
        yield "Secret", name
    if name := (volume.get("persistentVolumeClaim") or {}).get("claimName"):
        yield "PersistentVolumeClaim", name
    for source in (volume.get("projected") or {}).get("sources") or []:
        if name := (source.get("configMap") or {}).get("name"):
            yield "ConfigMap", name
        if name := (source.get("secret") or {}).get("name"):
            yield "Secret", name


def _container_refs(container: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    for env in container.get("env") or []:
        source = env.get("valueFrom") or {}
        if name := (source.get("configMapKeyRef") or {}).get("name"):
            yield "ConfigMap", name
        if name := (source.get("secretKeyRef") or {}).get("name"):
            yield "Secret", name
    for env_from in container.get("envFrom") or []:
        if name := (env_from.get("configMapRef") or {}).get("name"):
            yield "ConfigMap", name
        if name := (env_from.get("secretRef") or {}).get("name"):
            yield "Secret", name


def dependencies(workload: Mapping[str, Any]) -> list[ManifestId]:
    """ConfigMaps, Secrets, ServiceAccounts and PVCs the workload's pods name (Karmada's
    dependencies distributor for native workloads), sorted, without duplicates."""
    namespace = str((workload.get("metadata") or {}).get("namespace") or "")
    pod = _pod_spec(workload)
    found: set[tuple[str, str]] = set()
    for volume in pod.get("volumes") or []:
        found.update(_volume_refs(volume))
    for group in ("initContainers", "containers", "ephemeralContainers"):
        for container in pod.get(group) or []:
            found.update(_container_refs(container))
    for pull_secret in pod.get("imagePullSecrets") or []:
        if name := pull_secret.get("name"):
            found.add(("Secret", name))
    account = pod.get("serviceAccountName")
    if account and account != "default":
        found.add(("ServiceAccount", account))
    return sorted(ManifestId("v1", kind, namespace, name) for kind, name in found)


async def server_side_apply(
    member: MemberClient,
    *,
    resource: ResourceType,
    manifest: Mapping[str, Any],
    field_manager: str,
) -> Object:
    """Apply with `force`: fields another manager took (kubectl scale, set image) come back."""
    metadata = manifest["metadata"]
    path = object_path(resource, str(metadata.get("namespace") or ""), metadata["name"])
    return await member.request(
        "PATCH",
        path,
        query=[("fieldManager", field_manager), ("force", "true")],
        body=dict(manifest),
        content_type=APPLY_CONTENT_TYPE,
    )


async def ensure_namespace(member: MemberClient, name: str) -> None:
    """Create the namespace when missing; an existing one (409) is left as it is."""
    body = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}
    try:
        await member.request("POST", "/api/v1/namespaces", body=body)
    except MemberError as error:
        if error.status != 409:
            raise


async def delete_object(
    member: MemberClient, *, resource: ResourceType, identity: ManifestId, uid: str | None
) -> None:
    """Delete one object (gone already is fine); `uid` guards against deleting a newer
    object of the same name that someone else created meanwhile."""
    body: Object = {"apiVersion": "v1", "kind": "DeleteOptions", "propagationPolicy": "Background"}
    if uid:
        body["preconditions"] = {"uid": uid}
    try:
        await member.request(
            "DELETE", object_path(resource, identity.namespace, identity.name), body=body
        )
    except MemberError as error:
        if error.status not in (404, 409):
            raise


def identities(manifests: Sequence[Mapping[str, Any]]) -> list[ManifestId]:
    return [ManifestId.of(manifest) for manifest in manifests]
