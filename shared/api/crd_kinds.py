"""CustomResourceDefinitions as kinds: which versions a CRD serves, with the API server's
refusals (names, scope, storage version) worded as kube-apiserver words them.

Pure over the CRD document, so the REST layer's `Registry` and `navarch plan` (which has no
server) turn CRDs into kinds the same way.
"""

from collections.abc import Callable

from shared.api.kind_table import Kind, Object, PrinterColumn, ScaleSpec
from shared.api.resources import ResourceType

KnownKind = Callable[[str, str, str], Kind | None]
"""(group, version, plural) -> the kind already served there, if any."""


class InvalidCrdError(ValueError):
    """A CRD whose names or versions cannot be served; `field` names the culprit."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def kinds_from_crd(crd: Object) -> list[Kind]:
    """The served versions of a CRD, storage version first (it is the preferred one)."""
    spec = crd.get("spec") or {}
    names = spec.get("names") or {}
    group = spec.get("group") or ""
    plural = names.get("plural") or ""
    kind_name = names.get("kind") or ""
    if not group or "." not in group:
        raise InvalidCrdError(
            "spec.group", "Invalid value: should be a domain with at least one dot"
        )
    if not plural or plural != plural.lower():
        raise InvalidCrdError("spec.names.plural", "Invalid value: must be a lowercase name")
    if not kind_name:
        raise InvalidCrdError("spec.names.kind", "Required value")
    expected = f"{plural}.{group}"
    if crd.get("metadata", {}).get("name") != expected:
        raise InvalidCrdError(
            "metadata.name", f'Invalid value: must be spec.names.plural+"."+spec.group ({expected})'
        )
    scope = spec.get("scope", "Namespaced")
    if scope not in ("Namespaced", "Cluster"):
        raise InvalidCrdError(
            "spec.scope", 'Unsupported value: supported values: "Cluster", "Namespaced"'
        )
    versions = [v for v in spec.get("versions") or [] if isinstance(v, dict)]
    if not versions:
        raise InvalidCrdError(
            "spec.versions",
            "Required value: must have exactly one version marked as storage version",
        )
    if sum(1 for v in versions if v.get("storage")) != 1:
        raise InvalidCrdError(
            "spec.versions",
            "Invalid value: must have exactly one version marked as storage version",
        )
    served = sorted((v for v in versions if v.get("served")), key=lambda v: not v.get("storage"))
    kinds: list[Kind] = []
    for version in served:
        subresources = version.get("subresources") or {}
        scale = subresources.get("scale")
        columns = tuple(
            PrinterColumn(
                name=column.get("name", ""),
                type=column.get("type", "string"),
                json_path=column.get("jsonPath", ""),
                priority=int(column.get("priority", 0)),
                description=column.get("description", ""),
            )
            for column in version.get("additionalPrinterColumns") or []
        )
        kinds.append(
            Kind(
                ResourceType(
                    group=group,
                    version=version.get("name", ""),
                    plural=plural,
                    kind=kind_name,
                    namespaced=scope == "Namespaced",
                    status_subresource="status" in subresources,
                    singular=names.get("singular") or kind_name.lower(),
                    short_names=tuple(names.get("shortNames") or ()),
                ),
                categories=tuple(names.get("categories") or ()),
                scale=ScaleSpec(
                    spec_replicas=scale.get("specReplicasPath", ".spec.replicas"),
                    status_replicas=scale.get("statusReplicasPath", ".status.replicas"),
                    label_selector=scale.get("labelSelectorPath"),
                )
                if isinstance(scale, dict)
                else None,
                builtin=False,
                printer_columns=columns,
                schema=(version.get("schema") or {}).get("openAPIV3Schema"),
            )
        )
    return kinds


def checked_crd_kinds(crd: Object, *, known: KnownKind) -> list[Kind]:
    """The kinds a CRD would serve; InvalidCrdError if unusable or clashing with a built-in."""
    kinds = kinds_from_crd(crd)
    for kind in kinds:
        existing = known(kind.group, kind.version, kind.plural)
        if existing is not None and existing.builtin:
            raise InvalidCrdError("spec.group", f"{kind.resource.group_resource} is built in")
    return kinds
