"""Which policy propagates a resource: Karmada detector rules (`pkg/detector`, `selector.go`).

Explicit priority first, then implicit precedence (name > labelSelector > kind-only), then
the smallest policy name; a PropagationPolicy always beats a ClusterPropagationPolicy on
first match, a claim is sticky unless a higher-priority policy preempts it.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import TypeVar

from shared.api.meta import ObjectMeta
from shared.api.propagation import ClusterPropagationPolicy, PropagationPolicy, ResourceSelector

PP_PERMANENT_ID_LABEL = "propagationpolicy.karmada.io/permanent-id"
CPP_PERMANENT_ID_LABEL = "clusterpropagationpolicy.karmada.io/permanent-id"
PP_NAMESPACE_ANNOTATION = "propagationpolicy.karmada.io/namespace"
PP_NAME_ANNOTATION = "propagationpolicy.karmada.io/name"
CPP_NAME_ANNOTATION = "clusterpropagationpolicy.karmada.io/name"
RESERVED_NAMESPACES = ("karmada-system", "karmada-cluster")
RESERVED_NAMESPACE_PREFIX = "karmada-es-"
SKIPPED_GROUPS = ("cluster.karmada.io", "policy.karmada.io", "work.karmada.io")
DEFAULT_SKIPPED_NAMESPACES = (r"kube-.*",)

AnyPolicy = PropagationPolicy | ClusterPropagationPolicy
P = TypeVar("P", PropagationPolicy, ClusterPropagationPolicy)


class ImplicitPriority(IntEnum):
    MISMATCH = 0
    MATCH_ALL = 1
    LABEL_SELECTOR = 2
    NAME = 3


def selector_priority(
    *, api_version: str, kind: str, meta: ObjectMeta, selector: ResourceSelector
) -> ImplicitPriority:
    """`ResourceSelectorPriority`: a set name ignores the labelSelector."""
    if selector.api_version != api_version or selector.kind != kind:
        return ImplicitPriority.MISMATCH
    if selector.namespace and selector.namespace != (meta.namespace or ""):
        return ImplicitPriority.MISMATCH
    if selector.name:
        return ImplicitPriority.NAME if selector.name == meta.name else ImplicitPriority.MISMATCH
    if selector.label_selector is None:
        return ImplicitPriority.MATCH_ALL
    if selector.label_selector.matches(meta.labels):
        return ImplicitPriority.LABEL_SELECTOR
    return ImplicitPriority.MISMATCH


def policy_priority(
    *, api_version: str, kind: str, meta: ObjectMeta, selectors: Sequence[ResourceSelector]
) -> ImplicitPriority:
    """A policy's implicit priority is the best of its selectors."""
    return max(
        (
            selector_priority(api_version=api_version, kind=kind, meta=meta, selector=s)
            for s in selectors
        ),
        default=ImplicitPriority.MISMATCH,
    )


def is_skipped(
    *,
    api_version: str,
    namespace: str | None,
    skipped_namespaces: Sequence[str] = DEFAULT_SKIPPED_NAMESPACES,
) -> bool:
    """Karmada never propagates its own groups or objects in reserved/skipped namespaces."""
    group = api_version.split("/")[0] if "/" in api_version else ""
    if group in SKIPPED_GROUPS:
        return True
    if not namespace:
        return False
    if namespace in RESERVED_NAMESPACES or namespace.startswith(RESERVED_NAMESPACE_PREFIX):
        return True
    return any(re.fullmatch(pattern, namespace) for pattern in skipped_namespaces)


def _best(policies: Sequence[P], *, api_version: str, kind: str, meta: ObjectMeta) -> P | None:
    """`getHighestPriority(Cluster)PropagationPolicy`."""
    best: P | None = None
    best_explicit: int | None = None
    best_implicit = ImplicitPriority.MISMATCH
    for policy in policies:
        if policy.metadata.deletion_timestamp:
            continue
        implicit = policy_priority(
            api_version=api_version, kind=kind, meta=meta, selectors=policy.spec.resource_selectors
        )
        if implicit == ImplicitPriority.MISMATCH:
            continue
        explicit = policy.spec.explicit_priority()
        if best is None or best_explicit is None or explicit > best_explicit:
            best, best_explicit, best_implicit = policy, explicit, implicit
        elif explicit == best_explicit:
            if implicit > best_implicit:
                best, best_implicit = policy, implicit
            elif implicit == best_implicit and policy.metadata.name < best.metadata.name:
                best = policy
    return best


