"""The collections Navarch's services read and write, one name each.

Every constant is the `ResourceType` of a kind in the static kind table
(`shared/api/kind_table.py`), looked up by apiVersion and kind, so scope and subresources
are never restated: services import their collections from here.
"""

from shared.api.kind_table import HUB_KINDS, find_kind
from shared.api.resources import ResourceType


def _resource(api_version: str, kind: str) -> ResourceType:
    found = find_kind(HUB_KINDS, api_version, kind)
    if found is None:
        raise LookupError(f"the kind table has no {kind} in {api_version}")
    return found.resource


# Kubernetes core, apps, batch, autoscaling, policy, coordination and apiextensions.
NAMESPACES = _resource("v1", "Namespace")
SECRETS = _resource("v1", "Secret")
CONFIGMAPS = _resource("v1", "ConfigMap")
SERVICES = _resource("v1", "Service")
SERVICE_ACCOUNTS = _resource("v1", "ServiceAccount")
PERSISTENT_VOLUME_CLAIMS = _resource("v1", "PersistentVolumeClaim")
PODS = _resource("v1", "Pod")
NODES = _resource("v1", "Node")
EVENTS = _resource("v1", "Event")
DEPLOYMENTS = _resource("apps/v1", "Deployment")
STATEFULSETS = _resource("apps/v1", "StatefulSet")
DAEMONSETS = _resource("apps/v1", "DaemonSet")
REPLICASETS = _resource("apps/v1", "ReplicaSet")
JOBS = _resource("batch/v1", "Job")
CRONJOBS = _resource("batch/v1", "CronJob")
HORIZONTAL_POD_AUTOSCALERS = _resource("autoscaling/v2", "HorizontalPodAutoscaler")
PODDISRUPTIONBUDGETS = _resource("policy/v1", "PodDisruptionBudget")
LEASES = _resource("coordination.k8s.io/v1", "Lease")
CUSTOM_RESOURCE_DEFINITIONS = _resource("apiextensions.k8s.io/v1", "CustomResourceDefinition")

# Karmada: policies, bindings, works, clusters, autoscaling, configuration.
PROPAGATION_POLICIES = _resource("policy.karmada.io/v1alpha1", "PropagationPolicy")
CLUSTER_PROPAGATION_POLICIES = _resource("policy.karmada.io/v1alpha1", "ClusterPropagationPolicy")
OVERRIDE_POLICIES = _resource("policy.karmada.io/v1alpha1", "OverridePolicy")
CLUSTER_OVERRIDE_POLICIES = _resource("policy.karmada.io/v1alpha1", "ClusterOverridePolicy")
RESOURCE_BINDINGS = _resource("work.karmada.io/v1alpha2", "ResourceBinding")
CLUSTER_RESOURCE_BINDINGS = _resource("work.karmada.io/v1alpha2", "ClusterResourceBinding")
WORKS = _resource("work.karmada.io/v1alpha1", "Work")
KARMADA_CLUSTERS = _resource("cluster.karmada.io/v1alpha1", "Cluster")
FEDERATED_HPAS = _resource("autoscaling.karmada.io/v1alpha1", "FederatedHPA")
KARMADA_CONFIGS = _resource("karmada.io/v1alpha1", "KarmadaConfig")

# Kurator: fleets, clusters, its policy forms (policy.kurator.dev and apps.kurator.dev), backup.
FLEETS = _resource("fleet.kurator.dev/v1alpha1", "Fleet")
ATTACHED_CLUSTERS = _resource("cluster.kurator.dev/v1alpha1", "AttachedCluster")
KURATOR_CLUSTERS = _resource("cluster.kurator.dev/v1alpha1", "Cluster")
DISTRIBUTION_POLICIES = _resource("policy.kurator.dev/v1alpha1", "DistributionPolicy")
APPS_DISTRIBUTION_POLICIES = _resource("apps.kurator.dev/v1alpha1", "DistributionPolicy")
KURATOR_OVERRIDE_POLICIES = _resource("policy.kurator.dev/v1alpha1", "OverridePolicy")
APPS_OVERRIDE_POLICIES = _resource("apps.kurator.dev/v1alpha1", "OverridePolicy")
BACKUPS = _resource("backup.kurator.dev/v1alpha1", "Backup")
RESTORES = _resource("backup.kurator.dev/v1alpha1", "Restore")
MIGRATES = _resource("backup.kurator.dev/v1alpha1", "Migrate")

BINDING_TYPES: dict[str, ResourceType] = {
    "ResourceBinding": RESOURCE_BINDINGS,
    "ClusterResourceBinding": CLUSTER_RESOURCE_BINDINGS,
}
"""The binding collection of each binding kind, as a binding's key names it."""

OVERRIDE_POLICY_TYPES: tuple[ResourceType, ...] = (
    OVERRIDE_POLICIES,
    CLUSTER_OVERRIDE_POLICIES,
    KURATOR_OVERRIDE_POLICIES,
    APPS_OVERRIDE_POLICIES,
)
"""Every override policy collection: Karmada's two, then Kurator's two API groups."""
