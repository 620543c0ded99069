"""Velero's resource filter: what a backup collects and what a restore puts back.

Ported from vmware-tanzu/velero `pkg/util/collections/includes_excludes.go`,
`pkg/backup/item_collector.go` (the namespace tracker) and `pkg/restore/restore.go`
(`getOrderedResourceCollection`, `getSelectedRestoreableItems`). Includes and excludes are glob
sets (`*`, `?`, `[a-z]`, `{a,b}` as gobwas/glob reads them); an empty include list means
everything, and an exclude always wins.
"""

import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from pydantic import BaseModel, ConfigDict

from services.backup.catalog import APIResource, ResourceCatalog
from services.backup.models import ResourceFilter
from shared.api.meta import LabelSelector

KubeObject = dict[str, Any]
"""A member object exactly as the API served it (Velero's unstructured.Unstructured)."""

EXCLUDE_FROM_BACKUP_LABEL = "velero.io/exclude-from-backup"
NAMESPACES = "namespaces"

AUTO_EXCLUDED_NAMESPACE_SCOPED_RESOURCES = ("volumesnapshots.snapshot.storage.k8s.io",)
AUTO_EXCLUDED_CLUSTER_SCOPED_RESOURCES = ("volumesnapshotcontents.snapshot.storage.k8s.io",)
"""What a backup always leaves out (backup_controller.go: CSI intermediates)."""

NON_RESTORABLE_RESOURCES = (
    "nodes",
    "events",
    "events.events.k8s.io",
    "backups.velero.io",
    "restores.velero.io",
    "resticrepositories.velero.io",
    "csinodes.storage.k8s.io",
    "volumeattachments.storage.k8s.io",
    "backuprepositories.velero.io",
)
"""restore_controller.go `nonRestorableResources`: added to every restore's excludes."""

RESTORE_MUST_HAVE_RESOURCES = (
    "datauploads.velero.io",
    "volumesnapshotcontents.snapshot.storage.k8s.io",
)
"""restore.go `resourceMustHave`: restored whatever the filters say."""


@lru_cache(maxsize=1024)
def _glob_regex(pattern: str) -> re.Pattern[str] | None:
    """gobwas/glob without separators as a regex; None when the pattern does not compile."""
    out: list[str] = []
    index = 0
    depth = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\" and index + 1 < len(pattern):
            out.append(re.escape(pattern[index + 1]))
            index += 2
            continue
        if char == "*":
            out.append(".*")
        elif char == "?":
            out.append(".")
        elif char == "[":
            end = pattern.find("]", index + 1)
            if end == -1:
                return None
            body = pattern[index + 1 : end]
            negate = body.startswith("!")
            body = body[1:] if negate else body
            if not body:
                return None
            out.append("[" + ("^" if negate else "") + body.replace("\\", "\\\\") + "]")
            index = end
        elif char == "{":
            depth += 1
            out.append("(?:")
        elif char == "}" and depth:
            depth -= 1
            out.append(")")
        elif char == "," and depth:
            out.append("|")
        else:
            out.append(re.escape(char))
        index += 1
    if depth:
        return None
    try:
        return re.compile("".join(out), re.DOTALL)
    except re.error:
        return None


class IncludesExcludes(BaseModel):
    """Velero's IncludesExcludes: sorted glob sets; excludes win; empty or `*` includes all."""

    model_config = ConfigDict(frozen=True)

    includes: tuple[str, ...] = ()
    excludes: tuple[str, ...] = ()

    @classmethod
    def of(cls, includes: Iterable[str] = (), excludes: Iterable[str] = ()) -> "IncludesExcludes":
        return cls(includes=tuple(sorted(set(includes))), excludes=tuple(sorted(set(excludes))))

    @staticmethod
    def _matches(patterns: tuple[str, ...], text: str) -> bool:
        """globStringSet.match: a pattern that does not compile ends the search with no match."""
        for pattern in patterns:
            regex = _glob_regex(pattern)
            if regex is None:
                return False
            if regex.fullmatch(text):
                return True
        return False

    def excluded(self, text: str) -> bool:
        return self._matches(self.excludes, text)

    def named_in_includes(self, text: str) -> bool:
        return self._matches(self.includes, text)

    def should_include(self, text: str) -> bool:
        if self.excluded(text):
            return False
        return not self.includes or "*" in self.includes or self.named_in_includes(text)

    def include_everything(self) -> bool:
        return not self.excludes and (not self.includes or self.includes == ("*",))


def resource_includes_excludes(
    catalog: ResourceCatalog, includes: Iterable[str] | None, excludes: Iterable[str] | None
) -> IncludesExcludes:
    """GetResourceIncludesExcludes: names resolved to group-resources; `*` excludes ignored."""
    resolved_includes = [
        item if item == "*" else catalog.canonical(item) for item in includes or ()
    ]
    resolved_excludes = [catalog.canonical(item) for item in excludes or () if item != "*"]
    return IncludesExcludes.of(resolved_includes, resolved_excludes)


