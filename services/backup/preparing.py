"""What a backed-up object looks like when a restore sends it back to a cluster.

Ported from vmware-tanzu/velero `pkg/restore/restore.go` (resetMetadata, resetStatus,
determineRestoreStatus, addRestoreLabels, getNamespace, the namespace rewrite of restoreItem)
and the item actions `pkg/restore/actions/service_action.go` and `pod_action.go`. Server-set
metadata goes; labels, annotations, finalizers and managedFields stay; `status` is written back
through the status subresource only when the restore asks for it.
"""

import copy
import hashlib
import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from services.backup.filtering import IncludesExcludes, KubeObject

BACKUP_NAME_LABEL = "velero.io/backup-name"
RESTORE_NAME_LABEL = "velero.io/restore-name"
RESTORE_STATUS_ANNOTATION = "velero.io/restore-status"
LAST_APPLIED_ANNOTATION = "kubectl.kubernetes.io/last-applied-configuration"
_LABEL_MAX_LENGTH = 63
_HASH_CHARACTERS = 6

_SERVER_SET_METADATA = (
    "generateName",
    "selfLink",
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "ownerReferences",
)


class RestoreItemError(ValueError):
    """An item Velero could not prepare; the restore records the message as an item error."""


class AdditionalItem(BaseModel):
    model_config = ConfigDict(frozen=True)

    group_resource: str
    name: str
    namespace: str = ""


class PreparedItem(BaseModel):
    """The object to create, the status to write afterwards (or None), extra items to restore."""

    object: KubeObject
    status: Any = None
    additional_items: list[AdditionalItem] = Field(default_factory=list)


def valid_label_value(value: str) -> str:
    """label.GetValidName: longer than 63 characters -> 57 characters + 6 of its sha256."""
    if len(value) <= _LABEL_MAX_LENGTH:
        return value
    digest = hashlib.sha256(value.encode()).hexdigest()
    return value[: _LABEL_MAX_LENGTH - _HASH_CHARACTERS] + digest[:_HASH_CHARACTERS]


def reset_metadata(obj: KubeObject) -> KubeObject:
    """resetMetadata: drop what the source API server set; keep the rest of metadata."""
    if "metadata" not in obj:
        raise RestoreItemError("metadata not found")
    metadata = obj["metadata"]
    if not isinstance(metadata, dict):
        raise RestoreItemError(
            f"metadata was of type {type(metadata).__name__}, expected map[string]any"
        )
    for key in _SERVER_SET_METADATA:
        metadata.pop(key, None)
    return obj


def restores_status(
    obj: KubeObject, *, group_resource: str, restore_status: IncludesExcludes | None
) -> bool:
    """determineRestoreStatus: the restore's `restoreStatus`, overridden per object by the
    `velero.io/restore-status: "true"|"false"` annotation."""
    decision = restore_status.should_include(group_resource) if restore_status else False
    annotations = (obj.get("metadata") or {}).get("annotations") or {}
    value = str(annotations.get(RESTORE_STATUS_ANNOTATION, "")).strip().lower()
    if value == "true":
        return True
    if value == "false":
        return False
    return decision


def target_namespace(namespace: str, mapping: dict[str, str] | None) -> str:
    """namespaceMapping: a mapped source namespace is renamed, any other keeps its name."""
    return (mapping or {}).get(namespace, namespace)


def namespace_for_restore(backed_up: KubeObject | None, *, name: str) -> KubeObject:
    """getNamespace: the Namespace to ensure, carrying the backed-up labels, annotations, spec."""
    if backed_up is None:
        return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}
    metadata: dict[str, Any] = {"name": name}
    source = backed_up.get("metadata") or {}
    for key in ("labels", "annotations"):
        if source.get(key):
            metadata[key] = source[key]
    namespace: KubeObject = {
        "apiVersion": backed_up.get("apiVersion", "v1"),
        "kind": backed_up.get("kind", "Namespace"),
        "metadata": metadata,
    }
    if backed_up.get("spec"):
        namespace["spec"] = backed_up["spec"]
    return namespace


def _applied_configuration(annotations: dict[str, Any]) -> dict[str, Any] | None:
    text = annotations.get(LAST_APPLIED_ANNOTATION)
    if text is None:
        return None
    try:
        applied = json.loads(text)
    except json.JSONDecodeError as error:
        raise RestoreItemError(f"{LAST_APPLIED_ANNOTATION} is not JSON: {error}") from error
    return applied if isinstance(applied, dict) else {}


