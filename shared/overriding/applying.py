"""One rule's overriders in Karmada's fixed order (image, command, args, labels,
annotations, field, plaintext), each entry seeing the result of the one before."""

import copy
from collections.abc import Callable, Iterator, Mapping
from functools import partial
from typing import Any

from shared.api.overrides import (
    CommandArgsOverrider,
    LabelAnnotationOverrider,
    Overriders,
)
from shared.overriding.command_args_overriders import CommandArgsTarget, build_command_args_patches
from shared.overriding.errors import OverrideError
from shared.overriding.field_overriders import apply_field_overrider
from shared.overriding.image_overriders import build_image_patches
from shared.overriding.label_annotation_overriders import (
    MetadataMapTarget,
    build_label_annotation_patches,
)
from shared.overriding.plaintext_overriders import Patch, apply_patches, plaintext_patch

PatchBuilder = Callable[..., list[Patch]]


def _patch_steps(overriders: Overriders) -> Iterator[tuple[str, PatchBuilder]]:
    """The patch-producing overriders in Karmada's fixed order, each with its own name."""
    for index, image in enumerate(overriders.image_overrider):
        yield f"imageOverrider[{index}]", partial(build_image_patches, overrider=image)
    command_args: list[tuple[CommandArgsTarget, list[CommandArgsOverrider]]] = [
        ("command", overriders.command_overrider),
        ("args", overriders.args_overrider),
    ]
    for target, items in command_args:
        for index, item in enumerate(items):
            builder = partial(build_command_args_patches, target=target, overrider=item)
            yield f"{target}Overrider[{index}]", builder
    labels_annotations: list[tuple[MetadataMapTarget, list[LabelAnnotationOverrider]]] = [
        ("labels", overriders.labels_overrider),
        ("annotations", overriders.annotations_overrider),
    ]
    for metadata_map, entries in labels_annotations:
        for index, entry in enumerate(entries):
            builder = partial(build_label_annotation_patches, target=metadata_map, overrider=entry)
            yield f"{metadata_map}Overrider[{index}]", builder


def apply_overriders_in_place(manifest: dict[str, Any], overriders: Overriders) -> dict[str, Any]:
    """Karmada's fixed order: image, command, args, labels, annotations, field, plaintext;
    each entry sees the result of the one before."""
    doc: Any = manifest
    for name, build in _patch_steps(overriders):
        try:
            doc = apply_patches(doc, build(manifest=doc))
        except OverrideError as error:
            raise OverrideError(error.reason, path=error.path, overrider=name) from error
    for index, field in enumerate(overriders.field_overrider):
        try:
            apply_field_overrider(doc, field)
        except OverrideError as error:
            name = f"fieldOverrider[{index}]"
            raise OverrideError(error.reason, path=error.path, overrider=name) from error
    for index, plaintext in enumerate(overriders.plaintext):
        name = f"plaintext[{index}]"
        try:
            doc = apply_patches(doc, [plaintext_patch(plaintext)])
        except OverrideError as error:
            raise OverrideError(error.reason, path=plaintext.path, overrider=name) from error
        if not isinstance(doc, dict):
            raise OverrideError(
                "the result is not a JSON object", path=plaintext.path, overrider=name
            )
    return doc


def apply_overriders(manifest: Mapping[str, Any], overriders: Overriders) -> dict[str, Any]:
    """One rule's overriders on a copy of `manifest`; raises OverrideError naming the
    overrider and path that failed."""
    return apply_overriders_in_place(copy.deepcopy(dict(manifest)), overriders)
