"""What a Kurator Cluster asks of its provider and of the hub, and how its status reads (pure).

The steps and what each needs (the article's PodIdentity race: nothing runs before the
result it uses exists):
1. infrastructure: the cluster with its control plane, worker pools empty;
2. pod identity (when enabled): the service-account issuer, which needs the API endpoint;
3. workers: the pools' machines, which use the identity;
4. joining: the kubeconfig Secret and an AttachedCluster naming it, so the fleet-manager's
   attach path connects it like any attached cluster.
Phases and conditions are Kurator's (`Provisioning|Ready|Deleting|Failed`,
`InfrastructureReady`, `Ready`, Cluster API severities); `ScaledDown` is CustomCluster's
condition type, used here for a pool shrinking with its drains.
"""

import base64
from typing import Literal

from shared.api.kurator_cluster import (
    CONDITION_INFRASTRUCTURE_READY,
    CONDITION_READY,
    ClusterCondition,
    ClusterPhase,
    KuratorCluster,
    KuratorClusterStatus,
    pool_name,
)
from shared.providers.interface import ClusterRef, CreateClusterRequest, NodePool
from shared.store.objects import Object

FINALIZER = "navarch.dev/cluster-lifecycle"
MANAGED_LABEL = "cluster.navarch.dev/managed-cluster"
"""On the Secret and AttachedCluster made for a Cluster: `<namespace>.<name>` of the Cluster."""
KUBECONFIG_KEY = "value"
CONDITION_SCALED_DOWN = "ScaledDown"
REASON_NO_PROVIDER = "ProviderInitializeFailed"
DEFAULT_VERSION = "1.30"

Severity = Literal["Error", "Warning", "Info", ""]


def cluster_ref(cluster: KuratorCluster) -> ClusterRef:
    return ClusterRef(namespace=cluster.metadata.namespace or "default", name=cluster.name)


def managed_value(cluster: KuratorCluster) -> str:
    return f"{cluster.metadata.namespace or 'default'}.{cluster.name}"


def control_plane_pool(cluster: KuratorCluster) -> NodePool:
    master = cluster.spec.master
    version = cluster.spec.version or DEFAULT_VERSION
    instance = master.instance_type if master else _first_worker_type(cluster)
    return NodePool(
        name=f"{cluster.name}-control-plane",
        instance_type=instance,
        version=version,
        replicas=master.replicas if master else 1,
        labels=dict(master.labels) if master else {},
        taints=list(master.taints) if master else [],
    )


def _first_worker_type(cluster: KuratorCluster) -> str:
    return cluster.spec.workers[0].instance_type if cluster.spec.workers else "m5.large"


def worker_pools(cluster: KuratorCluster) -> list[NodePool]:
    """The pools as the spec wants them (Cluster API's `<cluster>-md-<index>` names)."""
    version = cluster.spec.version or DEFAULT_VERSION
    return [
        NodePool(
            name=pool_name(cluster.name, index),
            instance_type=worker.instance_type,
            version=version,
            replicas=worker.replicas,
            labels=dict(worker.labels),
            taints=list(worker.taints),
        )
        for index, worker in enumerate(cluster.spec.workers)
    ]


def create_request(cluster: KuratorCluster) -> CreateClusterRequest:
    """Step 1: the control plane only; workers wait for the identity they use (step 2)."""
    return CreateClusterRequest(
        cluster=cluster_ref(cluster),
        infra_type=cluster.spec.infra_type or "",
        region=cluster.spec.region or "",
        version=cluster.spec.version or DEFAULT_VERSION,
        control_plane=control_plane_pool(cluster),
        pools=[pool.model_copy(update={"replicas": 0}) for pool in worker_pools(cluster)],
        pod_identity=bool(cluster.spec.pod_identity and cluster.spec.pod_identity.enabled),
    )


def service_account_issuer(api_endpoint: str) -> str:
    """The OIDC issuer pod identities trust: the cluster's own API server."""
    return api_endpoint.rstrip("/")


