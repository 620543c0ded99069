"""Every NATS subject Navarch publishes on, in one place (`navarch.<concern>.<event>…`).

The README's subject table is written from this module; add a subject here first.
"""

PREFIX = "navarch"

# Store change notifications are JetStream KV messages; these are domain events.
CLUSTER_HEALTH = f"{PREFIX}.cluster.health"
"""`navarch.cluster.health.<cluster>`: a member cluster's Ready condition changed."""

BINDING_SCHEDULED = f"{PREFIX}.binding.scheduled"
"""`navarch.binding.scheduled.<namespace>.<name>`: the scheduler wrote a new placement."""

SERVICE_READY = f"{PREFIX}.service.ready"
"""`navarch.service.ready.<service>`: a service finished its initial sync."""

ECHO = f"{PREFIX}.echo"
"""`navarch.echo.<service>`: request/reply liveness of a service over the bus."""


def subject(base: str, *tokens: str) -> str:
    """Append tokens to a subject base, escaping characters NATS treats as separators."""
    safe = [token.replace(".", "_").replace("*", "_").replace(">", "_") for token in tokens]
    return ".".join([base, *safe])


ALL_SUBJECTS: dict[str, str] = {
    CLUSTER_HEALTH: "a member cluster's Ready condition changed (`.<cluster>`)",
    BINDING_SCHEDULED: "the scheduler wrote a new placement (`.<namespace>.<name>`)",
    SERVICE_READY: "a service finished its initial sync (`.<service>`)",
    ECHO: "request/reply liveness probe of a service (`.<service>`)",
}
