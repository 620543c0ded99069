"""Policy documents as the scheduler reads them: defaulted Karmada policies plus Kurator extras,
and a Fleet's placement as the default of policies that name no clusters."""

from typing import Any

from shared.api.propagation import (
    ClusterPropagationPolicy,
    DistributionPolicy,
    Placement,
    PlacementClusterAffinity,
    PlacementExtras,
    PropagationPolicy,
    default_placement,
    default_propagation_spec,
    distribution_to_propagation,
    validate_placement_extras,
    validate_propagation_spec,
)
from shared.placement.matching import AnyPolicy

Object = dict[str, Any]
PROPAGATION_KINDS = {
    ("policy.karmada.io", "PropagationPolicy"),
    ("policy.karmada.io", "ClusterPropagationPolicy"),
    ("policy.kurator.dev", "DistributionPolicy"),
    ("apps.kurator.dev", "DistributionPolicy"),
}


def group_kind(obj: Object) -> tuple[str, str]:
    api_version = str(obj.get("apiVersion", ""))
    group = api_version.split("/", 1)[0] if "/" in api_version else ""
    return group, str(obj.get("kind", ""))


def is_propagation_policy(obj: Object) -> bool:
    return group_kind(obj) in PROPAGATION_KINDS


class PolicyRejected(ValueError):
    """A policy the hub's admission would refuse, in the webhook's words."""

    def __init__(self, *, kind: str, name: str, errors: list[tuple[str, str]]) -> None:
        causes = "; ".join(f"{path}: {message}" for path, message in errors)
        super().__init__(f'{kind} "{name}" is invalid: {causes}')
        self.errors = errors


def parse_policy_document(obj: Object) -> tuple[AnyPolicy, PlacementExtras]:
    """PP, CPP or DistributionPolicy ⇒ the policy as Karmada's webhook defaults it, and extras.

    The webhook's validation runs first (as the gateway's admission does), so `navarch
    plan` refuses what the hub would refuse, with the same messages."""
    group, kind = group_kind(obj)
    extras = PlacementExtras()
    policy: AnyPolicy
    if kind == "ClusterPropagationPolicy":
        policy = ClusterPropagationPolicy.model_validate(obj)
        _check(kind, policy.metadata.name, validate_propagation_spec(policy.spec, namespace=None))
        policy.spec = default_propagation_spec(policy.spec, namespace=None)
        return policy, extras
    if group == "policy.karmada.io":
        policy = PropagationPolicy.model_validate(obj)
        errors = validate_propagation_spec(
            policy.spec, namespace=policy.metadata.namespace or "default"
        )
    else:
        distribution = DistributionPolicy.model_validate(obj)
        errors = validate_propagation_spec(
            distribution.spec, namespace=distribution.metadata.namespace or "default"
        ) + validate_placement_extras(distribution.spec.placement)
        policy, extras = distribution_to_propagation(distribution)
    _check(kind, policy.metadata.name, errors)
    policy.metadata.namespace = policy.metadata.namespace or "default"
    policy.spec = default_propagation_spec(policy.spec, namespace=policy.metadata.namespace)
    return policy, extras


def _check(kind: str, name: str, errors: list[tuple[str, str]]) -> None:
    if errors:
        raise PolicyRejected(kind=kind, name=name, errors=errors)


def fleet_placement(placement: Placement, fleet: Object | None) -> Placement:
    """A policy that names no clusters inherits its namespace Fleet's placement and members.

    Navarch extension (example 06): candidates become the Fleet's clusters, and the
    Fleet's affinity preferences, spread constraints, replica scheduling and tolerations
    fill what the policy leaves unset.
    """
    spec = (fleet or {}).get("spec") or {}
    if (
        "placement" not in spec
        or placement.cluster_affinity is not None
        or placement.cluster_affinities is not None
    ):
        return placement
    members = [c["name"] for c in spec.get("clusters") or [] if c.get("name")]
    defaults = Placement.model_validate(spec.get("placement") or {})
    result = placement.model_copy(deep=True)
    affinity = defaults.cluster_affinity or PlacementClusterAffinity()
    result.cluster_affinity = affinity.model_copy(
        update={"cluster_names": affinity.cluster_names or members}
    )
    if not result.spread_constraints:
        result.spread_constraints = defaults.spread_constraints
    if result.replica_scheduling is None:
        result.replica_scheduling = defaults.replica_scheduling
    if not result.all_tolerations():
        result.cluster_tolerations = defaults.all_tolerations()
    return default_placement(result)