def kubeconfig_secret_name(cluster: KuratorCluster) -> str:
    return f"{cluster.name}-kubeconfig"


def _owner_reference(cluster: KuratorCluster) -> dict[str, object]:
    return {
        "apiVersion": cluster.api_version,
        "kind": cluster.kind,
        "name": cluster.name,
        "uid": cluster.metadata.uid or "",
    }


def kubeconfig_secret(cluster: KuratorCluster, kubeconfig: str) -> Object:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {
            "name": kubeconfig_secret_name(cluster),
            "namespace": cluster.metadata.namespace or "default",
            "labels": {MANAGED_LABEL: managed_value(cluster)},
            "ownerReferences": [_owner_reference(cluster)],
        },
        "type": "Opaque",
        "data": {KUBECONFIG_KEY: base64.b64encode(kubeconfig.encode()).decode()},
    }


def attached_cluster(cluster: KuratorCluster) -> Object:
    """The AttachedCluster that joins the Cluster to the fleet (same name and namespace)."""
    labels = {key: value for key, value in cluster.metadata.labels.items()}
    if cluster.spec.region:
        labels.setdefault("region", cluster.spec.region)
    if cluster.spec.infra_type:
        labels.setdefault("provider", cluster.spec.infra_type)
    return {
        "apiVersion": "cluster.kurator.dev/v1alpha1",
        "kind": "AttachedCluster",
        "metadata": {
            "name": cluster.name,
            "namespace": cluster.metadata.namespace or "default",
            "labels": {MANAGED_LABEL: managed_value(cluster)},
            "ownerReferences": [_owner_reference(cluster)],
        },
        "spec": {
            "kubeconfig": {"name": kubeconfig_secret_name(cluster), "key": KUBECONFIG_KEY},
            "labels": labels,
        },
    }


def condition(
    type_: str, status: bool, *, reason: str = "", message: str = "", severity: Severity = ""
) -> ClusterCondition:
    """A Cluster API condition: a False one carries a severity, a True one none."""
    return ClusterCondition(
        type=type_,
        status="True" if status else "False",
        severity="" if status else (severity or "Info"),
        reason="" if status else reason,
        message="" if status else message,
    )


def with_condition(
    status: KuratorClusterStatus, new: ClusterCondition, *, now: str
) -> KuratorClusterStatus:
    """The status with `new` in place; its transition time kept while the status is the same."""
    conditions = [c for c in status.conditions if c.type != new.type]
    previous = next((c for c in status.conditions if c.type == new.type), None)
    if previous is not None and previous.status == new.status:
        stamped = new.model_copy(update={"last_transition_time": previous.last_transition_time})
    else:
        stamped = new.model_copy(update={"last_transition_time": now})
    conditions.append(stamped)
    order = {CONDITION_READY: 0, CONDITION_INFRASTRUCTURE_READY: 1}
    conditions.sort(key=lambda c: (order.get(c.type, 2), c.type))
    return status.model_copy(update={"conditions": conditions})


def without_condition(status: KuratorClusterStatus, type_: str) -> KuratorClusterStatus:
    return status.model_copy(
        update={"conditions": [c for c in status.conditions if c.type != type_]}
    )


def no_provider_message(infra_type: str, state_file: str) -> str:
    return (
        f'no provider is configured for infraType "{infra_type}": Navarch provisions clusters '
        f"through the member-cluster simulator (navarch up --sim), whose state file "
        f"{state_file} does not exist; a real cloud provider is not available"
    )


def workers_message(ready: int, wanted: int) -> str:
    return f"{ready} of {wanted} worker nodes are ready"


def phase_after(status: KuratorClusterStatus, *, ready: bool, failed: bool) -> ClusterPhase:
    """Provisioning until first Ready; a Ready cluster being resized stays Ready."""
    if failed:
        return "Failed"
    if ready or status.phase == "Ready":
        return "Ready"
    return "Provisioning"
