"""The static kind table: every kind Navarch knows without a CRD, defined once.

Built-in Kubernetes kinds, Karmada's, Kurator's and the CRDs the hub bundles. The REST
layer's `Registry` (`shared/kubeapi/registry.py`) serves them and adds CRDs at run time;
the constants services use (`shared/api/kinds.py`) and `navarch plan` read them from here,
so a kind's scope and subresources are written once, below everything that uses them.
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

HUB_KINDS: tuple[Kind, ...] = (*KUBERNETES_KINDS, *KARMADA_KINDS, *KURATOR_KINDS, *BUNDLED_KINDS)
"""What the hub serves before any CRD is created, in discovery order."""


def find_kind(kinds: Iterable[Kind], api_version: str, kind: str) -> Kind | None:
    """The first of `kinds` with this apiVersion and kind (a Registry's `by_kind` rule)."""
    group, _, version = api_version.rpartition("/")
    for candidate in kinds:
        if candidate.group == group and candidate.version == version and candidate.kind == kind:
            return candidate
    return None
