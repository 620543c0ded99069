"""A member's discovery as the backup cores see it: a small catalog in discovery order."""

import pytest

from services.backup.catalog import APIResource, ResourceCatalog


def api_resource(
    name: str, kind: str, *, group: str = "", namespaced: bool = True, short: tuple[str, ...] = ()
) -> APIResource:
    return APIResource(
        name=name, kind=kind, group=group, namespaced=namespaced, short_names=list(short)
    )


CATALOG = ResourceCatalog(
    resources=[
        api_resource("pods", "Pod", short=("po",)),
        api_resource("persistentvolumeclaims", "PersistentVolumeClaim", short=("pvc",)),
        api_resource("persistentvolumes", "PersistentVolume", namespaced=False, short=("pv",)),
        api_resource("namespaces", "Namespace", namespaced=False, short=("ns",)),
        api_resource("configmaps", "ConfigMap", short=("cm",)),
        api_resource("secrets", "Secret"),
        api_resource("serviceaccounts", "ServiceAccount", short=("sa",)),
        api_resource("services", "Service", short=("svc",)),
        api_resource("endpoints", "Endpoints", short=("ep",)),
        api_resource("events", "Event", short=("ev",)),
        api_resource("limitranges", "LimitRange", short=("limits",)),
        api_resource("nodes", "Node", namespaced=False, short=("no",)),
        api_resource("deployments", "Deployment", group="apps", short=("deploy",)),
        api_resource("replicasets", "ReplicaSet", group="apps", short=("rs",)),
        api_resource("events", "Event", group="events.k8s.io", short=("ev",)),
        api_resource(
            "customresourcedefinitions",
            "CustomResourceDefinition",
            group="apiextensions.k8s.io",
            namespaced=False,
            short=("crd", "crds"),
        ),
        api_resource(
            "storageclasses",
            "StorageClass",
            group="storage.k8s.io",
            namespaced=False,
            short=("sc",),
        ),
        api_resource(
            "volumesnapshotclasses",
            "VolumeSnapshotClass",
            group="snapshot.storage.k8s.io",
            namespaced=False,
        ),
        api_resource(
            "clusterroles", "ClusterRole", group="rbac.authorization.k8s.io", namespaced=False
        ),
        api_resource("roles", "Role", group="rbac.authorization.k8s.io"),
        api_resource(
            "priorityclasses", "PriorityClass", group="scheduling.k8s.io", namespaced=False
        ),
        api_resource("volumesnapshots", "VolumeSnapshot", group="snapshot.storage.k8s.io"),
        api_resource(
            "volumesnapshotcontents",
            "VolumeSnapshotContent",
            group="snapshot.storage.k8s.io",
            namespaced=False,
        ),
        api_resource("widgets", "Widget", group="example.com"),
    ]
)


@pytest.fixture
def catalog() -> ResourceCatalog:
    return CATALOG
