"""Karmada's imageOverrider: patches replacing a component of the images it targets, found
by a predicate path or in the pod spec of known kinds (`overridemanager/imageoverride.go`)."""

from collections.abc import Mapping, Sequence
from typing import Any

from shared.api.overrides import ImageOverrider
from shared.overriding.errors import OverrideError
from shared.overriding.imaging import ImageParseError, override_image
from shared.overriding.plaintext_overriders import Patch
from shared.overriding.podspecs import POD_SPEC_PATHS, pod_containers


def _image_path(pod_spec_path: Sequence[str], index: int) -> str:
    return "/" + "/".join([*pod_spec_path, "containers", str(index), "image"])


def _predicate_image(manifest: Mapping[str, Any], predicate_path: str) -> str:
    """Karmada's obtainImageValue: walks `/`-separated keys (a list consumes the next key
    as its index) and the target must be a string."""
    segments = predicate_path.strip("/").split("/")
    current: Any = manifest
    index = 0
    while index < len(segments) - 1:
        value = current.get(segments[index]) if isinstance(current, dict) else None
        if isinstance(value, dict):
            current = value
        elif isinstance(value, list):
            position = segments[index + 1]
            if not position.isdigit():
                raise OverrideError(f"path({position}) of rawObj's is not number")
            item = value[int(position)] if int(position) < len(value) else None
            if not isinstance(item, dict):
                raise OverrideError(f"path({position}) of rawObj's is not an object")
            current = item
            index += 1
        else:
            raise OverrideError(
                f"path({segments[index]}) of rawObj's type is not map[string]interface{{}} "
                "and []interface{}"
            )
        index += 1
    image = current.get(segments[-1]) if isinstance(current, dict) else None
    if not isinstance(image, str):
        raise OverrideError(f"failed to convert path({segments[-1]}) to string")
    return image


def _overridden_image(image: Any, overrider: ImageOverrider, path: str) -> str:
    if not isinstance(image, str):
        raise OverrideError("image is not a string", path=path)
    try:
        return override_image(
            image, component=overrider.component, operator=overrider.operator, value=overrider.value
        )
    except ImageParseError as error:
        reason = f"failed to parse image value({image}), error: {error}"
        raise OverrideError(reason, path=path) from error


def build_image_patches(manifest: Mapping[str, Any], overrider: ImageOverrider) -> list[Patch]:
    """Replace patches for every image the overrider targets: with a predicate its path,
    else `containers[*].image` of the pod spec of known kinds (initContainers never)."""
    if overrider.predicate is not None:
        path = overrider.predicate.path
        try:
            image = _predicate_image(manifest, path)
        except OverrideError as error:
            raise OverrideError(
                f"failed to obtain imageValue with predicate path({path}), error: {error.reason}",
                path=path,
            ) from error
        if not path.startswith("/"):
            raise OverrideError("imagePath should be start with / character", path=path)
        return [{"op": "replace", "path": path, "value": _overridden_image(image, overrider, path)}]
    pod_spec_path = POD_SPEC_PATHS.get(str(manifest.get("kind")))
    if pod_spec_path is None:
        return []
    patches: list[Patch] = []
    for index, container in enumerate(pod_containers(manifest, pod_spec_path)):
        path = _image_path(pod_spec_path, index)
        if not isinstance(container, dict):
            raise OverrideError("container is not an object", path=path)
        image = container.get("image", "")
        patches.append(
            {"op": "replace", "path": path, "value": _overridden_image(image, overrider, path)}
        )
    return patches
