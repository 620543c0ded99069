"""What one member cluster runs: a template with its scheduled replicas and every matching
(Cluster)OverridePolicy applied, as Karmada's binding controller and overridemanager do
(`pkg/controllers/binding/common.go`, `pkg/util/overridemanager`).

Pure functions over dicts and API models: the reconcile loop fetches the inputs, this
module decides the output, so every rule here is testable from a table.
"""

import copy
import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import IntEnum
from functools import partial
from typing import Any, Literal

import jsonpatch
import jsonpointer
import yaml

from shared.api.affinity import cluster_matches
from shared.api.cluster import Cluster
from shared.api.overrides import (
    ClusterOverridePolicy,
    CommandArgsOverrider,
    FieldOverrider,
    FieldPatchOperation,
    ImageOverrider,
    KuratorOverridePolicy,
    LabelAnnotationOverrider,
    OverridePolicy,
    Overriders,
    PlaintextOverrider,
)
from shared.api.propagation import ResourceSelector
from shared.overriding.imaging import ImageParseError, override_image
from shared.safeyaml import BoundedLoader

APPLIED_OVERRIDES_ANNOTATION = "policy.karmada.io/applied-overrides"
APPLIED_CLUSTER_OVERRIDES_ANNOTATION = "policy.karmada.io/applied-cluster-overrides"

Patch = dict[str, Any]
CommandArgsTarget = Literal["command", "args"]
MetadataMapTarget = Literal["labels", "annotations"]
KarmadaOverridePolicy = OverridePolicy | ClusterOverridePolicy

# Kinds whose pod spec Karmada knows without a predicate, and where that spec lives.
_POD_SPEC_PATHS: dict[str, tuple[str, ...]] = {
    "Pod": ("spec",),
    "ReplicaSet": ("spec", "template", "spec"),
    "Deployment": ("spec", "template", "spec"),
    "DaemonSet": ("spec", "template", "spec"),
    "StatefulSet": ("spec", "template", "spec"),
    "Job": ("spec", "template", "spec"),
}
# The default resource interpreter's ReviseReplica: which field carries the replicas.
_REPLICA_FIELDS: dict[tuple[str, str], str] = {
    ("apps/v1", "Deployment"): "replicas",
    ("apps/v1", "ReplicaSet"): "replicas",
    ("apps/v1", "StatefulSet"): "replicas",
    ("batch/v1", "Job"): "parallelism",
}


class RenderError(ValueError):
    """The template cannot be rendered for this cluster; the member keeps its old copy."""


class OverrideError(RenderError):
    """An overrider failed: names the policy, the rule, the overrider and the JSON path."""

    def __init__(
        self,
        reason: str,
        *,
        path: str = "",
        overrider: str = "",
        policy: str = "",
        rule: str = "",
    ) -> None:
        self.reason = reason
        self.path = path
        self.overrider = overrider
        self.policy = policy
        self.rule = rule
        super().__init__(self._describe())

    def _describe(self) -> str:
        where = ".".join(part for part in (self.rule, self.overrider) if part)
        text = ""
        if self.policy:
            text += f"{self.policy}: "
        if where:
            text += where
        if self.path:
            text += f" at {self.path}" if text else self.path
        return f"{text}: {self.reason}" if text else self.reason

    def located(self, *, policy: str, rule: str) -> "OverrideError":
        return OverrideError(
            self.reason, path=self.path, overrider=self.overrider, policy=policy, rule=rule
        )


class ImplicitPriority(IntEnum):
    """How specifically a selector matched; a more specific policy is applied later."""

    MISMATCH = 0
    MATCH_ALL = 1
    LABEL_SELECTOR = 2
    NAME = 3


def _metadata(resource: Mapping[str, Any]) -> Mapping[str, Any]:
    metadata = resource.get("metadata")
    return metadata if isinstance(metadata, Mapping) else {}


def selector_priority(resource: Mapping[str, Any], selector: ResourceSelector) -> ImplicitPriority:
    """Karmada's ResourceSelectorPriority: a name match beats a label match beats match-all."""
    metadata = _metadata(resource)
    if (
        resource.get("apiVersion") != selector.api_version
        or resource.get("kind") != selector.kind
        or (selector.namespace and metadata.get("namespace") != selector.namespace)
    ):
        return ImplicitPriority.MISMATCH
    if selector.name:
        if selector.name == metadata.get("name"):
            return ImplicitPriority.NAME
        return ImplicitPriority.MISMATCH
    if selector.label_selector is None:
        return ImplicitPriority.MATCH_ALL
    labels = metadata.get("labels")
    if selector.label_selector.matches(dict(labels) if isinstance(labels, Mapping) else {}):
        return ImplicitPriority.LABEL_SELECTOR
    return ImplicitPriority.MISMATCH


