"""A scale target as the HPA controller sees it: the template's `/scale` view, resolved
from the hub's kind table, and the replica write that scaling is.

The scaler writes the template's `spec.replicas` (through the kind's scale paths) and
nothing else: the scheduler divides the new total as the policy says.
"""

from dataclasses import dataclass
from typing import Any

from services.scaler.autoscaling import ScaleObservation
from services.scaler.models import CrossVersionObjectReference
from shared.api.kind_table import HUB_KINDS, ScaleSpec, find_kind
from shared.api.meta import LabelSelector
from shared.api.resources import ResourceType

Object = dict[str, Any]


class ScaleTargetError(Exception):
    """The target's scale cannot be read; the text is the HPA controller's error."""


@dataclass(frozen=True, slots=True)
class ScaleTarget:
    resource: ResourceType
    scale: ScaleSpec


def get_path(obj: Object, path: str) -> Any:
    node: Any = obj
    for part in path.strip(".").split("."):
        node = node.get(part) if isinstance(node, dict) else None
    return node


def with_path(obj: Object, path: str, value: Any) -> Object:
    """A copy of `obj` with the dotted `path` set (the dicts along it copied)."""
    parts = path.strip(".").split(".")
    copied = dict(obj)
    node = copied
    for part in parts[:-1]:
        child = node.get(part)
        node[part] = dict(child) if isinstance(child, dict) else {}
        node = node[part]
    node[parts[-1]] = value
    return copied


def resolve_target(reference: CrossVersionObjectReference) -> ScaleTarget:
    """The hub kind behind `scaleTargetRef`; RESTMapper's and the scale client's wording."""
    group, _, version = reference.api_version.rpartition("/")
    kind = find_kind(HUB_KINDS, reference.api_version, reference.kind)
    if kind is None:
        raise ScaleTargetError(f'no matches for kind "{reference.kind}" in group "{group}"')
    if kind.scale is None:
        raise ScaleTargetError(
            f"{kind.resource.group_resource} does not have a scale subresource (version {version})"
        )
    return ScaleTarget(kind.resource, kind.scale)


def not_found(target: ScaleTarget, name: str) -> ScaleTargetError:
    return ScaleTargetError(f'{target.resource.group_resource} "{name}" not found')


def target_selector(template: Object, target: ScaleTarget) -> LabelSelector | None:
    """The pods' selector from the scale's selector path; None when it has none."""
    if target.scale.label_selector is None:
        return None
    raw = get_path(template, target.scale.label_selector)
    if not isinstance(raw, dict):
        return None
    selector = LabelSelector.model_validate(raw)
    return selector if selector.match_labels or selector.match_expressions else None


def calibration(template_replicas: int, member_replicas: list[int]) -> float:
    """Karmada's calibration: the members' replicas over the template's (1.0 for Divided,
    the cluster count for Duplicated, where every member runs the template's count)."""
    total = sum(member_replicas)
    if template_replicas <= 0 or total <= 0:
        return 1.0
    return total / template_replicas


def observe_scale(
    template: Object, target: ScaleTarget, *, member_replicas: list[int]
) -> ScaleObservation:
    spec_replicas = int(get_path(template, target.scale.spec_replicas) or 0)
    return ScaleObservation(
        spec_replicas=spec_replicas,
        status_replicas=int(get_path(template, target.scale.status_replicas) or 0),
        calibration=calibration(spec_replicas, member_replicas),
    )


def scaled(template: Object, target: ScaleTarget, replicas: int) -> Object | None:
    """The template with its replica count set; None when it already has it."""
    if get_path(template, target.scale.spec_replicas) == replicas:
        return None
    return with_path(template, target.scale.spec_replicas, replicas)
