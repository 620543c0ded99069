"""What one member cluster runs: a template with its scheduled replicas and every matching
(Cluster)OverridePolicy applied, as Karmada's binding controller and overridemanager do
(`pkg/controllers/binding/common.go`, `pkg/util/overridemanager`).

Pure functions over dicts and API models: the reconcile loop fetches the inputs, this
module decides the output, so every rule here is testable from a table.

The overrider families live in their own modules, as in Karmada's overridemanager; this
module is the entry point and names the package's public API.
"""

import copy
from collections.abc import Mapping, Sequence
from typing import Any

from shared.api.cluster import Cluster
from shared.api.overrides import ClusterOverridePolicy, KuratorOverridePolicy, OverridePolicy
from shared.overriding.applied_overrides import (
    APPLIED_CLUSTER_OVERRIDES_ANNOTATION,
    APPLIED_OVERRIDES_ANNOTATION,
    applied_overrides_annotation,
    overriders_wire,
)
from shared.overriding.applying import apply_overriders, apply_overriders_in_place
from shared.overriding.command_args_overriders import build_command_args_patches
from shared.overriding.errors import OverrideError, RenderError
from shared.overriding.field_overriders import apply_field_overrider
from shared.overriding.image_overriders import build_image_patches
from shared.overriding.label_annotation_overriders import build_label_annotation_patches
from shared.overriding.ordering import (
    ImplicitPriority,
    MatchedRule,
    matching_rules,
    metadata_of,
    policy_priority,
    selector_priority,
)
from shared.overriding.plaintext_overriders import apply_patches
from shared.overriding.podspecs import nested_field

__all__ = [
    "APPLIED_CLUSTER_OVERRIDES_ANNOTATION",
    "APPLIED_OVERRIDES_ANNOTATION",
    "ImplicitPriority",
    "MatchedRule",
    "OverrideError",
    "RenderError",
    "applied_overrides_annotation",
    "apply_field_overrider",
    "apply_overriders",
    "apply_patches",
    "build_command_args_patches",
    "build_image_patches",
    "build_label_annotation_patches",
    "matching_rules",
    "overriders_wire",
    "policy_priority",
    "render",
    "revise_replicas",
    "selector_priority",
]


# The default resource interpreter's ReviseReplica: which field carries the replicas.
_REPLICA_FIELDS: dict[tuple[str, str], str] = {
    ("apps/v1", "Deployment"): "replicas",
    ("apps/v1", "ReplicaSet"): "replicas",
    ("apps/v1", "StatefulSet"): "replicas",
    ("batch/v1", "Job"): "parallelism",
}


def _revise_field(manifest: dict[str, Any], field: str, value: int) -> None:
    """helper.ApplyReplica: set `spec.<field>` only when the template has it."""
    current, found = nested_field(manifest, ["spec", field])
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


def _apply_rules(manifest: dict[str, Any], rules: Sequence[MatchedRule]) -> dict[str, Any]:
    for rule in rules:
        try:
            manifest = apply_overriders_in_place(manifest, rule.overriders)
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
    namespace = metadata_of(manifest).get("namespace") or ""
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
