"""Where a workload keeps its pod spec and containers, for the overriders that edit them
without a predicate (image, command, args), read as apimachinery's unstructured helpers do."""

from collections.abc import Mapping, Sequence
from typing import Any

from shared.overriding.errors import OverrideError

# Kinds whose pod spec Karmada knows without a predicate, and where that spec lives.
POD_SPEC_PATHS: dict[str, tuple[str, ...]] = {
    "Pod": ("spec",),
    "ReplicaSet": ("spec", "template", "spec"),
    "Deployment": ("spec", "template", "spec"),
    "DaemonSet": ("spec", "template", "spec"),
    "StatefulSet": ("spec", "template", "spec"),
    "Job": ("spec", "template", "spec"),
}


def nested_field(obj: Any, keys: Sequence[str]) -> tuple[Any, bool]:
    """apimachinery NestedFieldNoCopy: (value, found); a non-object on the way is an error."""
    current = obj
    for position, key in enumerate(keys):
        if not isinstance(current, dict):
            joined = ".".join(keys[:position])
            raise OverrideError(f"{joined} is of the type {type(current).__name__}, expected map")
        if key not in current:
            return None, False
        current = current[key]
    return current, True


def pod_containers(manifest: Mapping[str, Any], pod_spec_path: Sequence[str]) -> list[Any]:
    containers, found = nested_field(manifest, [*pod_spec_path, "containers"])
    if not found or containers is None:
        return []
    if not isinstance(containers, list):
        raise OverrideError(f"{'.'.join(pod_spec_path)}.containers is not a list")
    return containers