def policy_priority(
    resource: Mapping[str, Any], selectors: Sequence[ResourceSelector]
) -> ImplicitPriority:
    """The best match over a policy's selectors; no selectors at all selects everything."""
    if not selectors:
        return ImplicitPriority.MATCH_ALL
    return max(
        (selector_priority(resource, selector) for selector in selectors),
        default=ImplicitPriority.MISMATCH,
    )


@dataclass(frozen=True)
class MatchedRule:
    """One rule of one policy that applies to this resource on this cluster."""

    policy: KarmadaOverridePolicy
    rule_index: int

    @property
    def overriders(self) -> Overriders:
        return self.policy.spec.effective_rules()[self.rule_index].overriders

    def describe_policy(self) -> str:
        namespace = self.policy.metadata.namespace
        if isinstance(self.policy, OverridePolicy) and namespace:
            return f"{self.policy.kind} {namespace}/{self.policy.metadata.name}"
        return f"{self.policy.kind} {self.policy.metadata.name}"


def matching_rules(
    *,
    resource: Mapping[str, Any],
    cluster: Cluster,
    policies: Sequence[KarmadaOverridePolicy],
) -> list[MatchedRule]:
    """One group's rules in application order: policies ascending by implicit priority
    then name (the most specific applies last and wins), rules in declared order."""
    ranked = sorted(
        (
            (priority, policy.metadata.name, position, policy)
            for position, policy in enumerate(policies)
            if (priority := policy_priority(resource, policy.spec.resource_selectors))
            > ImplicitPriority.MISMATCH
        ),
        key=lambda entry: entry[:3],
    )
    matched: list[MatchedRule] = []
    for _priority, _name, _position, policy in ranked:
        for index, rule in enumerate(policy.spec.effective_rules()):
            if rule.target_cluster is None or cluster_matches(cluster, rule.target_cluster):
                matched.append(MatchedRule(policy=policy, rule_index=index))
    return matched