def _managed_spec_fields(metadata: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for entry in metadata.get("managedFields") or []:
        fields = (entry or {}).get("fieldsV1")
        if isinstance(fields, dict) and isinstance(fields.get("f:spec"), dict):
            found.append(fields["f:spec"])
    return found


def _explicit_node_port(value: Any) -> int:
    if isinstance(value, bool):
        return 0
    if isinstance(value, int | float):
        return int(value)
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError as error:
            raise RestoreItemError(f'strconv.Atoi: parsing "{value}": invalid syntax') from error
    return 0


def _clear_node_ports(spec: dict[str, Any], metadata: dict[str, Any]) -> None:
    """deleteNodePorts: keep only nodePorts the user set (last-applied, else managedFields)."""
    if spec.get("type") == "ExternalName":
        return
    ports: list[dict[str, Any]] = spec.get("ports") or []
    applied = _applied_configuration(metadata.get("annotations") or {})
    if applied is not None:
        named: set[str] = set()
        unnamed: set[int] = set()
        for port in (applied.get("spec") or {}).get("ports") or []:
            if not isinstance(port, dict) or "nodePort" not in port:
                continue
            node_port = _explicit_node_port(port["nodePort"])
            if node_port > 0:
                if "name" in port:
                    named.add(str(port["name"]))
                else:
                    unnamed.add(node_port)
        for port in ports:
            keep = port["name"] in named if port.get("name") else port.get("nodePort") in unnamed
            if not keep:
                port.pop("nodePort", None)
        return
    explicit: set[str] = set()
    for fields in _managed_spec_fields(metadata):
        for key, port_fields in (fields.get("f:ports") or {}).items():
            if isinstance(port_fields, dict) and "f:nodePort" in port_fields:
                explicit.add(key)
    for port in ports:
        key = f'k:{{"port":{port.get("port", 0)},"protocol":"{port.get("protocol", "")}"}}'
        if key not in explicit:
            port.pop("nodePort", None)


def _clear_health_check_node_port(spec: dict[str, Any], metadata: dict[str, Any]) -> None:
    """deleteHealthCheckNodePort: only LoadBalancer + Local, and only if not user-set."""
    if spec.get("externalTrafficPolicy") != "Local" or spec.get("type") != "LoadBalancer":
        return
    if not spec.get("healthCheckNodePort"):
        return
    applied = _applied_configuration(metadata.get("annotations") or {})
    if applied is not None and (applied.get("spec") or {}).get("healthCheckNodePort"):
        return
    if any("f:healthCheckNodePort" in fields for fields in _managed_spec_fields(metadata)):
        return
    spec.pop("healthCheckNodePort", None)


def prepare_service(obj: KubeObject, *, preserve_node_ports: bool | None) -> KubeObject:
    """ServiceAction: a new clusterIP unless headless; nodePorts kept only when asked for."""
    spec = obj.setdefault("spec", {})
    metadata = obj.get("metadata") or {}
    if spec.get("clusterIP") != "None":
        spec.pop("clusterIP", None)
        spec.pop("clusterIPs", None)
    if preserve_node_ports is not True:
        _clear_node_ports(spec, metadata)
        _clear_health_check_node_port(spec, metadata)
    return obj


def prepare_pod(obj: KubeObject) -> tuple[KubeObject, list[AdditionalItem]]:
    """PodAction: unbind from the node, drop the priority and legacy SA token volumes."""
    spec = obj.setdefault("spec", {})
    spec.pop("nodeName", None)
    spec.pop("priority", None)
    token_prefix = f"{spec.get('serviceAccountName', '')}-token-"
    volumes = [
        v for v in spec.get("volumes") or [] if not str(v.get("name", "")).startswith(token_prefix)
    ]
    _set_or_drop(spec, "volumes", volumes)
    for field in ("containers", "initContainers"):
        for container in spec.get(field) or []:
            mounts = [
                mount
                for mount in container.get("volumeMounts") or []
                if not str(mount.get("name", "")).startswith(token_prefix)
            ]
            _set_or_drop(container, "volumeMounts", mounts)
    extra: list[AdditionalItem] = []
    if spec.get("priorityClassName"):
        extra.append(
            AdditionalItem(
                group_resource="priorityclasses.scheduling.k8s.io", name=spec["priorityClassName"]
            )
        )
    return obj, extra


def _set_or_drop(holder: dict[str, Any], key: str, items: list[Any]) -> None:
    """Go's omitempty after the round trip: an emptied list disappears."""
    if items:
        holder[key] = items
    else:
        holder.pop(key, None)


def prepare_for_restore(
    backed_up: KubeObject,
    *,
    group_resource: str,
    namespace_mapping: dict[str, str] | None,
    restore_status: IncludesExcludes | None,
    preserve_node_ports: bool | None,
    backup_name: str,
    restore_name: str,
) -> PreparedItem:
    """One item through restoreItem's rewrites; the backed-up object itself is not changed."""
    obj = copy.deepcopy(backed_up)
    status = obj.get("status")
    keep_status = "status" in obj and restores_status(
        obj, group_resource=group_resource, restore_status=restore_status
    )
    reset_metadata(obj)
    obj.pop("status", None)
    extra: list[AdditionalItem] = []
    if group_resource == "services":
        prepare_service(obj, preserve_node_ports=preserve_node_ports)
    elif group_resource == "pods":
        obj, extra = prepare_pod(obj)
    metadata = obj["metadata"]
    if metadata.get("namespace"):
        metadata["namespace"] = target_namespace(metadata["namespace"], namespace_mapping)
    labels = metadata.get("labels") or {}
    labels[BACKUP_NAME_LABEL] = valid_label_value(backup_name)
    labels[RESTORE_NAME_LABEL] = valid_label_value(restore_name)
    metadata["labels"] = labels
    return PreparedItem(object=obj, status=status if keep_status else None, additional_items=extra)
