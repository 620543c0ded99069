"""The collections Navarch's services read and write, named once.

The API registry serves many more kinds; these are the ones service code refers to.
"""

from shared.api.resources import ResourceType

NAMESPACES = ResourceType(
    group="",
    version="v1",
    plural="namespaces",
    kind="Namespace",
    namespaced=False,
    short_names=("ns",),
)
SECRETS = ResourceType(
    group="", version="v1", plural="secrets", kind="Secret", status_subresource=False
)
CONFIGMAPS = ResourceType(
    group="",
    version="v1",
    plural="configmaps",
    kind="ConfigMap",
    status_subresource=False,
    short_names=("cm",),
)
EVENTS = ResourceType(
    group="",
    version="v1",
    plural="events",
    kind="Event",
    status_subresource=False,
    short_names=("ev",),
)
KARMADA_CLUSTERS = ResourceType(
    group="cluster.karmada.io",
    version="v1alpha1",
    plural="clusters",
    kind="Cluster",
    namespaced=False,
)
ATTACHED_CLUSTERS = ResourceType(
    group="cluster.kurator.dev",
    version="v1alpha1",
    plural="attachedclusters",
    kind="AttachedCluster",
)
FLEETS = ResourceType(group="fleet.kurator.dev", version="v1alpha1", plural="fleets", kind="Fleet")