def _escape_token(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def _unescape_token(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


_NEGATIVE_INDEX_RE = re.compile(r"-[0-9]+")


def _resolve_negative_indices(doc: Any, path: str, operation: str) -> str:
    """evanphx/json-patch (Karmada's patcher) counts negative array indices from the end;
    rewrite them to absolute indices so the RFC 6902 library agrees."""
    if not path.startswith("/"):
        return path
    tokens = [_unescape_token(token) for token in path.split("/")[1:]]
    current = doc
    for position, token in enumerate(tokens):
        last = position == len(tokens) - 1
        if isinstance(current, list) and _NEGATIVE_INDEX_RE.fullmatch(token):
            size = len(current) + 1 if last and operation == "add" else len(current)
            value = int(token)
            if value == 0 or value >= -size:
                tokens[position] = str(size + value if value < 0 else value)
        if last:
            break
        if isinstance(current, dict) and tokens[position] in current:
            current = current[tokens[position]]
        elif isinstance(current, list) and tokens[position].isdigit():
            index = int(tokens[position])
            if index >= len(current):
                break
            current = current[index]
        else:
            break
    return "/" + "/".join(_escape_token(token) for token in tokens)


def _short_reason(error: Exception) -> str:
    """The library's message without the document dump some of its errors carry."""
    return re.sub(r" in [{\[<].*$", "", str(error), flags=re.S) or type(error).__name__


def apply_patches(doc: Any, patches: Sequence[Patch]) -> Any:
    """Apply RFC 6902 operations one by one, in place where possible; returns the document
    (a new one only when a patch replaces the root). Values are copied so a policy's
    value is never shared between rendered manifests."""
    for patch in patches:
        operation = str(patch.get("op", ""))
        path = str(patch.get("path", ""))
        if (
            operation == "replace"
            and path == ""
            and not isinstance(patch.get("value"), dict | list)
        ):
            raise OverrideError("replace operation value must be object or array", path=path)
        resolved: Patch = {"op": operation, "path": _resolve_negative_indices(doc, path, operation)}
        if operation != "remove":
            resolved["value"] = copy.deepcopy(patch.get("value"))
        try:
            doc = jsonpatch.apply_patch(doc, [resolved], in_place=True)
        except (
            jsonpatch.JsonPatchException,
            jsonpointer.JsonPointerException,
            TypeError,
            KeyError,
            IndexError,
        ) as error:
            raise OverrideError(
                f"{operation} operation does not apply: {_short_reason(error)}", path=path
            ) from error
    return doc


def _nested(obj: Any, keys: Sequence[str]) -> tuple[Any, bool]:
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


def _pod_containers(manifest: Mapping[str, Any], pod_spec_path: Sequence[str]) -> list[Any]:
    containers, found = _nested(manifest, [*pod_spec_path, "containers"])
    if not found or containers is None:
        return []
    if not isinstance(containers, list):
        raise OverrideError(f"{'.'.join(pod_spec_path)}.containers is not a list")
    return containers


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
    pod_spec_path = _POD_SPEC_PATHS.get(str(manifest.get("kind")))
    if pod_spec_path is None:
        return []
    patches: list[Patch] = []
    for index, container in enumerate(_pod_containers(manifest, pod_spec_path)):
        path = _image_path(pod_spec_path, index)
        if not isinstance(container, dict):
            raise OverrideError("container is not an object", path=path)
        image = container.get("image", "")
        patches.append(
            {"op": "replace", "path": path, "value": _overridden_image(image, overrider, path)}
        )
    return patches


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
    pod_spec_path = _POD_SPEC_PATHS.get(str(manifest.get("kind")))
    if pod_spec_path is None:
        return []
    patches: list[Patch] = []
    for index, container in enumerate(_pod_containers(manifest, pod_spec_path)):
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


def _string_map(value: Any) -> dict[str, str] | None:
    """apimachinery NestedStringMap: a map whose values are all strings, else nothing."""
    if isinstance(value, dict) and all(isinstance(item, str) for item in value.values()):
        return value
    return None


def build_label_annotation_patches(
    *,
    target: MetadataMapTarget,
    manifest: Mapping[str, Any],
    overrider: LabelAnnotationOverrider,
) -> list[Patch]:
    """Patches on the resource's own metadata map. add creates the map (replacing one that
    is not a string map, like Karmada's SetNestedStringMap) and sets every key; replace and
    remove touch only keys that exist."""
    metadata = manifest.get("metadata")
    existing = _string_map(metadata.get(target)) if isinstance(metadata, dict) else None
    patches: list[Patch] = []
    if overrider.operator == "add" and overrider.value and existing is None:
        if metadata is None:
            patches.append({"op": "add", "path": "/metadata", "value": {}})
        elif not isinstance(metadata, dict):
            return []
        patches.append({"op": "add", "path": f"/metadata/{target}", "value": {}})
    for key in sorted(overrider.value):
        if overrider.operator != "add" and (existing is None or key not in existing):
            continue
        patch: Patch = {
            "op": overrider.operator,
            "path": f"/metadata/{target}/{_escape_token(key)}",
        }
        if overrider.operator != "remove":
            patch["value"] = overrider.value[key]
        patches.append(patch)
    return patches


class _YamlLoader(BoundedLoader):
    """YAML 1.1 like go-yaml v2, but timestamps stay strings as in sigs.k8s.io/yaml; alias
    expansion bounded as go-yaml bounds it (a field's YAML text comes from users)."""


_YamlLoader.yaml_implicit_resolvers = {
    first: [(tag, pattern) for tag, pattern in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _json_key(key: Any) -> str:
    """sigs.k8s.io/yaml YAMLToJSON turns non-string keys into their JSON spelling."""
    if isinstance(key, bool):
        return "true" if key else "false"
    if key is None:
        return "null"
    return str(key)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {_json_key(key): _jsonable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_jsonable(item) for item in value]
    return value


def _go_json(value: Any) -> str:
    """Compact JSON escaped as Go's encoding/json does (`<`, `>`, `&`, U+2028, U+2029)."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    for char, escaped in (
        ("&", "\\u0026"),
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(char, escaped)
    return text


def _field_patches(operations: Sequence[FieldPatchOperation]) -> list[Patch]:
    patches: list[Patch] = []
    for operation in operations:
        patch: Patch = {"op": operation.operator, "path": operation.sub_path}
        if operation.operator != "remove":
            patch["value"] = operation.value
        patches.append(patch)
    return patches


def _patched_text(text: str, overrider: FieldOverrider) -> str:
    """YAML wins when both are set; neither set yields an empty string (Karmada writes its
    nil result back; validation refuses such policies)."""
    if overrider.yaml_ops:
        try:
            data = _jsonable(yaml.load(text, Loader=_YamlLoader))
        except yaml.YAMLError as error:
            raise OverrideError(f"invalid YAML: {error}") from error
        patched = apply_patches(data, _field_patches(overrider.yaml_ops))
        text = yaml.safe_dump(patched, default_flow_style=False, sort_keys=True, allow_unicode=True)
        return text.removesuffix("...\n")
    if overrider.json_ops:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise OverrideError(f"invalid JSON: {error}") from error
        return _go_json(apply_patches(data, _field_patches(overrider.json_ops)))
    return ""


def apply_field_overrider(manifest: dict[str, Any], overrider: FieldOverrider) -> None:
    """Parse the string at `fieldPath`, patch it by `subPath`, write it back serialised."""
    try:
        pointer = jsonpointer.JsonPointer(overrider.field_path)
        text = pointer.resolve(manifest)
    except jsonpointer.JsonPointerException as error:
        raise OverrideError(
            f"Get value by overrider's path err: {_short_reason(error)}", path=overrider.field_path
        ) from error
    if not isinstance(text, str):
        raise OverrideError(
            f"Get object's value by overrider's path({overrider.field_path}) is not string",
            path=overrider.field_path,
        )
    try:
        patched = _patched_text(text, overrider)
    except OverrideError as error:
        raise OverrideError(
            error.reason, path=f"{overrider.field_path} ({error.path or '/'})"
        ) from error
    pointer.set(manifest, patched)


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


def _apply_overriders_in_place(manifest: dict[str, Any], overriders: Overriders) -> dict[str, Any]:
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
            doc = apply_patches(doc, [_plaintext_patch(plaintext)])
        except OverrideError as error:
            raise OverrideError(error.reason, path=plaintext.path, overrider=name) from error
        if not isinstance(doc, dict):
            raise OverrideError(
                "the result is not a JSON object", path=plaintext.path, overrider=name
            )
    return doc


def _plaintext_patch(plaintext: PlaintextOverrider) -> Patch:
    patch: Patch = {"op": plaintext.operator, "path": plaintext.path}
    if plaintext.operator != "remove":
        patch["value"] = plaintext.value
    return patch


def apply_overriders(manifest: Mapping[str, Any], overriders: Overriders) -> dict[str, Any]:
    """One rule's overriders on a copy of `manifest`; raises OverrideError naming the
    overrider and path that failed."""
    return _apply_overriders_in_place(copy.deepcopy(dict(manifest)), overriders)


def _revise_field(manifest: dict[str, Any], field: str, value: int) -> None:
    """helper.ApplyReplica: set `spec.<field>` only when the template has it."""
    current, found = _nested(manifest, ["spec", field])
    if not found:
        return
    if not isinstance(current, int) or isinstance(current, bool):
        raise RenderError(f"spec.{field} is of the type {type(current).__name__}, expected int64")
    manifest["spec"][field] = value


def revise_replicas(manifest: dict[str, Any], replicas: int) -> None:
    """Write the cluster's scheduled replicas into a workload the default interpreter knows:
    Deployment/ReplicaSet/StatefulSet `spec.replicas`, Job `spec.parallelism`."""
    field = _REPLICA_FIELDS.get((str(manifest.get("apiVersion")), str(manifest.get("kind"))))
    if field is not None:
        try:
            _revise_field(manifest, field, replicas)
        except OverrideError as error:
            raise RenderError(error.reason) from error


def _sorted_json(value: Any) -> Any:
    """How the API server stores a free-form JSON value: keys sorted, integral numbers as
    integers (Go decodes `2.0` to float64 2 and prints `2`)."""
    if isinstance(value, dict):
        return {key: _sorted_json(value[key]) for key in sorted(value)}
    if isinstance(value, list):
        return [_sorted_json(item) for item in value]
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e21:
        return int(value)
    return value


def _patch_operation_wire(operation: FieldPatchOperation) -> dict[str, Any]:
    return {
        "subPath": operation.sub_path,
        "operator": operation.operator,
        "value": _sorted_json(operation.value),
    }


def overriders_wire(overriders: Overriders) -> dict[str, Any]:
    """Overriders as Go's encoding/json prints Karmada's struct: declared field order,
    empty lists omitted, free-form values with sorted keys."""
    wire: dict[str, Any] = {}
    if overriders.plaintext:
        wire["plaintext"] = [
            {"path": p.path, "operator": p.operator, "value": _sorted_json(p.value)}
            for p in overriders.plaintext
        ]
    if overriders.image_overrider:
        images: list[dict[str, Any]] = []
        for image in overriders.image_overrider:
            item: dict[str, Any] = {}
            if image.predicate is not None:
                item["predicate"] = {"path": image.predicate.path}
            item["component"] = image.component
            item["operator"] = image.operator
            if image.value:
                item["value"] = image.value
            images.append(item)
        wire["imageOverrider"] = images
    for key, command_args in (
        ("commandOverrider", overriders.command_overrider),
        ("argsOverrider", overriders.args_overrider),
    ):
        if command_args:
            wire[key] = [
                {"containerName": c.container_name, "operator": c.operator}
                | ({"value": list(c.value)} if c.value else {})
                for c in command_args
            ]
    for key, label_annotation in (
        ("labelsOverrider", overriders.labels_overrider),
        ("annotationsOverrider", overriders.annotations_overrider),
    ):
        if label_annotation:
            wire[key] = [
                {"operator": item.operator, "value": dict(sorted(item.value.items()))}
                for item in label_annotation
            ]
    if overriders.field_overrider:
        fields: list[dict[str, Any]] = []
        for field in overriders.field_overrider:
            entry: dict[str, Any] = {"fieldPath": field.field_path}
            if field.json_ops:
                entry["json"] = [_patch_operation_wire(op) for op in field.json_ops]
            if field.yaml_ops:
                entry["yaml"] = [_patch_operation_wire(op) for op in field.yaml_ops]
            fields.append(entry)
        wire["fieldOverrider"] = fields
    return wire


def applied_overrides_annotation(rules: Sequence[MatchedRule]) -> str | None:
    """Karmada's AppliedOverrides JSON: one item per applied rule, ordered by policy name;
    None when nothing applied (Karmada then writes no annotation)."""
    if not rules:
        return None
    items = [
        {"policyName": rule.policy.metadata.name, "overriders": overriders_wire(rule.overriders)}
        for rule in rules
    ]
    return _go_json(sorted(items, key=lambda item: item["policyName"]))


def _apply_rules(manifest: dict[str, Any], rules: Sequence[MatchedRule]) -> dict[str, Any]:
    for rule in rules:
        try:
            manifest = _apply_overriders_in_place(manifest, rule.overriders)
        except OverrideError as error:
            raise error.located(
                policy=rule.describe_policy(),
                rule=rule.policy.spec.rule_field_path(rule.rule_index),
            ) from error
    return manifest


def _set_annotation(manifest: dict[str, Any], key: str, value: str) -> None:
    metadata = manifest.get("metadata")
    if not isinstance(metadata, dict):
        metadata = {}
        manifest["metadata"] = metadata
    annotations = metadata.get("annotations")
    if not isinstance(annotations, dict):
        annotations = {}
        metadata["annotations"] = annotations
    annotations[key] = value


def render(
    template: Mapping[str, Any],
    *,
    cluster: Cluster,
    replicas: int | None,
    cluster_override_policies: Sequence[ClusterOverridePolicy],
    override_policies: Sequence[OverridePolicy | KuratorOverridePolicy],
    job_completions: int | None = None,
) -> dict[str, Any]:
    """The manifest `cluster` must run. Replicas first (None for a non-workload), Job
    completions when the caller divided them, then every ClusterOverridePolicy, then the
    OverridePolicies of the resource's namespace, so an override beats the scheduler.
    The applied policies are recorded in Karmada's two annotations. The template is
    never modified; raises RenderError (OverrideError for a failing override)."""
    manifest: dict[str, Any] = copy.deepcopy(dict(template))
    if replicas is not None:
        revise_replicas(manifest, replicas)
    if job_completions is not None and manifest.get("kind") == "Job":
        try:
            _revise_field(manifest, "completions", job_completions)
        except OverrideError as error:
            raise RenderError(error.reason) from error
    cluster_rules = matching_rules(
        resource=manifest, cluster=cluster, policies=list(cluster_override_policies)
    )
    manifest = _apply_rules(manifest, cluster_rules)
    namespace = _metadata(manifest).get("namespace") or ""
    namespaced_rules: list[MatchedRule] = []
    if namespace:
        in_namespace = [
            policy.to_karmada() if isinstance(policy, KuratorOverridePolicy) else policy
            for policy in override_policies
            if (policy.metadata.namespace or "") == namespace
        ]
        namespaced_rules = matching_rules(resource=manifest, cluster=cluster, policies=in_namespace)
        manifest = _apply_rules(manifest, namespaced_rules)
    for key, rules in (
        (APPLIED_CLUSTER_OVERRIDES_ANNOTATION, cluster_rules),
        (APPLIED_OVERRIDES_ANNOTATION, namespaced_rules),
    ):
        recorded = applied_overrides_annotation(rules)
        if recorded is not None:
            _set_annotation(manifest, key, recorded)
    return manifest