def claimed_by(meta: ObjectMeta) -> tuple[str, str | None, str] | None:
    """The claiming policy as ("PropagationPolicy", namespace, name) or ("Cluster…", None, name)."""
    namespace = meta.annotations.get(PP_NAMESPACE_ANNOTATION, "")
    name = meta.annotations.get(PP_NAME_ANNOTATION, "")
    if namespace and name:
        return ("PropagationPolicy", namespace, name)
    cluster_name = meta.annotations.get(CPP_NAME_ANNOTATION, "")
    if cluster_name:
        return ("ClusterPropagationPolicy", None, cluster_name)
    return None


def _claim_key(policy: AnyPolicy) -> tuple[str, str | None, str]:
    if isinstance(policy, PropagationPolicy):
        return ("PropagationPolicy", policy.metadata.namespace or "", policy.metadata.name)
    return ("ClusterPropagationPolicy", None, policy.metadata.name)


def can_preempt(challenger: AnyPolicy, holder: AnyPolicy) -> bool:
    """`preemption: Always`: PP beats a lower PP and any CPP; a CPP only a lower CPP."""
    if challenger.spec.preemption != "Always" or _claim_key(challenger) == _claim_key(holder):
        return False
    if isinstance(challenger, PropagationPolicy) and isinstance(holder, ClusterPropagationPolicy):
        return True
    if isinstance(challenger, ClusterPropagationPolicy) and isinstance(holder, PropagationPolicy):
        return False
    return challenger.spec.explicit_priority() > holder.spec.explicit_priority()


@dataclass(frozen=True)
class ClaimResolution:
    """What the detector does with a resource now.

    `policy`: the policy to apply (None: none claims it). `release`: the current claim
    marks go first, from the template and its binding, the binding itself stays (the
    claimed policy is gone, or its changed selectors no longer select the resource).
    `hold`: leave the resource and its binding as they are (the claimed policy is being
    deleted, or no longer selects it but has not changed since).
    """

    policy: AnyPolicy | None
    release: bool = False
    hold: bool = False


def without_claim_marks(meta: ObjectMeta) -> ObjectMeta:
    """`CleanupPPClaimMetadata` and `CleanupCPPClaimMetadata` together."""
    result = meta.model_copy(deep=True)
    for label in (PP_PERMANENT_ID_LABEL, CPP_PERMANENT_ID_LABEL):
        result.labels.pop(label, None)
    for annotation in (PP_NAMESPACE_ANNOTATION, PP_NAME_ANNOTATION, CPP_NAME_ANNOTATION):
        result.annotations.pop(annotation, None)
    return result


