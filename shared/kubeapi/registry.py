"""The kinds a server knows: built-in Kubernetes, Karmada and Kurator, plus CRDs added at run time.

A server is built from a chosen set (the hub serves all three families, the simulator only
Kubernetes'), and `CustomResourceDefinition`s register further kinds while it runs.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from shared.api.resources import ResourceType

Object = dict[str, Any]


@dataclass(frozen=True)
class ScaleSpec:
    """Where the `/scale` subresource reads and writes (dotted paths, as CRDs declare them)."""

    spec_replicas: str = ".spec.replicas"
    status_replicas: str = ".status.replicas"
    label_selector: str | None = ".spec.selector"


@dataclass(frozen=True)
class PrinterColumn:
    """A CRD `additionalPrinterColumns` entry: a `kubectl get` column from a JSONPath."""

    name: str
    type: str
    json_path: str
    priority: int = 0
    description: str = ""


@dataclass(frozen=True)
class Kind:
    """A served resource: its ResourceType plus what discovery and patching need to know."""

    resource: ResourceType
    categories: tuple[str, ...] = ()
    scale: ScaleSpec | None = None
    builtin: bool = True
    """Built-in kinds accept strategic-merge patches; custom ones answer 415."""
    printer_columns: tuple[PrinterColumn, ...] = ()
    schema: Object | None = None
    """A CRD's openAPIV3Schema (for list-map keys in server-side apply), when it has one."""
    extra_subresources: tuple[str, ...] = ()

    @property
    def group(self) -> str:
        return self.resource.group

    @property
    def version(self) -> str:
        return self.resource.version

    @property
    def plural(self) -> str:
        return self.resource.plural

    @property
    def kind(self) -> str:
        return self.resource.kind

    @property
    def namespaced(self) -> bool:
        return self.resource.namespaced


def _kind(
    api_version: str,
    kind: str,
    plural: str,
    *,
    namespaced: bool = True,
    status: bool = True,
    short: tuple[str, ...] = (),
    categories: tuple[str, ...] = (),
    scale: bool = False,
    builtin: bool = True,
    extra_subresources: tuple[str, ...] = (),
) -> Kind:
    group, _, version = api_version.rpartition("/")
    return Kind(
        ResourceType(
            group=group,
            version=version,
            plural=plural,
            kind=kind,
            namespaced=namespaced,
            status_subresource=status,
            singular=kind.lower(),
            short_names=short,
        ),
        categories=categories,
        scale=ScaleSpec() if scale else None,
        builtin=builtin,
        extra_subresources=extra_subresources,
    )


ALL = ("all",)

KUBERNETES_KINDS: tuple[Kind, ...] = (
    _kind("v1", "Namespace", "namespaces", namespaced=False, short=("ns",),
          extra_subresources=("finalize",)),
    _kind("v1", "Secret", "secrets", status=False),
    _kind("v1", "ConfigMap", "configmaps", status=False, short=("cm",)),
    _kind("v1", "Service", "services", short=("svc",), categories=ALL),
    _kind("v1", "ServiceAccount", "serviceaccounts", status=False, short=("sa",)),
    _kind("v1", "PersistentVolumeClaim", "persistentvolumeclaims", short=("pvc",)),
    _kind("v1", "Pod", "pods", short=("po",), categories=ALL),
    _kind("v1", "Node", "nodes", namespaced=False, short=("no",)),
    _kind("v1", "Event", "events", status=False, short=("ev",)),
    _kind("apps/v1", "Deployment", "deployments", short=("deploy",), categories=ALL, scale=True),
    _kind("apps/v1", "StatefulSet", "statefulsets", short=("sts",), categories=ALL, scale=True),
    _kind("apps/v1", "DaemonSet", "daemonsets", short=("ds",), categories=ALL),
    _kind("apps/v1", "ReplicaSet", "replicasets", short=("rs",), categories=ALL, scale=True),
    _kind("batch/v1", "Job", "jobs", categories=ALL),
    _kind("batch/v1", "CronJob", "cronjobs", short=("cj",), categories=ALL),
    _kind("autoscaling/v2", "HorizontalPodAutoscaler", "horizontalpodautoscalers",
          short=("hpa",), categories=ALL),
    _kind("networking.k8s.io/v1", "Ingress", "ingresses", short=("ing",)),
    _kind("networking.k8s.io/v1", "NetworkPolicy", "networkpolicies", status=False,
          short=("netpol",)),
    _kind("policy/v1", "PodDisruptionBudget", "poddisruptionbudgets", short=("pdb",)),
    _kind("coordination.k8s.io/v1", "Lease", "leases", status=False),
    _kind("apiextensions.k8s.io/v1", "CustomResourceDefinition", "customresourcedefinitions",
          namespaced=False, short=("crd", "crds")),
)  # fmt: skip

