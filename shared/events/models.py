"""The core/v1 Event as Navarch writes it (the hub serves `v1 Event`, see the API registry)."""

from typing import Literal

from pydantic import Field

from shared.api.base import KubeModel
from shared.api.meta import ObjectMeta

EventType = Literal["Normal", "Warning"]
DEFAULT_EVENT_NAMESPACE = "default"
"""client-go records Events about cluster-scoped objects in `default`."""


class InvolvedObject(KubeModel):
    """core/v1 ObjectReference: the object an Event is about."""

    api_version: str
    kind: str
    name: str
    namespace: str | None = None
    uid: str | None = None
    resource_version: str | None = None
    field_path: str | None = None

    @property
    def event_namespace(self) -> str:
        return self.namespace or DEFAULT_EVENT_NAMESPACE


class EventSource(KubeModel):
    component: str
    host: str | None = None


class Event(KubeModel):
    """core/v1 Event; `reportingComponent` is the wire name of Go's ReportingController."""

    api_version: Literal["v1"] = "v1"
    kind: Literal["Event"] = "Event"
    metadata: ObjectMeta
    involved_object: InvolvedObject
    reason: str
    message: str
    source: EventSource
    first_timestamp: str
    last_timestamp: str
    count: int = Field(default=1, ge=1)
    type: EventType = "Normal"
    reporting_component: str = ""
    reporting_instance: str = ""
