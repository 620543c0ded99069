"""HPA status conditions (`setConditionInList`): AbleToScale, ScalingActive, ScalingLimited.

Kept as plain tuples while a decision is computed and turned into models once at the end, so
an evaluation builds three condition models, not one per `setCondition` call.
"""

from dataclasses import dataclass

from services.scaler.models import HorizontalPodAutoscalerCondition, build

ABLE_TO_SCALE = "AbleToScale"
SCALING_ACTIVE = "ScalingActive"
SCALING_LIMITED = "ScalingLimited"


@dataclass(slots=True)
class _Entry:
    status: str
    reason: str
    message: str
    last_transition_time: str | None
    changed: bool


class ConditionBook:
    """The HPA's conditions in their original order; a new type is appended at the end."""

    __slots__ = ("_entries", "_now_text", "_originals")

    def __init__(self, conditions: list[HorizontalPodAutoscalerCondition], *, now_text: str):
        self._originals = {condition.type: condition for condition in conditions}
        self._entries: dict[str, _Entry] = {
            condition.type: _Entry(
                condition.status,
                condition.reason,
                condition.message,
                condition.last_transition_time,
                False,
            )
            for condition in conditions
        }
        self._now_text = now_text

    def set(self, condition_type: str, status: str, reason: str, message: str) -> None:
        """The transition time moves only when the status changes, as in Kubernetes."""
        entry = self._entries.get(condition_type)
        if entry is None:
            self._entries[condition_type] = _Entry(status, reason, message, self._now_text, True)
            return
        if entry.status != status:
            entry.last_transition_time = self._now_text
        if entry.status != status or entry.reason != reason or entry.message != message:
            entry.changed = True
        entry.status, entry.reason, entry.message = status, reason, message

    def get(self, condition_type: str) -> tuple[str, str, str] | None:
        entry = self._entries.get(condition_type)
        return None if entry is None else (entry.status, entry.reason, entry.message)

    def to_models(self) -> list[HorizontalPodAutoscalerCondition]:
        """Unchanged conditions are the caller's own objects; only changed ones are rebuilt."""
        models: list[HorizontalPodAutoscalerCondition] = []
        for condition_type, entry in self._entries.items():
            original = self._originals.get(condition_type)
            if original is not None and not entry.changed:
                models.append(original)
                continue
            models.append(
                build(
                    HorizontalPodAutoscalerCondition,
                    type=condition_type,
                    status=entry.status,
                    last_transition_time=entry.last_transition_time,
                    reason=entry.reason,
                    message=entry.message,
                )
            )
        return models
