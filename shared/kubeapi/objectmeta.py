"""Object metadata validated as kube-apiserver does, for every kind, before anything is stored.

This follows k8s.io/apimachinery/pkg/api/validation/objectmeta.go (ValidateObjectMetaAccessor
and its update twin) and the per-kind name rules of pkg/apis/*/validation: names by each
kind's rule (most kinds a DNS-1123 subdomain, Namespace a DNS-1123 label, Service a DNS-1035
label), then path-segment rules for all; label keys and values, annotation keys and their
total size, finalizer names, owner references. Names are checked on create only: a name
cannot change afterwards.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from shared.api.kind_table import Kind
from shared.api.names import (
    NameRule,
    go_quote,
    is_label_value,
    is_qualified_name,
    name_is_dns1035_label,
    name_is_dns_label,
    name_is_dns_subdomain,
    name_is_path_segment,
)
from shared.kubeapi.statuses import FieldCause

Object = dict[str, Any]

TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024
STANDARD_FINALIZERS = frozenset({"kubernetes", "orphan", "foregroundDeletion"})
CRONJOB_NAME_MAX = 52
"""A CronJob's Jobs are named `<name>-<11 characters>` and must stay DNS-1035 labels."""
NAME_RULES: dict[tuple[str, str], NameRule] = {
    ("", "Namespace"): name_is_dns_label,
    ("", "Service"): name_is_dns1035_label,
}
"""Kinds whose names are not DNS-1123 subdomains (the rule of every other served kind, custom
ones included). Services follow the default of `RelaxedServiceNameValidation` (off)."""
FINALIZER_WARNING = (
    "prefer a domain-qualified finalizer name including a path (/) to avoid accidental "
    "conflicts with other finalizer writers"
)


@dataclass
class MetadataVerdict:
    causes: list[FieldCause] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _invalid(path: str, value: str, message: str) -> FieldCause:
    return FieldCause(path, f"Invalid value: {go_quote(value)}: {message}")


def name_rule(kind: Kind) -> NameRule:
    return NAME_RULES.get((kind.group, kind.kind), name_is_dns_subdomain)


def _name_causes(kind: Kind, metadata: Mapping[str, Any]) -> list[FieldCause]:
    rule = name_rule(kind)
    causes: list[FieldCause] = []
    generate_name = metadata.get("generateName") or ""
    name = metadata.get("name") or ""
    if generate_name:
        causes += [
            _invalid("metadata.generateName", generate_name, message)
            for message in rule(generate_name, True)
        ]
    if not name:
        if not generate_name:
            causes.append(
                FieldCause(
                    "metadata.name",
                    "Required value: name or generateName is required",
                    "FieldValueRequired",
                )
            )
        return causes
    causes += [_invalid("metadata.name", name, message) for message in rule(name, False)]
    if kind.group == "batch" and kind.kind == "CronJob" and len(name) > CRONJOB_NAME_MAX:
        causes.append(
            _invalid("metadata.name", name, f"must be no more than {CRONJOB_NAME_MAX} characters")
        )
    if not causes:
        causes += [
            _invalid("metadata.name", name, message)
            for message in name_is_path_segment(name, False)
        ]
    return causes


def _namespace_causes(kind: Kind, metadata: Mapping[str, Any]) -> list[FieldCause]:
    namespace = metadata.get("namespace") or ""
    if not kind.namespaced or not namespace:
        return []
    return [
        _invalid("metadata.namespace", namespace, message)
        for message in name_is_dns_label(namespace, False)
    ]


def label_causes(labels: Mapping[str, str], path: str) -> list[FieldCause]:
    """ValidateLabels: each key a qualified name, each value a label value."""
    causes = []
    for key, value in labels.items():
        text = value if isinstance(value, str) else ""
        causes += [_invalid(path, key, message) for message in is_qualified_name(key)]
        causes += [_invalid(path, text, message) for message in is_label_value(text)]
    return causes


def annotation_causes(annotations: Mapping[str, str], path: str) -> list[FieldCause]:
    """Keys are qualified names (case-insensitively); all keys and values together <= 256 KiB."""
    causes = []
    for key in annotations:
        causes += [_invalid(path, key, message) for message in is_qualified_name(key.lower())]
    size = sum(
        len(key.encode()) + len(value.encode() if isinstance(value, str) else b"")
        for key, value in annotations.items()
    )
    if size > TOTAL_ANNOTATION_SIZE_LIMIT:
        causes.append(
            FieldCause(
                path,
                f"Too long: must have at most {TOTAL_ANNOTATION_SIZE_LIMIT} bytes",
                "FieldValueTooLong",
            )
        )
    return causes


def finalizer_verdict(finalizers: list[str], path: str) -> MetadataVerdict:
    verdict = MetadataVerdict()
    for name in finalizers:
        verdict.causes += [_invalid(path, name, message) for message in is_qualified_name(name)]
        if "/" not in name and name not in STANDARD_FINALIZERS:
            verdict.warnings.append(f"{path}: {go_quote(name)}: {FINALIZER_WARNING}")
    if "orphan" in finalizers and "foregroundDeletion" in finalizers:
        shown = ", ".join(go_quote(name) for name in finalizers)
        verdict.causes.append(
            FieldCause(
                path,
                f"Invalid value: []string{{{shown}}}: finalizer orphan and foregroundDeletion "
                "cannot be both set",
            )
        )
    return verdict


def _owner_causes(references: list[Object], path: str) -> list[FieldCause]:
    causes = []
    for reference in references:
        api_version = str(reference.get("apiVersion") or "")
        if not api_version.rpartition("/")[2]:
            causes.append(_invalid(f"{path}.apiVersion", api_version, "version must not be empty"))
        for key in ("kind", "name", "uid"):
            if not reference.get(key):
                causes.append(_invalid(f"{path}.{key}", "", "must not be empty"))
    return causes


def validate_metadata(kind: Kind, obj: Object, *, creating: bool) -> MetadataVerdict:
    """What ValidateObjectMeta(Update) says about `obj`; its metadata is already well-typed."""
    metadata: Mapping[str, Any] = obj.get("metadata") or {}
    verdict = MetadataVerdict()
    if creating:
        verdict.causes += _name_causes(kind, metadata)
        verdict.causes += _namespace_causes(kind, metadata)
    generation = metadata.get("generation")
    if isinstance(generation, int) and generation < 0:
        verdict.causes.append(
            FieldCause(
                "metadata.generation",
                f"Invalid value: {generation}: must be greater than or equal to 0",
            )
        )
    verdict.causes += label_causes(metadata.get("labels") or {}, "metadata.labels")
    verdict.causes += annotation_causes(metadata.get("annotations") or {}, "metadata.annotations")
    verdict.causes += _owner_causes(
        metadata.get("ownerReferences") or [], "metadata.ownerReferences"
    )
    finalizers = finalizer_verdict(list(metadata.get("finalizers") or []), "metadata.finalizers")
    verdict.causes += finalizers.causes
    verdict.warnings += finalizers.warnings
    return verdict
