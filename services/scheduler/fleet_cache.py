"""What the scheduler knows of the fleet: clusters as placement sees them, Fleet placements.

Karmada's scheduler cache: the event handlers keep it current, the scheduling reconcile
reads it. A Cluster change that cannot alter a placement (heartbeats, probe times) is not
a change here, so it wakes nothing.
"""

import logging

import orjson
from pydantic import ValidationError

from shared.api.cluster import Cluster
from shared.runtime.informing import InformerEvent
from shared.store.objects import Object

log = logging.getLogger(__name__)


def cluster_fingerprint(obj: Object) -> bytes:
    """The parts of a Cluster that can change a placement (not heartbeats)."""
    status = obj.get("status") or {}
    return orjson.dumps(
        {
            "labels": obj["metadata"].get("labels"),
            "deleting": bool(obj["metadata"].get("deletionTimestamp")),
            "spec": obj.get("spec"),
            "conditions": [
                (c.get("type"), c.get("status")) for c in status.get("conditions") or []
            ],
            "apis": status.get("apiEnablements"),
            "resources": status.get("resourceSummary"),
        },
        option=orjson.OPT_SORT_KEYS,
    )


class ClusterCache:
    """Clusters by name, and the schedulable ones sorted by name (placement's input)."""

    def __init__(self) -> None:
        self.by_name: dict[str, Cluster] = {}
        self.schedulable: list[Cluster] = []
        self._prints: dict[str, bytes] = {}

    def observe(self, event: InformerEvent) -> bool:
        """Apply a Cluster event; True when it may change a placement."""
        name = event.key[1]
        fingerprint: bytes | None = None
        if event.type == "DELETED":
            self.by_name.pop(name, None)
        else:
            try:
                self.by_name[name] = Cluster.model_validate(event.object)
            except ValidationError as error:
                log.warning("ignoring invalid Cluster %s: %s", name, error)
                return False
            fingerprint = cluster_fingerprint(event.object)
            if self._prints.get(name) == fingerprint:
                return False
        if fingerprint is None:
            self._prints.pop(name, None)
        else:
            self._prints[name] = fingerprint
        self.schedulable = sorted(
            (c for c in self.by_name.values() if not c.metadata.deletion_timestamp),
            key=lambda c: c.name,
        )
        return True

    def get(self, name: str) -> Cluster | None:
        return self.by_name.get(name)


class FleetCache:
    """Fleets by namespace: a Fleet's placement defaults the policies of its namespace."""

    def __init__(self) -> None:
        self._fleets: dict[str, dict[str, Object]] = {}

    def observe(self, event: InformerEvent) -> str:
        """Apply a Fleet event; returns the namespace whose templates it concerns."""
        namespace, name = event.key
        fleets = self._fleets.setdefault(namespace, {})
        if event.type == "DELETED":
            fleets.pop(name, None)
        else:
            fleets[name] = event.object
        return namespace

    def placement_fleet(self, namespace: str) -> Object | None:
        """The first Fleet by name in the namespace that has a placement."""
        fleets = self._fleets.get(namespace) or {}
        with_placement = [f for _, f in sorted(fleets.items()) if "placement" in f.get("spec", {})]
        return with_placement[0] if with_placement else None
