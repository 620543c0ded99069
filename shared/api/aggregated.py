"""What the gateway and an aggregated API server (telemetry) say to each other over NATS.

The gateway forwards a request it does not serve itself (`/apis/metrics.k8s.io/...`,
`/apis/custom.metrics.k8s.io/...`, reads of the fleet's nodes) as an `AggregatedRequest`;
the server answers an `AggregatedResponse` head followed by the body in `chunks` messages,
since a fleet-wide list can be larger than one NATS message.
"""

from pydantic import BaseModel, Field

CLUSTER_LABEL = "cluster.navarch.dev/name"
"""On every object telemetry returns: the member cluster it came from (a label, so `-l`
selects by cluster)."""

QUERY_SOURCE_ANNOTATION = "resource.karmada.io/query-from-cluster"
"""Karmada's metrics-adapter annotation for the same fact, kept for Karmada users' tooling."""


class AggregatedRequest(BaseModel):
    """One HTTP request, as the gateway received and authenticated it."""

    method: str = "GET"
    path: str = Field(description="the URL path, e.g. /apis/metrics.k8s.io/v1beta1/nodes")
    query: list[tuple[str, str]] = Field(default_factory=list)
    user: str = Field(description="the authenticated user's name")
    groups: list[str] = Field(default_factory=list)

    def parameter(self, name: str) -> str:
        """The first value of a query parameter, or ""."""
        return next((value for key, value in self.query if key == name), "")


class AggregatedResponse(BaseModel):
    """The head of an answer; `chunks` messages carrying `size` body bytes follow it."""

    status: int
    content_type: str = "application/json"
    warnings: list[str] = Field(
        default_factory=list, description='texts for `Warning: 299 - "..."` headers'
    )
    size: int = 0
    chunks: int = 0
