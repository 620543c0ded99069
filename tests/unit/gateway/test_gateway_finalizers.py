"""Kurator/Karmada finalizers that nothing in Navarch removes are refused by the gateway."""

import pytest

from services.backup.backups import FINALIZER as BACKUP_FINALIZER
from services.backup.restores import FINALIZER as RESTORE_FINALIZER
from services.fleet_manager.service import FINALIZER as FLEET_MANAGER_FINALIZER
from services.gateway.validation import validate
from services.override_engine.removal import FINALIZER as OVERRIDE_ENGINE_FINALIZER
from shared.api.finalizers import SERVED_FINALIZERS, in_guarded_domain, unserved_finalizers
from shared.kubeapi.namespaces import FINALIZER as NAMESPACE_FINALIZER
from shared.kubeapi.registry import hub_registry

BACKUP = hub_registry().by_kind("backup.kurator.dev/v1alpha1", "Backup")


def test_every_finalizer_a_service_adds_is_in_the_table() -> None:
    for finalizer in (
        FLEET_MANAGER_FINALIZER,
        OVERRIDE_ENGINE_FINALIZER,
        NAMESPACE_FINALIZER,
        BACKUP_FINALIZER,
        RESTORE_FINALIZER,
    ):
        assert finalizer in SERVED_FINALIZERS


@pytest.mark.parametrize(
    ("finalizer", "guarded"),
    [
        ("backup.kurator.dev", True),
        ("fleet.kurator.dev", True),
        ("kurator.dev", True),
        ("karmada.io/execution-controller", True),
        ("cluster.karmada.io/cleanup", True),
        ("karmada.io", True),
        ("notkurator.dev", False),
        ("example.com/kurator.dev", False),
        ("navarch.dev/override-engine", False),
        ("kubernetes", False),
    ],
)
def test_guarded_domains(finalizer: str, guarded: bool) -> None:
    assert in_guarded_domain(finalizer) is guarded


def test_unserved_finalizers_are_named_by_index() -> None:
    names = ["example.com/mine", "fleet.kurator.dev", "navarch.dev/fleet-manager", "karmada.io/x"]
    assert unserved_finalizers(names) == [(1, "fleet.kurator.dev"), (3, "karmada.io/x")]


def test_a_backup_with_kurators_finalizer_is_refused_naming_the_field() -> None:
    assert BACKUP is not None
    obj = {"metadata": {"name": "b", "namespace": "default", "finalizers": ["fleet.kurator.dev"]}}
    [cause] = validate(BACKUP.resource, obj, False)
    assert cause.field == "metadata.finalizers[0]"
    assert cause.reason == "FieldValueForbidden"
    assert cause.message == (
        'Forbidden: no Navarch service removes the finalizer "fleet.kurator.dev", so deleting '
        "the object would never finish"
    )
    assert (
        validate(BACKUP.resource, {"metadata": {"name": "b", "namespace": "default"}}, False) == []
    )
