"""CronFederatedHPA: Karmada's webhook rules, rule defaults and execution-history bookkeeping.

After `pkg/webhook/cronfederatedhpa/validating.go` and `pkg/controllers/cronfederatedhpa`:
each rule's `nextExecutionTime` (nil while suspended), successes and failures newest first,
trimmed to the rule's history limits (default 3). Time is injected; the service owns timers.
"""

import json
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import TypeVar

from services.scaler.models import (
    FEDERATED_HPA_KIND,
    KARMADA_AUTOSCALING,
    CronFederatedHPARule,
    CronFederatedHPASpec,
    CronFederatedHPAStatus,
    CrossVersionObjectReference,
    ExecutionHistory,
    FailedExecution,
    SuccessfulExecution,
)
from shared.api.validation import FieldError
from shared.cron import CronScheduleError, load_time_zone, next_fire_time, schedule_error

DEFAULT_HISTORY_LIMIT = 3
Entry = TypeVar("Entry", SuccessfulExecution, FailedExecution)
INT32_MAX = 2**31 - 1


class CronRuleError(Exception):
    """A rule that cannot run against its target; the text is Karmada's."""


def _invalid(path: str, value: object, message: str) -> FieldError:
    return FieldError(path, f"Invalid value: {json.dumps(value)}: {message}")


def _reference_errors(ref: CrossVersionObjectReference, path: str) -> list[FieldError]:
    """`ValidateCrossVersionObjectReference`: kind and name are valid path segments."""
    errors: list[FieldError] = []
    for key, value in (("kind", ref.kind), ("name", ref.name)):
        if not value:
            errors.append(FieldError(f"{path}.{key}", "Required value"))
            continue
        for message in _path_segment_problems(value):
            errors.append(_invalid(f"{path}.{key}", value, message))
    return errors


def _path_segment_problems(name: str) -> list[str]:
    """apimachinery's `IsValidPathSegmentName`."""
    if name in (".", ".."):
        return [f"may not be '{name}'"]
    return [f"may not contain '{char}'" for char in ("/", "%") if char in name]


def validate_cron_federated_hpa_spec(
    spec: CronFederatedHPASpec, path: str = "spec"
) -> list[FieldError]:
    """`validateCronFederatedHPASpec`, word for word."""
    ref = spec.scale_target_ref
    scale_fhpa = False
    if ref.api_version == KARMADA_AUTOSCALING:
        if ref.kind != FEDERATED_HPA_KIND:
            return [
                _invalid(
                    f"{path}.scaleTargetRef.kind",
                    ref.kind,
                    f"invalid scaleTargetRef kind: {ref.kind}, only support {FEDERATED_HPA_KIND}",
                )
            ]
        scale_fhpa = True
    errors = _reference_errors(ref, f"{path}.scaleTargetRef")
    seen: set[str] = set()
    for index, rule in enumerate(spec.rules):
        here = f"{path}.rules[{index}]"
        if rule.name in seen:
            errors.append(FieldError(f"{here}.name", f"Duplicate value: {json.dumps(rule.name)}"))
        seen.add(rule.name)
        if schedule_error(rule.schedule) is not None:
            errors.append(_invalid(f"{here}.schedule", rule.schedule, "invalid cron format"))
        if rule.time_zone is not None:
            try:
                load_time_zone(rule.time_zone)
            except CronScheduleError as error:
                errors.append(_invalid(f"{here}.timeZone", rule.time_zone, str(error)))
        errors.extend(_replica_errors(rule, scale_fhpa=scale_fhpa, kind=ref.kind, path=here))
    return errors


def _replica_errors(
    rule: CronFederatedHPARule, *, scale_fhpa: bool, kind: str, path: str
) -> list[FieldError]:
    """`validateCronFederatedHPAScalingReplicas`."""
    errors: list[FieldError] = []
    if scale_fhpa:
        if rule.target_min_replicas is None and rule.target_max_replicas is None:
            errors.append(
                _invalid(
                    f"{path}.targetMaxReplicas",
                    "",
                    "targetMinReplicas and targetMaxReplicas cannot be nil at the same time if "
                    "you want to scale FederatedHPA",
                )
            )
        low = 1 if rule.target_min_replicas is None else rule.target_min_replicas
        high = INT32_MAX if rule.target_max_replicas is None else rule.target_max_replicas
        if low <= 0:
            errors.append(
                _invalid(
                    f"{path}.targetMinReplicas", "", "targetMinReplicas should be larger than 0"
                )
            )
        if high <= 0:
            errors.append(
                _invalid(
                    f"{path}.targetMaxReplicas", "", "targetMaxReplicas should be larger than 0"
                )
            )
        if low > high:
            errors.append(
                _invalid(
                    f"{path}.targetMinReplicas",
                    "",
                    "targetMaxReplicas should be larger than or equal to targetMinReplicas",
                )
            )
        return errors
    if rule.target_replicas is None:
        errors.append(
            _invalid(
                f"{path}.targetReplicas",
                "",
                f"targetReplicas cannot be nil if you want to scale {kind}",
            )
        )
    elif rule.target_replicas < 0:
        errors.append(
            _invalid(
                f"{path}.targetReplicas", "", "targetReplicas should be larger than or equal to 0"
            )
        )
    return errors


def is_suspended(rule: CronFederatedHPARule) -> bool:
    return bool(rule.suspend)


def successful_history_limit(rule: CronFederatedHPARule) -> int:
    if rule.successful_history_limit is None:
        return DEFAULT_HISTORY_LIMIT
    return rule.successful_history_limit


def failed_history_limit(rule: CronFederatedHPARule) -> int:
    if rule.failed_history_limit is None:
        return DEFAULT_HISTORY_LIMIT
    return rule.failed_history_limit