KARMADA_KINDS: tuple[Kind, ...] = (
    _kind("policy.karmada.io/v1alpha1", "PropagationPolicy", "propagationpolicies",
          status=False, short=("pp",), builtin=False),
    _kind("policy.karmada.io/v1alpha1", "ClusterPropagationPolicy", "clusterpropagationpolicies",
          namespaced=False, status=False, short=("cpp",), builtin=False),
    _kind("policy.karmada.io/v1alpha1", "OverridePolicy", "overridepolicies",
          status=False, short=("op",), builtin=False),
    _kind("policy.karmada.io/v1alpha1", "ClusterOverridePolicy", "clusteroverridepolicies",
          namespaced=False, status=False, short=("cop",), builtin=False),
    _kind("work.karmada.io/v1alpha2", "ResourceBinding", "resourcebindings", short=("rb",),
          builtin=False),
    _kind("work.karmada.io/v1alpha2", "ClusterResourceBinding", "clusterresourcebindings",
          namespaced=False, short=("crb",), builtin=False),
    _kind("work.karmada.io/v1alpha1", "Work", "works", builtin=False),
    _kind("cluster.karmada.io/v1alpha1", "Cluster", "clusters", namespaced=False, builtin=False),
    _kind("autoscaling.karmada.io/v1alpha1", "FederatedHPA", "federatedhpas", short=("fhpa",),
          builtin=False),
)  # fmt: skip

KURATOR_KINDS: tuple[Kind, ...] = (
    _kind("fleet.kurator.dev/v1alpha1", "Fleet", "fleets", builtin=False),
    _kind("cluster.kurator.dev/v1alpha1", "AttachedCluster", "attachedclusters", builtin=False),
    _kind("cluster.kurator.dev/v1alpha1", "Cluster", "clusters", builtin=False),
    _kind("policy.kurator.dev/v1alpha1", "DistributionPolicy", "distributionpolicies",
          builtin=False),
    _kind("policy.kurator.dev/v1alpha1", "OverridePolicy", "overridepolicies", builtin=False),
    _kind("apps.kurator.dev/v1alpha1", "DistributionPolicy", "distributionpolicies",
          builtin=False),
    _kind("apps.kurator.dev/v1alpha1", "OverridePolicy", "overridepolicies", builtin=False),
    _kind("backup.kurator.dev/v1alpha1", "Backup", "backups", builtin=False),
    _kind("backup.kurator.dev/v1alpha1", "Restore", "restores", builtin=False),
    _kind("backup.kurator.dev/v1alpha1", "Migrate", "migrates", builtin=False),
)  # fmt: skip

BUNDLED_KINDS: tuple[Kind, ...] = (
    _kind("karmada.io/v1alpha1", "KarmadaConfig", "karmadaconfigs", namespaced=False,
          status=False, builtin=False),
    _kind("networking.istio.io/v1beta1", "VirtualService", "virtualservices", short=("vs",),
          builtin=False),
    _kind("networking.istio.io/v1beta1", "DestinationRule", "destinationrules", short=("dr",),
          builtin=False),
    _kind("networking.istio.io/v1beta1", "Gateway", "gateways", short=("gw",), builtin=False),
    _kind("install.istio.io/v1alpha1", "IstioOperator", "istiooperators", short=("iop",),
          builtin=False),
)  # fmt: skip
"""Kinds the articles' manifests use whose CRDs the hub ships preinstalled."""

