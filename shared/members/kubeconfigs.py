"""Where a member's kubeconfig comes from: Cluster → AttachedCluster → Secret.

The fleet-manager writes each Karmada Cluster with a label naming the AttachedCluster it
realises; the AttachedCluster names the Secret and key holding the kubeconfig. Every
service that talks to members resolves the chain here, from its own informer caches.
"""

from typing import Protocol

from pydantic import ValidationError

from shared.api.fleet import AttachedCluster
from shared.members.client import MemberError, decode_secret_value
from shared.store.objects import Object

ATTACHED_LABEL = "navarch.dev/attached-cluster"
"""On a Karmada Cluster: `<namespace>.<name>` of the AttachedCluster it realises."""


class ObjectLookup(Protocol):
    """An informer's cache, or anything that answers by namespace and name."""

    def get(self, namespace: str | None, name: str) -> Object | None: ...


def attached_label_value(attached: AttachedCluster) -> str:
    return f"{attached.metadata.namespace}.{attached.metadata.name}"


def attached_reference(cluster: Object) -> tuple[str, str] | None:
    """(namespace, name) of the AttachedCluster behind a Karmada Cluster, if it names one."""
    reference = (cluster["metadata"].get("labels") or {}).get(ATTACHED_LABEL, "")
    namespace, _, name = reference.partition(".")
    return (namespace, name) if namespace and name else None


def kubeconfig_of_attached(attached: AttachedCluster, *, secrets: ObjectLookup) -> str:
    """The kubeconfig text an AttachedCluster points at; MemberError says why not."""
    reference = attached.spec.kubeconfig
    secret = secrets.get(attached.metadata.namespace, reference.secret_name)
    if secret is None:
        raise MemberError("InvalidKubeconfig", f'secret "{reference.secret_name}" not found')
    return decode_secret_value(secret.get("data") or {}, reference.key)


def kubeconfig_of_cluster(
    cluster: Object, *, attached_clusters: ObjectLookup, secrets: ObjectLookup
) -> str:
    """The kubeconfig text of the AttachedCluster a Karmada Cluster realises."""
    name = cluster["metadata"]["name"]
    reference = attached_reference(cluster)
    if reference is None:
        raise MemberError("InvalidKubeconfig", f'cluster "{name}" names no AttachedCluster')
    raw = attached_clusters.get(*reference)
    if raw is None:
        namespace, attached_name = reference
        raise MemberError(
            "InvalidKubeconfig", f'attachedcluster "{namespace}/{attached_name}" not found'
        )
    try:
        attached = AttachedCluster.model_validate(raw)
    except ValidationError as error:
        raise MemberError("InvalidKubeconfig", f"attachedcluster is invalid: {error}") from error
    return kubeconfig_of_attached(attached, secrets=secrets)
