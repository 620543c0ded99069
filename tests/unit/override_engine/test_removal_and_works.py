"""Which clusters keep, get or lose a copy; finalizers; Work naming and conditions."""

import pytest

from services.override_engine.removal import (
    FINALIZER,
    awaiting_removal,
    clusters_to_visit,
    finalizer_added,
    finalizer_released,
    has_finalizer,
    placement,
    with_finalizer,
    without_finalizer,
)
from services.override_engine.works import (
    BindingKey,
    applied_condition,
    build_work,
    cluster_of_namespace,
    execution_namespace,
    next_condition,
    same_work,
    work_name,
)
from shared.api.binding import ResourceBindingSpec

SPEC = ResourceBindingSpec.model_validate(
    {
        "resource": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "n"},
        "clusters": [{"name": "a", "replicas": 2}],
        "gracefulEvictionTasks": [{"fromCluster": "b", "reason": "r", "producer": "p"}],
    }
)


@pytest.mark.parametrize(
    ("spec", "deleting", "cluster", "present", "expected"),
    [
        (SPEC, False, "a", True, "apply"),
        (SPEC, False, "b", True, "keep"),
        (SPEC, False, "c", True, "remove"),
        (SPEC, True, "a", True, "remove"),
        (SPEC, False, "a", False, "remove"),
        (None, False, "a", True, "remove"),
    ],
)
def test_placement(
    spec: ResourceBindingSpec | None, deleting: bool, cluster: str, present: bool, expected: str
) -> None:
    assert placement(spec, deleting=deleting, cluster=cluster, cluster_present=present) == expected


def test_clusters_with_works_are_visited_too() -> None:
    assert clusters_to_visit(SPEC, ["old"]) == {"a", "b", "old"}
    assert clusters_to_visit(None, ["old"]) == {"old"}


def test_finalizer_edits_are_idempotent() -> None:
    obj = {"metadata": {"name": "x", "finalizers": ["other"]}}
    added = with_finalizer(obj)
    assert added is not None and added["metadata"]["finalizers"] == ["other", FINALIZER]
    assert with_finalizer(added) is None
    removed = without_finalizer(added)
    assert removed is not None and removed["metadata"]["finalizers"] == ["other"]
    assert without_finalizer(removed) is None
    assert obj["metadata"]["finalizers"] == ["other"], "the input is not modified"


def test_work_names_differ_across_namespaces() -> None:
    one = work_name(BindingKey("ResourceBinding", "a", "app-deployment"))
    two = work_name(BindingKey("ResourceBinding", "b", "app-deployment"))
    assert one != two and one.startswith("app-deployment-")
    assert cluster_of_namespace(execution_namespace("east")) == "east"
    assert cluster_of_namespace("default") is None


def test_condition_transition_time_moves_only_on_change() -> None:
    first = next_condition(None, applied=True, message="ok", now="t1")
    again = next_condition(first, applied=True, message="ok", now="t2")
    failed = next_condition(again, applied=False, message="boom", now="t3")
    assert (first.last_transition_time, again.last_transition_time) == ("t1", "t1")
    assert (failed.status, failed.reason, failed.last_transition_time) == (
        "False",
        "AppliedFailed",
        "t3",
    )


def test_an_unchanged_work_is_not_rewritten() -> None:
    key = BindingKey("ResourceBinding", "default", "n-deployment")
    condition = next_condition(None, applied=True, message="ok", now="t1")
    work = build_work(binding=key, cluster="a", manifests=[{"kind": "X"}], condition=condition,
                      existing=None)  # fmt: skip
    stored = dict(work, metadata=dict(work["metadata"], uid="u", resourceVersion="3"))
    again = build_work(binding=key, cluster="a", manifests=[{"kind": "X"}], condition=condition,
                       existing=stored)  # fmt: skip
    assert same_work(again, stored)
    changed = build_work(binding=key, cluster="a", manifests=[{"kind": "Y"}], condition=condition,
                         existing=stored)  # fmt: skip
    assert not same_work(changed, stored)


@pytest.mark.parametrize(
    ("visited", "with_work", "sessions", "confirmed", "expected"),
    [
        # A Work is the record of a copy: waited for until it is gone, confirmed or not.
        ({"a"}, {"a"}, {"a"}, {"a"}, {"a"}),
        ({"a"}, {"a"}, set(), set(), {"a"}),
        # A target with a session (an apply may be in flight) until it confirms.
        ({"a", "b"}, set(), {"a", "b"}, {"a"}, {"b"}),
        ({"a", "b"}, set(), {"a", "b"}, {"a", "b"}, set()),
        # No Work and no session: nothing can have been applied there.
        ({"a"}, set(), set(), set(), set()),
        # Sessions of clusters the binding never concerned are not asked.
        ({"a"}, set(), {"a", "z"}, {"a"}, set()),
    ],
)
def test_a_deleting_binding_waits_for_every_member_that_may_hold_a_copy(
    visited: set[str],
    with_work: set[str],
    sessions: set[str],
    confirmed: set[str],
    expected: set[str],
) -> None:
    waiting = awaiting_removal(
        visited=visited, with_work=with_work, sessions=sessions, confirmed=confirmed
    )
    assert waiting == expected


def test_the_finalizer_is_seen_only_when_present() -> None:
    assert has_finalizer({"metadata": {"finalizers": ["x", FINALIZER]}})
    assert not has_finalizer({"metadata": {"finalizers": ["x"]}})
    assert not has_finalizer({"metadata": {}})
    assert not has_finalizer(None)


def test_a_work_written_before_the_apply_has_no_applied_condition() -> None:
    key = BindingKey("ResourceBinding", "default", "n-deployment")
    pending = build_work(binding=key, cluster="a", manifests=[{"kind": "X"}], condition=None,
                         existing=None)  # fmt: skip
    assert pending["status"] == {} and applied_condition(pending) is None
    condition = next_condition(None, applied=True, message="ok", now="t1")
    applied = build_work(binding=key, cluster="a", manifests=[{"kind": "X"}], condition=condition,
                         existing=pending)  # fmt: skip
    assert not same_work(applied, pending)


def binding(*, uid: str = "u1", deleting: bool = False, finalizers: tuple[str, ...] = ()) -> dict:
    metadata: dict = {"name": "x", "uid": uid, "finalizers": list(finalizers)}
    if deleting:
        metadata["deletionTimestamp"] = "2026-12-03T14:00:00Z"
    return {"metadata": metadata}


def test_a_deleting_binding_gets_no_new_finalizer() -> None:
    assert finalizer_added(binding())["metadata"]["finalizers"] == [FINALIZER]
    assert finalizer_added(binding(finalizers=(FINALIZER,))) is None
    assert finalizer_added(binding(deleting=True)) is None


@pytest.mark.parametrize(
    ("current", "released"),
    [
        (binding(deleting=True, finalizers=("other", FINALIZER)), ["other"]),
        (binding(deleting=True, finalizers=("other",)), None),
        (binding(finalizers=(FINALIZER,)), None),  # not deleting: a live binding keeps it
        (binding(uid="u2", deleting=True, finalizers=(FINALIZER,)), None),  # another binding
    ],
)
def test_only_the_deleting_binding_itself_is_released(
    current: dict, released: list[str] | None
) -> None:
    changed = finalizer_released(current, uid="u1")
    assert (changed["metadata"]["finalizers"] if changed else None) == released