def _text(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def next_execution(
    rule: CronFederatedHPARule, *, now: datetime, default_zone: tzinfo = UTC
) -> str | None:
    """When the rule fires next (metav1.Time text), None while suspended."""
    if is_suspended(rule):
        return None
    zone = default_zone if rule.time_zone is None else load_time_zone(rule.time_zone)
    fire = next_fire_time(rule.schedule, after=now.astimezone(zone))
    return None if fire is None else _text(fire)


def sync_execution_histories(
    spec: CronFederatedHPASpec,
    status: CronFederatedHPAStatus,
    *,
    now: datetime,
    default_zone: tzinfo = UTC,
) -> CronFederatedHPAStatus:
    """`updateRuleHistory` for every rule and `removeCronFHPAHistory` for deleted ones."""
    by_name = {history.rule_name: history for history in status.execution_histories}
    wanted = {rule.name for rule in spec.rules}
    histories = [history for history in status.execution_histories if history.rule_name in wanted]
    for rule in spec.rules:
        upcoming = next_execution(rule, now=now, default_zone=default_zone)
        existing = by_name.get(rule.name)
        if existing is None:
            histories.append(ExecutionHistory(rule_name=rule.name, next_execution_time=upcoming))
            continue
        index = histories.index(existing)
        histories[index] = existing.model_copy(update={"next_execution_time": upcoming})
    return CronFederatedHPAStatus(execution_histories=histories)


@dataclass(frozen=True, slots=True)
class DueExecution:
    rule: CronFederatedHPARule
    schedule_time: str


def due_executions(
    spec: CronFederatedHPASpec, status: CronFederatedHPAStatus, *, now: datetime
) -> list[DueExecution]:
    """Rules whose recorded next execution time has come (suspended rules never are)."""
    by_name = {history.rule_name: history for history in status.execution_histories}
    due: list[DueExecution] = []
    for rule in spec.rules:
        history = by_name.get(rule.name)
        if is_suspended(rule) or history is None or history.next_execution_time is None:
            continue
        if _parse(history.next_execution_time) <= now:
            due.append(DueExecution(rule, history.next_execution_time))
    return due


@dataclass(frozen=True, slots=True)
class RuleAction:
    """What one execution writes: a workload's replicas, or a FederatedHPA's bounds."""

    target_replicas: int | None = None
    min_replicas: int | None = None
    max_replicas: int | None = None
    scales_federated_hpa: bool = False


def rule_action(
    spec: CronFederatedHPASpec, rule: CronFederatedHPARule, *, namespaced_name: str
) -> RuleAction:
    """`RunCronFederatedHPARule`'s choice between `ScaleFHPA` and `ScaleWorkloads`."""
    ref = spec.scale_target_ref
    if ref.api_version == KARMADA_AUTOSCALING:
        if ref.kind != FEDERATED_HPA_KIND:
            raise CronRuleError(
                f"CronFederatedHPA({namespaced_name}) do not support scale target "
                f"{ref.api_version}/{ref.kind}"
            )
        return RuleAction(
            min_replicas=rule.target_min_replicas,
            max_replicas=rule.target_max_replicas,
            scales_federated_hpa=True,
        )
    return RuleAction(target_replicas=rule.target_replicas)


def _history_index(status: CronFederatedHPAStatus, rule_name: str) -> int | None:
    for index, history in enumerate(status.execution_histories):
        if history.rule_name == rule_name:
            return index
    return None


def _kept(entries: list[Entry], limit: int) -> list[Entry]:
    """Karmada keeps `limit - 1` old entries before prepending the new one."""
    return entries[: max(limit - 1, 0)] if len(entries) > limit - 1 else entries


def record_success(
    status: CronFederatedHPAStatus,
    rule: CronFederatedHPARule,
    *,
    now: datetime,
    default_zone: tzinfo = UTC,
) -> CronFederatedHPAStatus:
    """`addSuccessExecutionHistory`; a rule without a history was deleted meanwhile."""
    index = _history_index(status, rule.name)
    if index is None:
        return status
    history = status.execution_histories[index]
    entry = SuccessfulExecution(
        schedule_time=history.next_execution_time,
        execution_time=_text(now),
        applied_replicas=rule.target_replicas,
        applied_max_replicas=rule.target_max_replicas,
        applied_min_replicas=rule.target_min_replicas,
    )
    kept = _kept(history.successful_executions, successful_history_limit(rule))
    updated = history.model_copy(
        update={
            "successful_executions": [entry, *kept],
            "next_execution_time": next_execution(rule, now=now, default_zone=default_zone),
        }
    )
    return _replace(status, index, updated)


def record_failure(
    status: CronFederatedHPAStatus,
    rule: CronFederatedHPARule,
    *,
    message: str,
    now: datetime,
    default_zone: tzinfo = UTC,
) -> CronFederatedHPAStatus:
    """`addFailedExecutionHistory`."""
    index = _history_index(status, rule.name)
    if index is None:
        return status
    history = status.execution_histories[index]
    entry = FailedExecution(
        schedule_time=history.next_execution_time, execution_time=_text(now), message=message
    )
    limit = failed_history_limit(rule)
    kept = _kept(history.failed_executions, limit)
    updated = history.model_copy(
        update={
            "failed_executions": [entry, *kept] if limit > 0 else [],
            "next_execution_time": next_execution(rule, now=now, default_zone=default_zone),
        }
    )
    return _replace(status, index, updated)


def _replace(
    status: CronFederatedHPAStatus, index: int, history: ExecutionHistory
) -> CronFederatedHPAStatus:
    histories = list(status.execution_histories)
    histories[index] = history
    return CronFederatedHPAStatus(execution_histories=histories)
