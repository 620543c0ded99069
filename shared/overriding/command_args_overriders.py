"""Karmada's commandOverrider and argsOverrider: patches adding to or removing from the
command or args of the containers they name (`overridemanager/commandargsoverride.go`)."""

from collections.abc import Mapping
from typing import Any, Literal

from shared.api.overrides import CommandArgsOverrider
from shared.overriding.errors import OverrideError
from shared.overriding.plaintext_overriders import Patch
from shared.overriding.podspecs import POD_SPEC_PATHS, pod_containers

CommandArgsTarget = Literal["command", "args"]


def _changed_list(current: list[str], overrider: CommandArgsOverrider) -> list[str]:
    if overrider.operator == "add":
        return [*current, *overrider.value]
    if overrider.operator == "remove":
        unwanted = set(overrider.value)
        return [item for item in current if item not in unwanted]
    return list(current)


def build_command_args_patches(
    *,
    target: CommandArgsTarget,
    manifest: Mapping[str, Any],
    overrider: CommandArgsOverrider,
) -> list[Patch]:
    """For each container named `containerName`: replace the list if present, else add it
    (a remove on an absent list adds `[]`, as Karmada does)."""
    pod_spec_path = POD_SPEC_PATHS.get(str(manifest.get("kind")))
    if pod_spec_path is None:
        return []
    patches: list[Patch] = []
    for index, container in enumerate(pod_containers(manifest, pod_spec_path)):
        path = "/" + "/".join([*pod_spec_path, "containers", str(index), target])
        if not isinstance(container, dict):
            raise OverrideError("container is not an object", path=path)
        if container.get("name") != overrider.container_name:
            continue
        current = container.get(target)
        if current is None:
            patches.append({"op": "add", "path": path, "value": _changed_list([], overrider)})
            continue
        if not isinstance(current, list):
            raise OverrideError(f"{target} is not a list", path=path)
        as_strings = [item if isinstance(item, str) else str(item) for item in current]
        patches.append(
            {"op": "replace", "path": path, "value": _changed_list(as_strings, overrider)}
        )
    return patches
