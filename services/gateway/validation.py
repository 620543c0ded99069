"""The gateway's admission: every kind Navarch acts on is parsed by its pydantic model and
checked by the rules Karmada's and Kurator's webhooks apply, before anything is stored; and no
object may carry a Kurator/Karmada finalizer that no Navarch service removes.
"""

from collections.abc import Callable
from typing import Any

from pydantic import ValidationError

from shared.api.base import KubeModel
from shared.api.binding import ClusterResourceBinding, ResourceBinding
from shared.api.cluster import Cluster
from shared.api.finalizers import unserved_finalizers
from shared.api.fleet import AttachedCluster, Fleet
from shared.api.overrides import parse_override_policy, validate_override_policy
from shared.api.propagation import (
    ClusterPropagationPolicy,
    DistributionPolicy,
    PropagationPolicy,
    validate_placement_extras,
    validate_propagation_spec,
)
from shared.api.resources import ResourceType
from shared.api.validation import FieldError, pydantic_field_errors, unknown_fields
from shared.kubeapi.statuses import FieldCause

Object = dict[str, Any]
Rules = Callable[[Any], list[tuple[str, str]]]


def _propagation_rules(policy: PropagationPolicy) -> list[tuple[str, str]]:
    return validate_propagation_spec(policy.spec, namespace=policy.metadata.namespace)


def _cluster_propagation_rules(policy: ClusterPropagationPolicy) -> list[tuple[str, str]]:
    return validate_propagation_spec(policy.spec, namespace=None)


def _distribution_rules(policy: DistributionPolicy) -> list[tuple[str, str]]:
    errors = validate_propagation_spec(policy.spec, namespace=policy.metadata.namespace)
    return errors + validate_placement_extras(policy.spec.placement)


def _no_rules(_: KubeModel) -> list[tuple[str, str]]:
    return []


MODELS: dict[tuple[str, str], tuple[type[KubeModel], Rules]] = {
    ("policy.karmada.io", "PropagationPolicy"): (PropagationPolicy, _propagation_rules),
    ("policy.karmada.io", "ClusterPropagationPolicy"): (
        ClusterPropagationPolicy,
        _cluster_propagation_rules,
    ),
    ("policy.kurator.dev", "DistributionPolicy"): (DistributionPolicy, _distribution_rules),
    ("apps.kurator.dev", "DistributionPolicy"): (DistributionPolicy, _distribution_rules),
    ("fleet.kurator.dev", "Fleet"): (Fleet, _no_rules),
    ("cluster.kurator.dev", "AttachedCluster"): (AttachedCluster, _no_rules),
    ("cluster.karmada.io", "Cluster"): (Cluster, _no_rules),
    ("work.karmada.io", "ResourceBinding"): (ResourceBinding, _no_rules),
    ("work.karmada.io", "ClusterResourceBinding"): (ClusterResourceBinding, _no_rules),
}
OVERRIDE_KINDS = {
    ("policy.karmada.io", "OverridePolicy"),
    ("policy.karmada.io", "ClusterOverridePolicy"),
    ("policy.kurator.dev", "OverridePolicy"),
    ("apps.kurator.dev", "OverridePolicy"),
}


def _causes(errors: list[tuple[str, str]]) -> list[FieldCause]:
    causes = []
    for path, message in errors:
        reason = (
            "FieldValueRequired"
            if message.startswith("Required value")
            else (
                "FieldValueNotSupported"
                if message.startswith("Unsupported value")
                else "FieldValueInvalid"
            )
        )
        if message == "unknown field":
            reason = "FieldValueUnknown"
        causes.append(FieldCause(field=path, message=message, reason=reason))
    return causes


def _with_kind(resource: ResourceType, obj: Object) -> Object:
    """Validate as the served kind even when the body leaves apiVersion/kind out."""
    return {"apiVersion": resource.api_version, "kind": resource.kind, **obj}


def finalizer_causes(obj: Object) -> list[FieldCause]:
    """Kurator/Karmada finalizers nothing in Navarch removes: refused, or deletes would hang."""
    finalizers = (obj.get("metadata") or {}).get("finalizers") or []
    return [
        FieldCause(
            field=f"metadata.finalizers[{index}]",
            message=(
                f'Forbidden: no Navarch service removes the finalizer "{name}", so deleting '
                "the object would never finish"
            ),
            reason="FieldValueForbidden",
        )
        for index, name in unserved_finalizers([str(name) for name in finalizers])
    ]


def validate(resource: ResourceType, obj: Object, strict: bool) -> list[FieldCause]:
    return finalizer_causes(obj) + _model_causes(resource, obj, strict)


def _model_causes(resource: ResourceType, obj: Object, strict: bool) -> list[FieldCause]:
    key = (resource.group, resource.kind)
    body = _with_kind(resource, obj)
    if key in OVERRIDE_KINDS:
        errors: list[tuple[str, str]] = list(validate_override_policy(body))
        if not errors and strict:
            errors += unknown_fields(parse_override_policy(body))
        return _causes(errors)
    entry = MODELS.get(key)
    if entry is None:
        return []
    model, rules = entry
    try:
        parsed = model.model_validate(body)
    except ValidationError as error:
        return _causes(list(pydantic_field_errors(error)))
    errors = list(rules(parsed))
    if strict:
        errors += unknown_fields(parsed)
    return _causes(errors)


__all__ = ["FieldError", "validate"]
