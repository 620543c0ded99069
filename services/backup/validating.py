"""Velero's filter validation, word for word: what turns a run into `FailedValidation`.

Ported from vmware-tanzu/velero `pkg/util/collections/includes_excludes.go`
(ValidateIncludesExcludes, ValidateNamespaceIncludesExcludes, ValidateScopedIncludesExcludes,
wildcard.ValidateNamespaceName) and the checks of `pkg/controller/backup_controller.go`
(prepareBackupRequest) and `restore_controller.go` (validateAndComplete). Each function returns
the `status.validationErrors` strings Velero would write; an empty list means valid.
"""

import re
from collections.abc import Iterable

from services.backup.filtering import NON_RESTORABLE_RESOURCES
from services.backup.models import ResourceFilter

_DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DNS1123_LABEL_MESSAGE = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', "
    "and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', "
    "regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
)
_DNS1123_LABEL_MAX_LENGTH = 63

OLD_AND_NEW_FILTERS_MIXED = (
    "include-resources, exclude-resources and include-cluster-resources are old filter "
    "parameters.\ninclude-cluster-scoped-resources, exclude-cluster-scoped-resources, "
    "include-namespace-scoped-resources and exclude-namespace-scoped-resources are new filter "
    "parameters.\nThey cannot be used together"
)


def _unique(items: Iterable[str] | None) -> list[str]:
    """sets.NewString(...).List(): de-duplicated and sorted."""
    return sorted(set(items or ()))


def validate_includes_excludes(
    includes: Iterable[str] | None, excludes: Iterable[str] | None
) -> list[str]:
    included, excluded = _unique(includes), _unique(excludes)
    errors: list[str] = []
    if len(included) > 1 and "*" in included:
        errors.append("includes list must either contain '*' only, or a non-empty list of items")
    if "*" in excluded:
        errors.append("excludes list cannot contain '*'")
    errors += [
        f"excludes list cannot contain an item in the includes list: {item}"
        for item in excluded
        if item in included
    ]
    return errors


def _wildcard_pattern_error(pattern: str) -> str | None:
    """wildcard.ValidateNamespaceName: the glob subset Velero accepts for namespaces."""
    if any(char in pattern for char in "|()!{},"):
        return "wildcard pattern contains unsupported characters: |, (, ), !, {, }, ,"
    if "**" in pattern:
        return "wildcard pattern contains consecutive asterisks (only single * allowed)"
    index = 0
    while index < len(pattern):
        if pattern[index] == "[":
            end = pattern.find("]", index + 1)
            if end == -1:
                return "wildcard pattern contains unclosed bracket '['"
            if end == index + 1:
                return "wildcard pattern contains empty bracket pattern '[]'"
            index = end
        elif pattern[index] == "]":
            return "wildcard pattern contains unmatched closing bracket ']'"
        index += 1
    return None


def _namespace_name_errors(namespace: str) -> list[str]:
    if namespace == "":
        return []
    if wildcard_error := _wildcard_pattern_error(namespace):
        return [wildcard_error]
    candidate = re.sub(r"[*?\[\]]", "x", namespace)
    errors: list[str] = []
    if len(candidate) > _DNS1123_LABEL_MAX_LENGTH:
        errors.append(f"must be no more than {_DNS1123_LABEL_MAX_LENGTH} characters")
    if not _DNS1123_LABEL.match(candidate):
        errors.append(_DNS1123_LABEL_MESSAGE)
    return [f'invalid namespace "{namespace}": {message}' for message in errors]


def validate_namespace_includes_excludes(
    includes: Iterable[str] | None, excludes: Iterable[str] | None
) -> list[str]:
    errors = validate_includes_excludes(includes, excludes)
    for namespace in _unique(includes) + _unique(excludes):
        errors += _namespace_name_errors(namespace)
    return errors


def validate_scoped_includes_excludes(
    includes: Iterable[str] | None, excludes: Iterable[str] | None
) -> list[str]:
    included, excluded = _unique(includes), _unique(excludes)
    errors: list[str] = []
    if len(included) > 1 and "*" in included:
        errors.append("includes list must either contain '*' only, or a non-empty list of items")
    if len(excluded) > 1 and "*" in excluded:
        errors.append("excludes list must either contain '*' only, or a non-empty list of items")
    if included and "*" in excluded:
        errors.append("when exclude is '*', include cannot have value")
    errors += [
        f"excludes list cannot contain an item in the includes list: {item}"
        for item in excluded
        if item in included
    ]
    return errors


def validate_backup_filter(resource_filter: ResourceFilter | None) -> list[str]:
    """prepareBackupRequest's filter checks, in Velero's order and wording."""
    spec = resource_filter or ResourceFilter()
    errors: list[str] = []
    if spec.uses_old_resource_filters() and spec.uses_scoped_resource_filters():
        errors.append(OLD_AND_NEW_FILTERS_MIXED)
    if spec.uses_old_resource_filters():
        errors += [
            f"Invalid included/excluded resource lists: {error}"
            for error in validate_includes_excludes(
                spec.included_resources, spec.excluded_resources
            )
        ]
    else:
        errors += [
            f"Invalid cluster-scoped included/excluded resource lists: {error}"
            for error in validate_scoped_includes_excludes(
                spec.included_cluster_scoped_resources, spec.excluded_cluster_scoped_resources
            )
        ]
        errors += [
            f"Invalid namespace-scoped included/excluded resource lists: {error}"
            for error in validate_scoped_includes_excludes(
                spec.included_namespace_scoped_resources,
                spec.excluded_namespace_scoped_resources,
            )
        ]
    errors += [
        f"Invalid included/excluded namespace lists: {error}"
        for error in validate_namespace_includes_excludes(
            spec.included_namespaces or ["*"], spec.excluded_namespaces
        )
    ]
    if spec.or_label_selectors is not None and spec.label_selector is not None:
        errors.append(
            "encountered labelSelector as well as orLabelSelectors in backup spec, "
            "only one can be specified"
        )
    return errors


def validate_restore_filter(resource_filter: ResourceFilter | None) -> list[str]:
    """validateAndComplete's filter checks (the non-restorables are excluded before these)."""
    spec = resource_filter or ResourceFilter()
    excluded = list(spec.excluded_resources or [])
    excluded += [item for item in NON_RESTORABLE_RESOURCES if item not in excluded]
    included = set(spec.included_resources or [])
    errors = [
        f"{resource} are non-restorable resources"
        for resource in NON_RESTORABLE_RESOURCES
        if resource in included
    ]
    errors += [
        f"Invalid included/excluded resource lists: {error}"
        for error in validate_includes_excludes(spec.included_resources, excluded)
    ]
    errors += [
        f"Invalid included/excluded namespace lists: {error}"
        for error in validate_includes_excludes(spec.included_namespaces, spec.excluded_namespaces)
    ]
    if spec.or_label_selectors is not None and spec.label_selector is not None:
        errors.append(
            "encountered labelSelector as well as orLabelSelectors in restore spec, "
            "only one can be specified"
        )
    return errors