CRD_GROUP_RESOURCE = "customresourcedefinitions.apiextensions.k8s.io"


class InvalidCrdError(ValueError):
    """A CRD whose names or versions cannot be served; `field` names the culprit."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class Registry:
    """Kinds by (group, version, plural); group order is registration order, as discovery shows."""

    def __init__(self) -> None:
        self._kinds: dict[tuple[str, str, str], Kind] = {}
        self._crd_owned: dict[str, list[tuple[str, str, str]]] = {}
        self._shadowed: dict[tuple[str, str, str], Kind] = {}

    @classmethod
    def of(cls, *families: Iterable[Kind]) -> "Registry":
        registry = cls()
        for family in families:
            for kind in family:
                registry.add(kind)
        return registry

    def add(self, kind: Kind) -> None:
        self._kinds[(kind.group, kind.version, kind.plural)] = kind

    def kinds(self) -> list[Kind]:
        return list(self._kinds.values())

    def lookup(self, group: str, version: str, plural: str) -> Kind | None:
        return self._kinds.get((group, version, plural))

    def by_kind(self, api_version: str, kind: str) -> Kind | None:
        group, _, version = api_version.rpartition("/")
        for candidate in self._kinds.values():
            if candidate.group == group and candidate.version == version and candidate.kind == kind:
                return candidate
        return None

    def namespace_kind(self) -> Kind | None:
        return self.lookup("", "v1", "namespaces")

    def groups(self) -> dict[str, list[str]]:
        """Group name -> served versions, preferred first (CRDs list them in preference order)."""
        out: dict[str, list[str]] = {}
        for group, version, _ in self._kinds:
            versions = out.setdefault(group, [])
            if version not in versions:
                versions.append(version)
        return out

    def in_group_version(self, group: str, version: str) -> list[Kind]:
        return [k for (g, v, _), k in self._kinds.items() if g == group and v == version]

    def namespaced_group_resources(self) -> list[Kind]:
        """One served version per namespaced collection: what namespace deletion must empty."""
        seen: dict[str, Kind] = {}
        for kind in self._kinds.values():
            if kind.namespaced:
                seen.setdefault(kind.resource.group_resource, kind)
        return list(seen.values())

    def check_crd(self, crd: Object) -> list[Kind]:
        """The kinds a CRD would serve; InvalidCrdError if unusable or clashing with a built-in."""
        kinds = kinds_from_crd(crd)
        for kind in kinds:
            existing = self.lookup(kind.group, kind.version, kind.plural)
            if existing is not None and existing.builtin:
                raise InvalidCrdError("spec.group", f"{kind.resource.group_resource} is built in")
        return kinds

    def register_crd(self, crd: Object) -> list[Kind]:
        """Serve a CRD's versions (replacing what it served before).

        A CRD for a kind the server already knows (Karmada's and Kurator's CRDs on the hub)
        takes it over while it exists; deleting the CRD brings the compiled-in kind back.
        """
        name = crd["metadata"]["name"]
        self.unregister_crd(name)
        kinds = self.check_crd(crd)
        for kind in kinds:
            key = (kind.group, kind.version, kind.plural)
            if key in self._kinds:
                self._shadowed[key] = self._kinds[key]
            self.add(kind)
        self._crd_owned[name] = [(k.group, k.version, k.plural) for k in kinds]
        return kinds

    def unregister_crd(self, name: str) -> None:
        for key in self._crd_owned.pop(name, []):
            self._kinds.pop(key, None)
            if key in self._shadowed:
                self._kinds[key] = self._shadowed.pop(key)


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


def hub_registry() -> Registry:
    """What the hub gateway serves: Kubernetes built-ins, Karmada, Kurator and bundled kinds."""
    return Registry.of(KUBERNETES_KINDS, KARMADA_KINDS, KURATOR_KINDS, BUNDLED_KINDS)


def member_registry() -> Registry:
    """What a simulated member cluster serves: Kubernetes built-ins (and CRDs users add)."""
    return Registry.of(KUBERNETES_KINDS)