def _scoped(
    catalog: ResourceCatalog, items: Iterable[str] | None, *, namespaced: bool
) -> list[str]:
    """scopeResourceMapFunc: names of the other scope drop out; unknown names stay as given."""
    resolved: list[str] = []
    for item in items or ():
        if item == "*":
            resolved.append(item)
            continue
        found = catalog.resolve(item)
        if found is None:
            resolved.append(item)
        elif found.namespaced == namespaced:
            resolved.append(found.group_resource)
    return resolved


def label_selection(
    labels: dict[str, str],
    *,
    selector: LabelSelector | None,
    or_selectors: list[LabelSelector] | None,
) -> bool:
    """List-time selection: the one selector, or any of the OR-ed ones (never both)."""
    if or_selectors:
        return any(candidate.matches(labels) for candidate in or_selectors)
    return selector is None or selector.matches(labels)


def _labels(obj: KubeObject) -> dict[str, str]:
    return dict((obj.get("metadata") or {}).get("labels") or {})


def _name(obj: KubeObject) -> str:
    return str((obj.get("metadata") or {}).get("name") or "")


def _namespace(obj: KubeObject) -> str:
    return str((obj.get("metadata") or {}).get("namespace") or "")


class BackupScope(BaseModel):
    """A Backup's filters compiled against one member's catalog (Velero's backup Request)."""

    model_config = ConfigDict(frozen=True)

    namespaces: IncludesExcludes
    old_style: bool
    auto_excluded: tuple[str, ...]
    resources: IncludesExcludes
    include_cluster_resources: bool | None
    namespace_scoped: IncludesExcludes
    cluster_scoped: IncludesExcludes
    label_selector: LabelSelector | None
    or_label_selectors: tuple[LabelSelector, ...]


def labelled_excluded_namespaces(namespaces: Iterable[KubeObject]) -> list[str]:
    """Namespaces labelled `velero.io/exclude-from-backup=true` join the excluded namespaces."""
    return [_name(ns) for ns in namespaces if _labels(ns).get(EXCLUDE_FROM_BACKUP_LABEL) == "true"]


def compile_backup_scope(
    resource_filter: ResourceFilter | None,
    *,
    catalog: ResourceCatalog,
    excluded_by_label: Iterable[str] = (),
) -> BackupScope:
    """Normalise the filter as Velero's backup controller does before collecting items.

    Velero writes its auto-excludes into the user's exclude lists; here they are kept apart so
    that "no cluster-scoped filter on a backup of everything" still means a full backup, as
    Velero documents, instead of turning into a namespaced-only one.
    """
    spec = resource_filter or ResourceFilter()
    included_namespaces = spec.included_namespaces or ["*"]
    excluded_namespaces = list(spec.excluded_namespaces or []) + list(excluded_by_label)
    return BackupScope(
        namespaces=IncludesExcludes.of(included_namespaces, excluded_namespaces),
        old_style=spec.uses_old_resource_filters(),
        auto_excluded=AUTO_EXCLUDED_NAMESPACE_SCOPED_RESOURCES
        + AUTO_EXCLUDED_CLUSTER_SCOPED_RESOURCES,
        resources=resource_includes_excludes(
            catalog, spec.included_resources, spec.excluded_resources
        ),
        include_cluster_resources=spec.include_cluster_resources,
        namespace_scoped=IncludesExcludes.of(
            _scoped(catalog, spec.included_namespace_scoped_resources, namespaced=True),
            _scoped(catalog, spec.excluded_namespace_scoped_resources, namespaced=True),
        ),
        cluster_scoped=IncludesExcludes.of(
            _scoped(catalog, spec.included_cluster_scoped_resources, namespaced=False),
            _scoped(catalog, spec.excluded_cluster_scoped_resources, namespaced=False),
        ),
        label_selector=spec.label_selector,
        or_label_selectors=tuple(spec.or_label_selectors or ()),
    )


def backs_up_resource(scope: BackupScope, resource: APIResource) -> bool:
    """Whether the collector lists this resource at all (Global/ScopeIncludesExcludes)."""
    name = resource.group_resource
    if name in scope.auto_excluded:
        return False
    if scope.old_style:
        if not resource.namespaced and scope.include_cluster_resources is False:
            return False
        if (
            name != NAMESPACES
            and not resource.namespaced
            and scope.include_cluster_resources is None
            and not scope.namespaces.include_everything()
        ):
            return False
        return scope.resources.should_include(name)
    if resource.namespaced:
        if "*" in scope.namespace_scoped.excludes:
            return False
        return scope.namespace_scoped.should_include(name)
    cluster = scope.cluster_scoped
    if "*" in cluster.excludes or cluster.excluded(name):
        return False
    if (
        not cluster.includes
        and not cluster.excludes
        and scope.namespaces.include_everything()
        and scope.namespace_scoped.include_everything()
    ):
        return True
    return "*" in cluster.includes or cluster.named_in_includes(name) or name == NAMESPACES


def namespaces_to_list(scope: BackupScope) -> list[str]:
    """getNamespacesToList: `""` (all namespaces, one list call) unless specific ones are named."""
    if scope.namespaces.should_include("*") or any(
        any(char in item for char in "*?[") for item in scope.namespaces.includes
    ):
        return [""]
    return [item for item in scope.namespaces.includes if scope.namespaces.should_include(item)]


