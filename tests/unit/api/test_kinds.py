"""One constants module for every collection a service uses, taken from the kind table."""

import subprocess
import sys
from pathlib import Path

import pytest

from services.scheduler import resources as scheduler_resources
from services.simulator import resources as simulator_resources
from shared.api import kinds
from shared.api.kind_table import (
    BUNDLED_KINDS,
    KARMADA_KINDS,
    KUBERNETES_KINDS,
    KURATOR_KINDS,
)
from shared.api.resources import ResourceType

ROOT = Path(__file__).resolve().parents[3]
TABLE = (*KUBERNETES_KINDS, *KARMADA_KINDS, *KURATOR_KINDS, *BUNDLED_KINDS)


@pytest.mark.parametrize(
    ("constant", "api_version", "kind", "namespaced", "status"),
    [
        ("NAMESPACES", "v1", "Namespace", False, True),
        ("SECRETS", "v1", "Secret", True, False),
        ("CONFIGMAPS", "v1", "ConfigMap", True, False),
        ("EVENTS", "v1", "Event", True, False),
        ("NODES", "v1", "Node", False, True),
        ("PODS", "v1", "Pod", True, True),
        ("SERVICES", "v1", "Service", True, True),
        ("DEPLOYMENTS", "apps/v1", "Deployment", True, True),
        ("REPLICASETS", "apps/v1", "ReplicaSet", True, True),
        ("STATEFULSETS", "apps/v1", "StatefulSet", True, True),
        ("DAEMONSETS", "apps/v1", "DaemonSet", True, True),
        ("JOBS", "batch/v1", "Job", True, True),
        ("CRONJOBS", "batch/v1", "CronJob", True, True),
        ("PODDISRUPTIONBUDGETS", "policy/v1", "PodDisruptionBudget", True, True),
        ("LEASES", "coordination.k8s.io/v1", "Lease", True, False),
        ("CUSTOM_RESOURCE_DEFINITIONS", "apiextensions.k8s.io/v1", "CustomResourceDefinition",
         False, True),
        ("KARMADA_CLUSTERS", "cluster.karmada.io/v1alpha1", "Cluster", False, True),
        ("KURATOR_CLUSTERS", "cluster.kurator.dev/v1alpha1", "Cluster", True, True),
        ("ATTACHED_CLUSTERS", "cluster.kurator.dev/v1alpha1", "AttachedCluster", True, True),
        ("FLEETS", "fleet.kurator.dev/v1alpha1", "Fleet", True, True),
        ("RESOURCE_BINDINGS", "work.karmada.io/v1alpha2", "ResourceBinding", True, True),
        ("CLUSTER_RESOURCE_BINDINGS", "work.karmada.io/v1alpha2", "ClusterResourceBinding",
         False, True),
        ("WORKS", "work.karmada.io/v1alpha1", "Work", True, True),
        ("PROPAGATION_POLICIES", "policy.karmada.io/v1alpha1", "PropagationPolicy", True, False),
        ("CLUSTER_PROPAGATION_POLICIES", "policy.karmada.io/v1alpha1",
         "ClusterPropagationPolicy", False, False),
        ("OVERRIDE_POLICIES", "policy.karmada.io/v1alpha1", "OverridePolicy", True, False),
        ("CLUSTER_OVERRIDE_POLICIES", "policy.karmada.io/v1alpha1", "ClusterOverridePolicy",
         False, False),
        ("DISTRIBUTION_POLICIES", "policy.kurator.dev/v1alpha1", "DistributionPolicy", True, True),
        ("APPS_DISTRIBUTION_POLICIES", "apps.kurator.dev/v1alpha1", "DistributionPolicy",
         True, True),
        ("KURATOR_OVERRIDE_POLICIES", "policy.kurator.dev/v1alpha1", "OverridePolicy", True, True),
        ("APPS_OVERRIDE_POLICIES", "apps.kurator.dev/v1alpha1", "OverridePolicy", True, True),
        ("FEDERATED_HPAS", "autoscaling.karmada.io/v1alpha1", "FederatedHPA", True, True),
        ("HORIZONTAL_POD_AUTOSCALERS", "autoscaling/v2", "HorizontalPodAutoscaler", True, True),
        ("BACKUPS", "backup.kurator.dev/v1alpha1", "Backup", True, True),
        ("RESTORES", "backup.kurator.dev/v1alpha1", "Restore", True, True),
        ("MIGRATES", "backup.kurator.dev/v1alpha1", "Migrate", True, True),
        ("KARMADA_CONFIGS", "karmada.io/v1alpha1", "KarmadaConfig", False, False),
    ],
)  # fmt: skip
def test_each_constant_is_the_table_entry(
    constant: str, api_version: str, kind: str, namespaced: bool, status: bool
) -> None:
    resource = getattr(kinds, constant)
    entries = [k.resource for k in TABLE if (k.resource.api_version, k.kind) == (api_version, kind)]
    assert entries and resource is entries[0]
    assert (resource.namespaced, resource.status_subresource) == (namespaced, status)


def test_grouped_constants_follow_karmada_order() -> None:
    assert kinds.BINDING_TYPES == {
        "ResourceBinding": kinds.RESOURCE_BINDINGS,
        "ClusterResourceBinding": kinds.CLUSTER_RESOURCE_BINDINGS,
    }
    assert kinds.OVERRIDE_POLICY_TYPES == (
        kinds.OVERRIDE_POLICIES,
        kinds.CLUSTER_OVERRIDE_POLICIES,
        kinds.KURATOR_OVERRIDE_POLICIES,
        kinds.APPS_OVERRIDE_POLICIES,
    )


def test_every_exported_constant_comes_from_the_table() -> None:
    table = {id(k.resource) for k in TABLE}
    exported = {
        name: value for name, value in vars(kinds).items() if isinstance(value, ResourceType)
    }
    assert len(exported) >= 37
    assert all(id(value) in table for value in exported.values()), sorted(exported)


def test_services_take_their_collections_from_the_one_module() -> None:
    shared_names = {name for name, value in vars(kinds).items() if isinstance(value, ResourceType)}
    for module in (scheduler_resources, simulator_resources):
        restated = [
            name
            for name, value in vars(module).items()
            if isinstance(value, ResourceType)
            and not any(value is shared for shared in vars(kinds).values())
        ]
        assert restated == [], module.__name__
    assert scheduler_resources.CLUSTERS is kinds.KARMADA_CLUSTERS
    assert simulator_resources.OWNER_KINDS["Deployment"] is kinds.DEPLOYMENTS
    assert shared_names >= {"NAMESPACES", "KARMADA_CONFIGS", "LEASES"}


@pytest.mark.parametrize("module", ["shared.api.kinds", "shared.placement.planning"])
def test_models_and_pure_cores_do_not_load_the_http_server_package(module: str) -> None:
    probe = (
        f"import sys, {module}; "
        "loaded = sorted(m for m in sys.modules if m.startswith('shared.kubeapi')); "
        "print(','.join(loaded))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""
