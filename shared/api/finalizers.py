"""Which finalizers something in Navarch removes, and which Kurator/Karmada ones nothing does.

A finalizer holds a delete until its owner removes it. Kubernetes leaves unknown finalizers
alone, so an object carrying a Kurator or Karmada finalizer that no Navarch service serves
would hang in deletion forever: the gateway refuses those up front. This is the one table of
the finalizers Navarch's services and API servers add and remove.
"""

SERVED_FINALIZERS: dict[str, str] = {
    "kubernetes": "the API server's namespace lifecycle (namespace content deleted)",
    "orphan": "the simulator's garbage collector (dependents orphaned)",
    "foregroundDeletion": "the simulator's garbage collector (dependents deleted first)",
    "navarch.dev/fleet-manager": "fleet-manager (an AttachedCluster's member disconnected)",
    "navarch.dev/override-engine": "override-engine (a binding's member copies deleted)",
    "navarch.dev/cluster-lifecycle": "fleet-manager (a Cluster detached and deprovisioned)",
    "backup.kurator.dev": "backup (a Backup's archives deleted)",
    "restore.kurator.dev": "backup (a Restore's results deleted; restored objects stay)",
    "migrate.kurator.dev": "backup (a Migrate's source archive deleted; migrated objects stay)",
}
"""Finalizer -> who removes it."""

GUARDED_DOMAINS = ("kurator.dev", "karmada.io")
"""Finalizer domains Navarch stands in for: one of these nobody serves is refused."""


def finalizer_domain(finalizer: str) -> str:
    """`fleet.kurator.dev` for both `fleet.kurator.dev` and `fleet.kurator.dev/cleanup`."""
    return finalizer.split("/", 1)[0]


def in_guarded_domain(finalizer: str) -> bool:
    domain = finalizer_domain(finalizer)
    return any(domain == guarded or domain.endswith("." + guarded) for guarded in GUARDED_DOMAINS)


def unserved_finalizers(finalizers: list[str]) -> list[tuple[int, str]]:
    """(index, name) of each Kurator/Karmada finalizer no Navarch service would ever remove."""
    return [
        (index, name)
        for index, name in enumerate(finalizers)
        if in_guarded_domain(name) and name not in SERVED_FINALIZERS
    ]
