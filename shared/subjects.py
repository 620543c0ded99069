"""Every NATS subject Navarch publishes on, in one place (`navarch.<concern>.<event>…`).

The README's subject table is written from this module; add a subject here first.
"""

PREFIX = "navarch"

# Store change notifications are JetStream KV messages; these are domain events.
CLUSTER_HEALTH = f"{PREFIX}.cluster.health"
"""`navarch.cluster.health.<cluster>`: a member cluster's Ready condition changed."""

BINDING_SCHEDULED = f"{PREFIX}.binding.scheduled"
"""`navarch.binding.scheduled.<namespace>.<name>`: the scheduler wrote a new placement."""

BINDING_EVICTED = f"{PREFIX}.binding.evicted"
"""`navarch.binding.evicted.<namespace>.<name>`: failover moved a binding off a tainted cluster."""

PROPAGATION_APPLIED = f"{PREFIX}.propagation.applied"
"""`navarch.propagation.applied.<cluster>.<namespace>.<binding>`: a Work's manifests or Applied
condition changed (the override-engine applied, or failed to apply, to a member)."""

SERVICE_READY = f"{PREFIX}.service.ready"
"""`navarch.service.ready.<service>`: a service finished its initial sync."""

ECHO = f"{PREFIX}.echo"
"""`navarch.echo.<service>`: request/reply liveness of a service over the bus."""

TELEMETRY_QUERY = f"{PREFIX}.telemetry.query"
"""`navarch.telemetry.query`: the gateway forwards an aggregated-API request (`metrics.k8s.io`,
`custom.metrics.k8s.io`, reads of the fleet's nodes) to telemetry; the reply is chunked
(`shared/relaying.py`)."""


def subject(base: str, *tokens: str) -> str:
    """Append tokens to a subject base, escaping characters NATS treats as separators."""
    safe = [token.replace(".", "_").replace("*", "_").replace(">", "_") for token in tokens]
    return ".".join([base, *safe])


ALL_SUBJECTS: dict[str, str] = {
    CLUSTER_HEALTH: "a member cluster's Ready condition changed (`.<cluster>`)",
    BINDING_SCHEDULED: "the scheduler wrote a new placement (`.<namespace>.<name>`)",
    BINDING_EVICTED: "failover evicted a binding from a NoExecute-tainted cluster "
    "(`.<namespace>.<name>`)",
    PROPAGATION_APPLIED: "the override-engine applied a binding to a member, or failed to "
    "(`.<cluster>.<namespace>.<binding>`)",
    SERVICE_READY: "a service finished its initial sync (`.<service>`)",
    ECHO: "request/reply liveness probe of a service (`.<service>`)",
    TELEMETRY_QUERY: "request/reply: the gateway forwards a `metrics.k8s.io` / "
    "`custom.metrics.k8s.io` request or a read of the fleet's nodes to telemetry "
    "(queue group `telemetry`, chunked reply)",
}
