"""What a member session has observed, as one value.

The session keeps changing while a reconcile awaits its writes; the reconcile takes one
snapshot and every pure core (readiness, the Cluster object) reads that, never the session.
"""

from dataclasses import dataclass

from services.fleet_manager.summarizing import GPUProductSummary
from shared.api.cluster import APIEnablement, NodeSummary, ResourceSummary
from shared.api.meta import Condition
from shared.members.client import MemberError

Summaries = tuple[NodeSummary, ResourceSummary, list[GPUProductSummary]]


@dataclass(frozen=True)
class MemberObservations:
    server: str
    """The member's API endpoint."""
    ready: Condition | None
    """The health tracker's verdict; None before the first one."""
    online: bool
    """The latest probe reached the API at all."""
    last_error: MemberError | None = None
    version: str | None = None
    api_enablements: list[APIEnablement] | None = None
    summaries: Summaries | None = None
    """Node, resource and GPU summaries; None until the node and pod watches synced."""
    eviction_held: bool = False
    """Its NoExecute taint waits for a fresh failure threshold after a disruption."""
