"""The order a restore creates resources in, as Velero's restorer walks a backup.

Ported from vmware-tanzu/velero `pkg/cmd/server/config/config.go` (defaultRestorePriorities),
`pkg/types/priority.go` (the `--restore-resource-priorities` syntax) and `pkg/restore/restore.go`
(getOrderedResources, execute: CRDs in a first pass, then the prioritised list, then every other
resource of the backup alphabetically, then the low priorities).
"""

from collections.abc import Iterable

from pydantic import BaseModel, ConfigDict

from services.backup.catalog import ResourceCatalog

PRIORITY_SEPARATOR = "-"
CUSTOM_RESOURCE_DEFINITIONS = "customresourcedefinitions"


class PrioritiesError(ValueError):
    """A `--restore-resource-priorities` value Velero refuses; the message is Velero's."""


class Priorities(BaseModel):
    """Resources restored first (high, in order) and last (low, in order)."""

    model_config = ConfigDict(frozen=True)

    high: tuple[str, ...] = ()
    low: tuple[str, ...] = ()

    def __str__(self) -> str:
        parts = list(self.high)
        if self.low:
            parts += [PRIORITY_SEPARATOR, *self.low]
        return ",".join(parts)


DEFAULT_RESTORE_PRIORITIES = Priorities(
    high=(
        "customresourcedefinitions",
        "namespaces",
        "storageclasses",
        "volumesnapshotclass.snapshot.storage.k8s.io",
        "volumesnapshotcontents.snapshot.storage.k8s.io",
        "volumesnapshots.snapshot.storage.k8s.io",
        "datauploads.velero.io",
        "persistentvolumes",
        "persistentvolumeclaims",
        "clusterroles",
        "roles",
        "serviceaccounts",
        "clusterrolebindings",
        "rolebindings",
        "secrets",
        "configmaps",
        "limitranges",
        "priorityclasses",
        "pods",
        "replicasets.apps",
        "clusterclasses.cluster.x-k8s.io",
        "endpoints",
        "services",
    ),
    low=(
        "clusterbootstraps.run.tanzu.vmware.com",
        "clusters.cluster.x-k8s.io",
        "clusterresourcesets.addons.cluster.x-k8s.io",
        "apps.kappctrl.k14s.io",
        "packageinstalls.packaging.carvel.dev",
    ),
)
"""Velero's defaults. The singular `volumesnapshotclass` is upstream's spelling; discovery
resolves it through the singular name."""


def parse_priorities(text: str) -> Priorities:
    """Priorities.Set: `a,b,-,c` = high a, b and low c; no separator = all high."""
    if not text:
        return Priorities()
    parts = text.split(",")
    separators = [index for index, part in enumerate(parts) if part == PRIORITY_SEPARATOR]
    if len(separators) > 1:
        raise PrioritiesError(f'multiple priority separator "{PRIORITY_SEPARATOR}" found')
    if not separators:
        return Priorities(high=tuple(parts))
    index = separators[0]
    return Priorities(high=tuple(parts[:index]), low=tuple(parts[index + 1 :]))


def ordered_resources(priorities: Priorities, backup_resources: Iterable[str]) -> list[str]:
    """getOrderedResources: high priorities, the backup's other resources sorted, low ones.

    Entries are returned as written; the priority lists may name resources the backup lacks.
    """
    prioritised = set(priorities.high) | set(priorities.low)
    others = sorted({resource for resource in backup_resources if resource not in prioritised})
    return [*priorities.high, *others, *priorities.low]


def restore_order(
    priorities: Priorities, *, backup_resources: Iterable[str], catalog: ResourceCatalog
) -> list[str]:
    """The group-resources of a backup in the order the restore creates them.

    CRDs go first in a pass of their own so the types they define exist before anything else.
    Each entry is then resolved through the target's discovery (`pods`, `replicasets.apps`);
    a name discovery does not know is used as written (it may be defined by a restored CRD).
    Resources already handled are skipped, and only resources present in the backup remain.
    """
    present = set(backup_resources)
    order: list[str] = []
    for resource in [CUSTOM_RESOURCE_DEFINITIONS, *ordered_resources(priorities, present)]:
        group_resource = catalog.canonical(resource)
        if group_resource in order or group_resource not in present:
            continue
        order.append(group_resource)
    return order
