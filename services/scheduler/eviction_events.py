"""A log line and Karmada's Events for each taint-based eviction.

Karmada's taint manager records `EvictWorkloadFromClusterSucceed` ("Evict from cluster %s
succeed.") on the binding and on its resource template (`EmitClusterEvictionEventFor...`);
the scheduler, which evicts here, does the same once the evicting write has landed.
"""

import logging

from services.scheduler.failover import REASON_TAINT_UNTOLERATED
from shared.api.binding import BINDING_API_VERSION, ObjectReference
from shared.api.meta import ObjectMeta
from shared.events.models import InvolvedObject
from shared.events.recording import EventRecorder
from shared.store.objects import Object

log = logging.getLogger(__name__)

REASON_EVICT_SUCCEED = "EvictWorkloadFromClusterSucceed"


def eviction_message(cluster: str) -> str:
    return f"Evict from cluster {cluster} succeed."


def binding_reference(binding: Object) -> InvolvedObject:
    metadata = ObjectMeta.model_validate(binding["metadata"])
    return InvolvedObject(
        api_version=binding.get("apiVersion") or BINDING_API_VERSION,
        kind=binding["kind"],
        name=metadata.name,
        namespace=metadata.namespace,
        uid=metadata.uid,
    )


def template_reference(binding: Object) -> InvolvedObject:
    resource = ObjectReference.model_validate(binding["spec"]["resource"])
    return InvolvedObject(
        api_version=resource.api_version,
        kind=resource.kind,
        name=resource.name,
        namespace=resource.namespace or None,
        uid=resource.uid or None,
    )


def report_eviction(
    recorder: EventRecorder | None, *, binding: Object, cluster: str, replicas: int
) -> None:
    """One structured log line, and the Event on the binding and on its template."""
    involved = binding_reference(binding)
    log.warning(
        "evicted a binding from a NoExecute-tainted cluster",
        extra={
            "cluster": cluster,
            "reason": REASON_TAINT_UNTOLERATED,
            "binding": f"{involved.namespace or ''}/{involved.name}",
            "binding_kind": involved.kind,
            "replicas": replicas,
        },
    )
    if recorder is None:
        return
    for target in (involved, template_reference(binding)):
        recorder.record(
            target, type="Normal", reason=REASON_EVICT_SUCCEED, message=eviction_message(cluster)
        )
