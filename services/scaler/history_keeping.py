"""The HPA controller's memory, kept on the HPA object itself so a restart resumes it.

Kubernetes keeps recommendations and scale events in the controller's memory and loses them
on a restart; Navarch writes them to the annotation `scaler.navarch.dev/history` *before*
it scales, so a scaler killed mid-scale-down finds the step already counted against the
behaviour's policies and the stabilization window, and takes no extra step.
"""

import logging

from pydantic import BaseModel, ValidationError

from services.scaler.autoscaling import ScalingHistory
from services.scaler.behaviors import Recommendation, ScaleEvent

log = logging.getLogger(__name__)

HISTORY_ANNOTATION = "scaler.navarch.dev/history"


class StoredRecommendation(BaseModel):
    replicas: int
    timestamp: float


class StoredScaleEvent(BaseModel):
    change: int
    timestamp: float
    outdated: bool = False


class StoredHistory(BaseModel):
    """The annotation's JSON; `recommendations` None: never evaluated."""

    recommendations: list[StoredRecommendation] | None = None
    scale_up_events: list[StoredScaleEvent] = []
    scale_down_events: list[StoredScaleEvent] = []


def history_text(history: ScalingHistory) -> str:
    stored = StoredHistory(
        recommendations=(
            None
            if history.recommendations is None
            else [
                StoredRecommendation(replicas=item.replicas, timestamp=item.timestamp)
                for item in history.recommendations
            ]
        ),
        scale_up_events=[
            StoredScaleEvent(change=e.change, timestamp=e.timestamp, outdated=e.outdated)
            for e in history.scale_up_events
        ],
        scale_down_events=[
            StoredScaleEvent(change=e.change, timestamp=e.timestamp, outdated=e.outdated)
            for e in history.scale_down_events
        ],
    )
    return stored.model_dump_json()


def parse_history(text: str | None) -> ScalingHistory:
    """The kept history; an absent or unreadable annotation starts afresh, as Kubernetes does
    after a controller restart."""
    if not text:
        return ScalingHistory()
    try:
        stored = StoredHistory.model_validate_json(text)
    except ValidationError as error:
        log.warning("unreadable %s annotation, starting afresh: %s", HISTORY_ANNOTATION, error)
        return ScalingHistory()
    return ScalingHistory(
        recommendations=(
            None
            if stored.recommendations is None
            else [Recommendation(item.replicas, item.timestamp) for item in stored.recommendations]
        ),
        scale_up_events=[
            ScaleEvent(e.change, e.timestamp, e.outdated) for e in stored.scale_up_events
        ],
        scale_down_events=[
            ScaleEvent(e.change, e.timestamp, e.outdated) for e in stored.scale_down_events
        ],
    )