def resolve_claim(
    *,
    api_version: str,
    kind: str,
    meta: ObjectMeta,
    propagation_policies: Sequence[PropagationPolicy],
    cluster_propagation_policies: Sequence[ClusterPropagationPolicy],
    enable_preemption: bool = True,
    release_unmatched: bool = True,
    skipped_namespaces: Sequence[str] = DEFAULT_SKIPPED_NAMESPACES,
) -> ClaimResolution:
    """Karmada's `propagateResource` over a resource's claim (`pkg/detector/policy.go`).

    A claim is sticky unless preempted; a claimed policy that was deleted releases the
    resource (`HandlePropagationPolicyDeletion`), one whose selectors no longer match it
    releases it when that policy changed (`release_unmatched`, `cleanPPUnmatchedRBs`), and
    a released resource is matched afresh.
    """
    claim = claimed_by(meta)
    if is_skipped(
        api_version=api_version, namespace=meta.namespace, skipped_namespaces=skipped_namespaces
    ):
        return ClaimResolution(None, release=claim is not None)
    namespaced = [
        p for p in propagation_policies if meta.namespace and p.metadata.namespace == meta.namespace
    ]
    clustered = list(cluster_propagation_policies)
    if claim is None:
        return ClaimResolution(_first_match(namespaced, clustered, api_version, kind, meta))
    holder = next((p for p in [*namespaced, *clustered] if _claim_key(p) == claim), None)
    if holder is not None:
        if holder.metadata.deletion_timestamp:
            return ClaimResolution(None, hold=True)
        selected = policy_priority(
            api_version=api_version, kind=kind, meta=meta, selectors=holder.spec.resource_selectors
        )
        if selected != ImplicitPriority.MISMATCH:
            return ClaimResolution(
                _preempting(namespaced, clustered, api_version, kind, meta, holder)
                if enable_preemption
                else holder
            )
        if not release_unmatched:
            return ClaimResolution(None, hold=True)
    released = without_claim_marks(meta)
    best = _first_match(namespaced, clustered, api_version, kind, released)
    return ClaimResolution(best, release=True)


def _first_match(
    namespaced: Sequence[PropagationPolicy],
    clustered: Sequence[ClusterPropagationPolicy],
    api_version: str,
    kind: str,
    meta: ObjectMeta,
) -> AnyPolicy | None:
    """Any matching PropagationPolicy first; a ClusterPropagationPolicy only without one."""
    best_pp = _best(namespaced, api_version=api_version, kind=kind, meta=meta)
    if best_pp is not None:
        return best_pp
    return _best(clustered, api_version=api_version, kind=kind, meta=meta)


def _preempting(
    namespaced: Sequence[PropagationPolicy],
    clustered: Sequence[ClusterPropagationPolicy],
    api_version: str,
    kind: str,
    meta: ObjectMeta,
    holder: AnyPolicy,
) -> AnyPolicy:
    """The holder, unless the best PP or CPP may preempt it (`pkg/detector/preemption.go`)."""
    kwargs = {"api_version": api_version, "kind": kind, "meta": meta}
    for challenger in (_best(namespaced, **kwargs), _best(clustered, **kwargs)):
        if challenger is not None and can_preempt(challenger, holder):
            return challenger
    return holder


def select_policy(
    *,
    api_version: str,
    kind: str,
    meta: ObjectMeta,
    propagation_policies: Sequence[PropagationPolicy],
    cluster_propagation_policies: Sequence[ClusterPropagationPolicy],
    enable_preemption: bool = True,
    skipped_namespaces: Sequence[str] = DEFAULT_SKIPPED_NAMESPACES,
) -> AnyPolicy | None:
    """The policy that owns the resource once its claim is resolved (`navarch plan`)."""
    return resolve_claim(
        api_version=api_version,
        kind=kind,
        meta=meta,
        propagation_policies=propagation_policies,
        cluster_propagation_policies=cluster_propagation_policies,
        enable_preemption=enable_preemption,
        skipped_namespaces=skipped_namespaces,
    ).policy


def claim_metadata(meta: ObjectMeta, policy: AnyPolicy) -> ObjectMeta:
    """The template's metadata after `AddPPClaimMetadata` / `AddCPPClaimMetadata`."""
    result = meta.model_copy(deep=True)
    if isinstance(policy, PropagationPolicy):
        result.labels.pop(CPP_PERMANENT_ID_LABEL, None)
        result.annotations.pop(CPP_NAME_ANNOTATION, None)
        result.labels[PP_PERMANENT_ID_LABEL] = policy.metadata.labels.get(PP_PERMANENT_ID_LABEL, "")
        result.annotations[PP_NAMESPACE_ANNOTATION] = policy.metadata.namespace or ""
        result.annotations[PP_NAME_ANNOTATION] = policy.metadata.name
    else:
        cpp_id = policy.metadata.labels.get(CPP_PERMANENT_ID_LABEL, "")
        result.labels[CPP_PERMANENT_ID_LABEL] = cpp_id
        result.annotations[CPP_NAME_ANNOTATION] = policy.metadata.name
    return result
