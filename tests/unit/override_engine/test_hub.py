"""The Work a member's answer makes: recorded before the first apply, then conditioned."""

from services.override_engine.hub import desired_work
from services.override_engine.works import (
    BindingKey,
    applied_condition,
    execution_namespace,
    same_work,
    work_name,
)

BINDING = BindingKey("ResourceBinding", "default", "web-deployment")
MANIFESTS = [{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"}}]


def work(*, applied: bool | None, existing: dict | None = None, now: str = "t1") -> dict:
    return desired_work(
        binding=BINDING,
        cluster="east",
        manifests=MANIFESTS,
        applied=applied,
        message="ok" if applied else "boom",
        existing=existing,
        now=now,
    )


def test_before_any_answer_the_work_names_the_manifests_and_no_condition() -> None:
    recorded = work(applied=None)
    assert recorded["metadata"]["namespace"] == execution_namespace("east")
    assert recorded["metadata"]["name"] == work_name(BINDING)
    assert recorded["spec"]["workload"]["manifests"] == MANIFESTS
    assert applied_condition(recorded) is None


def test_an_answer_keeps_the_transition_time_while_the_outcome_stays() -> None:
    stored = dict(work(applied=True), metadata={**work(applied=True)["metadata"], "uid": "w1"})
    stored["metadata"]["resourceVersion"] = "12"
    again = work(applied=True, existing=stored, now="t2")
    assert same_work(again, stored), "nothing changed: no write"
    assert "resourceVersion" not in again["metadata"], "written over whatever is stored"
    assert again["metadata"]["uid"] == "w1"
    failed = work(applied=False, existing=stored, now="t3")
    condition = applied_condition(failed)
    assert condition is not None and condition.status == "False"
    assert condition.last_transition_time == "t3" and condition.message == "boom"
