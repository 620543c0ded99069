"""Which member watch events concern Navarch, and which can skip the drift check."""

from services.override_engine.drift import navarchs, only_status_changed, owner_of
from services.override_engine.works import (
    BINDING_ANNOTATION,
    MANAGED_BY_LABEL,
    MANAGED_BY_VALUE,
    BindingKey,
)
from shared.runtime.informing import InformerEvent

BINDING = BindingKey("ResourceBinding", "default", "nginx-deployment")


def member_object(*, labelled: bool = True, rv: str = "5", **changes: object) -> dict:
    obj: dict = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": "nginx",
            "namespace": "default",
            "resourceVersion": rv,
            "labels": {MANAGED_BY_LABEL: MANAGED_BY_VALUE} if labelled else {},
            "annotations": {BINDING_ANNOTATION: BINDING.reference()},
        },
        "spec": {"replicas": 2},
        "status": {"replicas": 0},
    }
    for key, value in changes.items():
        if key in ("labels", "annotations"):
            obj["metadata"][key] = value
        else:
            obj[key] = value
    return obj


def test_only_navarchs_objects_have_an_owner() -> None:
    assert navarchs(member_object())
    assert not navarchs(member_object(labelled=False)) and not navarchs(None)
    assert owner_of(InformerEvent("ADDED", member_object())) == BINDING
    assert owner_of(InformerEvent("ADDED", member_object(labelled=False))) is None


def test_a_removed_label_still_names_the_binding_that_owned_it() -> None:
    event = InformerEvent("MODIFIED", member_object(labelled=False, rv="6"), member_object())
    assert owner_of(event) == BINDING


def test_status_and_server_bookkeeping_changes_skip_the_drift_check() -> None:
    old = member_object()
    new = member_object(rv="6", status={"replicas": 2, "readyReplicas": 2})
    new["metadata"]["managedFields"] = [{"manager": "kube-controller-manager"}]
    assert only_status_changed(InformerEvent("MODIFIED", new, old))


def test_spec_or_metadata_changes_are_checked_for_drift() -> None:
    old = member_object()
    for new in (
        member_object(rv="6", spec={"replicas": 5}),
        member_object(rv="6", labels={}),
        member_object(rv="6", annotations={"deployment.kubernetes.io/revision": "1"}),
    ):
        assert not only_status_changed(InformerEvent("MODIFIED", new, old))
    assert not only_status_changed(InformerEvent("ADDED", old))
    assert not only_status_changed(InformerEvent("DELETED", old, old))