def collects_item(scope: BackupScope, resource: APIResource, obj: KubeObject) -> bool:
    """Whether a listed object of a backed-up resource is collected (namespace, labels)."""
    if resource.group_resource == NAMESPACES:
        raise ValueError("namespaces are chosen by select_namespaces, after every other item")
    if resource.namespaced and not scope.namespaces.should_include(_namespace(obj)):
        return False
    return label_selection(
        _labels(obj), selector=scope.label_selector, or_selectors=list(scope.or_label_selectors)
    )


def excluded_by_label(obj: KubeObject) -> bool:
    """item_backupper.go: `velero.io/exclude-from-backup=true` skips a collected item."""
    return _labels(obj).get(EXCLUDE_FROM_BACKUP_LABEL) == "true"


def select_namespaces(
    scope: BackupScope, namespaces: Iterable[KubeObject], *, item_namespaces: set[str]
) -> list[KubeObject]:
    """The nsTracker: the Namespace objects a backup keeps.

    A namespace is kept when it holds a collected item, when its labels match the backup's
    selector, or when its name passes the namespace filter; with the default (everything)
    namespace filter and a label selector, only the first two count (velero#7105). Namespaces
    not in phase Active are not tracked by filter or selector. Call it only when
    `backs_up_resource` admits `namespaces` itself; Velero lists them without a selector.
    """
    selectors = list(scope.or_label_selectors)
    has_selector = scope.label_selector is not None or bool(selectors)
    kept: list[KubeObject] = []
    for namespace in namespaces:
        name = _name(namespace)
        if name in item_namespaces:
            kept.append(namespace)
            continue
        if ((namespace.get("status") or {}).get("phase") or "Active") != "Active":
            continue
        labels = _labels(namespace)
        if scope.label_selector is not None and scope.label_selector.matches(labels):
            kept.append(namespace)
        elif any(selector.matches(labels) for selector in selectors):
            kept.append(namespace)
        elif scope.namespaces.include_everything() and has_selector:
            continue
        elif scope.namespaces.should_include(name):
            kept.append(namespace)
    return kept


def missing_included_namespaces(scope: BackupScope, existing: Iterable[str]) -> list[str]:
    """collectNamespaces' errors for named namespaces that do not exist (they count as errors)."""
    present = set(existing)
    return [
        f"fail to get the namespace {name} specified in backup.Spec.IncludedNamespaces"
        for name in scope.namespaces.includes
        if name != "*" and name not in present
    ]


class RestoreScope(BaseModel):
    """A Restore's old-style filters against the target's catalog (restore.go's context)."""

    model_config = ConfigDict(frozen=True)

    namespaces: IncludesExcludes
    resources: IncludesExcludes
    include_cluster_resources: bool | None
    label_selector: LabelSelector | None
    or_label_selectors: tuple[LabelSelector, ...]


def compile_restore_scope(
    resource_filter: ResourceFilter | None, *, catalog: ResourceCatalog
) -> RestoreScope:
    """Only the old-style filters reach a Velero restore; non-restorables are always excluded."""
    spec = resource_filter or ResourceFilter()
    excludes = list(spec.excluded_resources or [])
    excludes += [item for item in NON_RESTORABLE_RESOURCES if item not in excludes]
    return RestoreScope(
        namespaces=IncludesExcludes.of(
            spec.included_namespaces or (), spec.excluded_namespaces or ()
        ),
        resources=resource_includes_excludes(catalog, spec.included_resources, excludes),
        include_cluster_resources=spec.include_cluster_resources,
        label_selector=spec.label_selector,
        or_label_selectors=tuple(spec.or_label_selectors or ()),
    )


def restores_resource(scope: RestoreScope, group_resource: str) -> bool:
    return (
        scope.resources.should_include(group_resource)
        or group_resource in RESTORE_MUST_HAVE_RESOURCES
    )


def restores_namespace(scope: RestoreScope, group_resource: str, namespace: str) -> bool:
    """Whether one namespace's (or, for `""`, the cluster scope's) items of a resource restore.

    Must-have resources skip only the namespace filter; cluster scope follows
    `includeClusterResources` (nil: only when every namespace is restored).
    """
    if namespace:
        return group_resource in RESTORE_MUST_HAVE_RESOURCES or scope.namespaces.should_include(
            namespace
        )
    if scope.include_cluster_resources is False:
        return False
    return scope.include_cluster_resources is True or scope.namespaces.include_everything()


def restores_item(scope: RestoreScope, group_resource: str, obj: KubeObject) -> bool:
    """getSelectedRestoreableItems: the selector (default: all), then any OR-ed selector."""
    if group_resource in RESTORE_MUST_HAVE_RESOURCES:
        return True
    labels = _labels(obj)
    if scope.label_selector is not None and not scope.label_selector.matches(labels):
        return False
    selectors = scope.or_label_selectors
    return not selectors or any(selector.matches(labels) for selector in selectors)
