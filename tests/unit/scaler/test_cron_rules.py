"""CronFederatedHPA: Karmada's validating_test.go cases, and the execution-history bookkeeping."""

from datetime import UTC, datetime, timedelta

import pytest

from services.scaler.cron_rules import (
    CronRuleError,
    due_executions,
    record_failure,
    record_success,
    rule_action,
    sync_execution_histories,
    validate_cron_federated_hpa_spec,
)
from services.scaler.models import (
    CronFederatedHPARule,
    CronFederatedHPASpec,
    CronFederatedHPAStatus,
    CrossVersionObjectReference,
)

KARMADA = "autoscaling.karmada.io/v1alpha1"
NOW = datetime(2024, 5, 6, 12, 0, 30, tzinfo=UTC)


def cron(api_version: str, kind: str, name: str, *rules: CronFederatedHPARule):
    return CronFederatedHPASpec(
        scale_target_ref=CrossVersionObjectReference(api_version=api_version, kind=kind, name=name),
        rules=list(rules),
    )


def rule(name: str = "foo", schedule: str = "0 0 13 * 5", **fields) -> CronFederatedHPARule:
    return CronFederatedHPARule(name=name, schedule=schedule, **fields)


# pkg/webhook/cronfederatedhpa/validating_test.go: (name, spec, expected error or "")
VALIDATION_CASES = [
    ("normal Deployment", cron("apps/v1", "Deployment", "d", rule(target_replicas=1)), ""),
    ("normal FederatedHPA",
     cron(KARMADA, "FederatedHPA", "f", rule(schedule="0 0 13 * 1", target_min_replicas=1,
                                             target_max_replicas=5)), ""),
    ("unsupported kind in apiVersion: autoscaling.karmada.io/v1alpha1",
     cron(KARMADA, "Test", "t", rule(target_replicas=1)),
     'spec.scaleTargetRef.kind: Invalid value: "Test": invalid scaleTargetRef kind: Test, '
     "only support FederatedHPA"),
    ("unspecified spec.scaleTargetRef.kind", cron("", "", "n", rule(target_replicas=1)),
     "spec.scaleTargetRef.kind: Required value"),
    ("unspecified spec.scaleTargetRef.name", cron("", "foo", "", rule(target_replicas=1)),
     "spec.scaleTargetRef.name: Required value"),
    ("duplicated spec.rules[*].name",
     cron("", "foo", "n", rule("bar", target_replicas=1), rule("bar", target_replicas=1)),
     'spec.rules[1].name: Duplicate value: "bar"'),
    ("invalid cron", cron("", "foo", "n", rule(schedule="0 0 13 *", target_replicas=1)),
     'spec.rules[0].schedule: Invalid value: "0 0 13 *": invalid cron format'),
    ("invalid timezone",
     cron("", "foo", "n", rule(schedule="0 0 13 * 1", time_zone="A/B", target_replicas=1)),
     'spec.rules[0].timeZone: Invalid value: "A/B": unknown time zone A/B'),
    ("nil targetReplicas", cron("", "foo", "n", rule(schedule="0 0 13 * 1")),
     'spec.rules[0].targetReplicas: Invalid value: "": targetReplicas cannot be nil if you '
     "want to scale foo"),
    ("targetReplicas is less than 0", cron("", "foo", "n", rule(target_replicas=-1)),
     'spec.rules[0].targetReplicas: Invalid value: "": targetReplicas should be larger than or '
     "equal to 0"),
    ("nil targetMinReplicas and targetMaxReplicas when scaling FHPA",
     cron(KARMADA, "FederatedHPA", "f", rule()),
     'spec.rules[0].targetMaxReplicas: Invalid value: "": targetMinReplicas and '
     "targetMaxReplicas cannot be nil at the same time if you want to scale FederatedHPA"),
    ("targetMinReplicas is less than 0 when scaling FHPA",
     cron(KARMADA, "FederatedHPA", "f", rule(target_min_replicas=-1, target_max_replicas=2)),
     'spec.rules[0].targetMinReplicas: Invalid value: "": targetMinReplicas should be larger '
     "than 0"),
    ("targetMaxReplicas is less than 0 when scaling FHPA",
     cron(KARMADA, "FederatedHPA", "f", rule(target_max_replicas=-1)),
     'spec.rules[0].targetMaxReplicas: Invalid value: "": targetMaxReplicas should be larger '
     "than 0"),
    ("targetMaxReplicas is less than targetMinReplicas when scaling FHPA",
     cron(KARMADA, "FederatedHPA", "f", rule(target_min_replicas=5, target_max_replicas=2)),
     'spec.rules[0].targetMinReplicas: Invalid value: "": targetMaxReplicas should be larger '
     "than or equal to targetMinReplicas"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("cron_spec", "expected"),
    [case[1:] for case in VALIDATION_CASES],
    ids=[case[0] for case in VALIDATION_CASES],
)
def test_validation(cron_spec, expected) -> None:
    rendered = [
        f"{error.path}: {error.message}" for error in validate_cron_federated_hpa_spec(cron_spec)
    ]
    if expected:
        assert expected in rendered
    else:
        assert rendered == []


def test_histories_follow_the_rules() -> None:
    """updateRuleHistory / removeCronFHPAHistory: next time per rule, nil while suspended."""
    spec = cron(
        "apps/v1",
        "Deployment",
        "d",
        rule("every-minute", "* * * * *", target_replicas=2),
        rule("paused", "0 9 * * *", target_replicas=3, suspend=True),
        rule("tokyo", "0 9 * * *", target_replicas=4, time_zone="Asia/Tokyo"),
    )
    stale = CronFederatedHPAStatus.model_validate(
        {"executionHistories": [{"ruleName": "gone"}, {"ruleName": "paused"}]}
    )
    status = sync_execution_histories(spec, stale, now=NOW)
    assert [(h.rule_name, h.next_execution_time) for h in status.execution_histories] == [
        ("paused", None),
        ("every-minute", "2024-05-06T12:01:00Z"),
        ("tokyo", "2024-05-07T00:00:00Z"),
    ]


def test_due_execution_then_success_and_failure_histories() -> None:
    first = rule("r", "*/5 * * * *", target_replicas=3, successful_history_limit=2)
    spec = cron("apps/v1", "Deployment", "d", first)
    status = sync_execution_histories(spec, CronFederatedHPAStatus(), now=NOW)
    assert due_executions(spec, status, now=NOW) == []
    moment = NOW
    for _ in range(3):
        moment = moment + timedelta(minutes=5)
        [due] = due_executions(spec, status, now=moment)
        status = record_success(status, due.rule, now=moment)
    [history] = status.execution_histories
    assert [entry.schedule_time for entry in history.successful_executions] == [
        "2024-05-06T12:15:00Z",
        "2024-05-06T12:10:00Z",
    ]
    assert history.successful_executions[0].to_dict() == {
        "scheduleTime": "2024-05-06T12:15:00Z",
        "executionTime": "2024-05-06T12:15:30Z",
        "appliedReplicas": 3,
    }
    assert history.next_execution_time == "2024-05-06T12:20:00Z"
    failed = record_failure(status, first, message="boom", now=moment)
    assert [entry.message for entry in failed.execution_histories[0].failed_executions] == ["boom"]


def test_failed_history_limit_zero_keeps_nothing() -> None:
    quiet = rule("r", "* * * * *", target_replicas=1, failed_history_limit=0)
    spec = cron("apps/v1", "Deployment", "d", quiet)
    status = sync_execution_histories(spec, CronFederatedHPAStatus(), now=NOW)
    failed = record_failure(status, quiet, message="boom", now=NOW)
    assert failed.execution_histories[0].failed_executions == []


def test_records_for_a_deleted_rule_are_dropped() -> None:
    status = CronFederatedHPAStatus()
    assert record_success(status, rule(target_replicas=1), now=NOW) is status


def test_rule_actions() -> None:
    fhpa = cron(KARMADA, "FederatedHPA", "f", rule(target_min_replicas=2, target_max_replicas=9))
    action = rule_action(fhpa, fhpa.rules[0], namespaced_name="ns/c")
    assert (action.scales_federated_hpa, action.min_replicas, action.max_replicas) == (True, 2, 9)
    workload = cron("apps/v1", "Deployment", "d", rule(target_replicas=0))
    assert rule_action(workload, workload.rules[0], namespaced_name="ns/c").target_replicas == 0
    odd = cron(KARMADA, "Other", "o", rule(target_replicas=1))
    with pytest.raises(CronRuleError, match=r"^CronFederatedHPA\(ns/c\) do not support scale "):
        rule_action(odd, odd.rules[0], namespaced_name="ns/c")
