"""Which hub events wake a binding: status writes do not, spec and lifecycle do."""

import pytest

from services.override_engine.caches import binding_key
from services.override_engine.event_handlers import (
    binding_event_matters,
    selector_groups,
    template_binding,
    template_event_matters,
)
from services.override_engine.works import BindingKey
from shared.api.kinds import CONFIGMAPS, DEPLOYMENTS, KARMADA_CLUSTERS
from shared.runtime.informing import InformerEvent


def obj(*, spec: object = None, status: object = None, rv: str = "1", **metadata: object) -> dict:
    return {
        "metadata": {"name": "web", "namespace": "default", "resourceVersion": rv, **metadata},
        "spec": spec or {"replicas": 1},
        "status": status or {},
    }


BASE = obj()


@pytest.mark.parametrize(
    ("event", "matters"),
    [
        (InformerEvent("ADDED", BASE), True),
        (InformerEvent("DELETED", BASE, BASE), True),
        (InformerEvent("MODIFIED", obj(status={"aggregatedStatus": []}, rv="2"), BASE), False),
        (InformerEvent("MODIFIED", obj(spec={"replicas": 2}, rv="2"), BASE), True),
        (InformerEvent("MODIFIED", obj(finalizers=["f"], rv="2"), BASE), True),
        (InformerEvent("MODIFIED", obj(deletionTimestamp="t", rv="2"), BASE), True),
        (InformerEvent("MODIFIED", obj(labels={"a": "b"}, rv="2"), BASE), False),
    ],
)
def test_binding_events(event: InformerEvent, matters: bool) -> None:
    assert binding_event_matters(event) is matters


@pytest.mark.parametrize(
    ("event", "matters"),
    [
        (InformerEvent("ADDED", BASE), True),
        (InformerEvent("MODIFIED", obj(status={"replicas": 3}, rv="2"), BASE), False),
        (InformerEvent("MODIFIED", obj(generation=2, rv="2"), BASE), True),
        (InformerEvent("MODIFIED", obj(labels={"a": "b"}, rv="2"), BASE), True),
        (InformerEvent("MODIFIED", obj(annotations={"a": "b"}, rv="2"), BASE), True),
        (InformerEvent("MODIFIED", obj(uid="other", rv="2"), BASE), True),
        (InformerEvent("MODIFIED", obj(finalizers=["f"], rv="2"), BASE), False),
    ],
)
def test_template_events(event: InformerEvent, matters: bool) -> None:
    assert template_event_matters(event) is matters


def test_templates_name_their_bindings_as_the_scheduler_does() -> None:
    assert template_binding(DEPLOYMENTS, ("default", "web")) == BindingKey(
        "ResourceBinding", "default", "web-deployment"
    )
    assert template_binding(CONFIGMAPS, ("ns", "cfg")).name == "cfg-configmap"
    assert template_binding(KARMADA_CLUSTERS, ("", "east")) == BindingKey(
        "ClusterResourceBinding", "", "east-cluster"
    )
    assert binding_key("ClusterResourceBinding", {"metadata": {"name": "n"}}) == BindingKey(
        "ClusterResourceBinding", "", "n"
    )


def policy(*selectors: dict, api_version: str = "policy.karmada.io/v1alpha1") -> dict:
    return {
        "apiVersion": api_version,
        "kind": "OverridePolicy",
        "metadata": {"name": "p", "namespace": "default"},
        "spec": {
            "resourceSelectors": list(selectors),
            "overrideRules": [{"overriders": {"labelsOverrider": []}}],
        },
    }


NGINX = {"apiVersion": "apps/v1", "kind": "Deployment", "name": "nginx"}
REDIS = {"apiVersion": "apps/v1", "kind": "Deployment", "name": "redis"}


def test_a_policy_wakes_what_it_selected_before_and_after() -> None:
    groups = selector_groups([policy(NGINX), policy(REDIS)])
    assert [[s.name for s in group] for group in groups] == [["nginx"], ["redis"]]
    assert len(selector_groups([None, policy(NGINX)])) == 1, "created: only the new one"


def test_a_policy_selecting_everything_or_unreadable_wakes_every_binding() -> None:
    assert selector_groups([policy(NGINX), policy()]) == []
    broken = policy(NGINX)
    broken["spec"]["overrideRules"] = "not a list"
    assert selector_groups([policy(NGINX), broken]) == []
