"""Object metadata as kube-apiserver validates it (objectmeta.go and the per-kind name rules)."""

from typing import Any

import pytest

from shared.kubeapi.datakeys import data_causes
from shared.kubeapi.objectmeta import validate_metadata
from shared.kubeapi.registry import hub_registry

REGISTRY = hub_registry()
DEPLOYMENT = REGISTRY.by_kind("apps/v1", "Deployment")
NAMESPACE = REGISTRY.by_kind("v1", "Namespace")
SERVICE = REGISTRY.by_kind("v1", "Service")
CRONJOB = REGISTRY.by_kind("batch/v1", "CronJob")
CONFIGMAP = REGISTRY.by_kind("v1", "ConfigMap")
SECRET = REGISTRY.by_kind("v1", "Secret")
BACKUP = REGISTRY.by_kind("backup.kurator.dev/v1alpha1", "Backup")
SUBDOMAIN = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "
    "'.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used "
    "for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
)


def messages(kind: Any, metadata: dict[str, Any], *, creating: bool = True) -> list[str]:
    verdict = validate_metadata(kind, {"metadata": metadata}, creating=creating)
    return [f"{cause.field}: {cause.message}" for cause in verdict.causes]


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("Upper", '"Upper"'),
        ("a/b", '"a/b"'),
        ("..", '".."'),
        (".", '"."'),
        ("a\x00b", '"a\\x00b"'),
        ("a\nb", '"a\\nb"'),
        ("🚀", '"🚀"'),
        ("a b", '"a b"'),
        ("../../kube-system/deployments/evil", '"../../kube-system/deployments/evil"'),
    ],
)
def test_bad_names_are_refused_with_kubernetes_wording(name: str, shown: str) -> None:
    assert messages(DEPLOYMENT, {"name": name, "namespace": "default"}) == [
        f"metadata.name: Invalid value: {shown}: {SUBDOMAIN}"
    ]


def test_a_name_of_300_characters_is_too_long() -> None:
    assert messages(DEPLOYMENT, {"name": "a" * 300, "namespace": "default"}) == [
        f'metadata.name: Invalid value: "{"a" * 300}": must be no more than 253 characters'
    ]


def test_custom_kinds_are_subdomains_too() -> None:
    assert messages(BACKUP, {"name": "Upper", "namespace": "default"}) == [
        f'metadata.name: Invalid value: "Upper": {SUBDOMAIN}'
    ]


@pytest.mark.parametrize("name", ["Upper", "..", "a.b", "a" * 64])
def test_namespaces_are_dns_labels(name: str) -> None:
    [message] = messages(NAMESPACE, {"name": name})[:1]
    assert message.startswith(f'metadata.name: Invalid value: "{name}": ')


def test_services_are_dns1035_labels_and_cronjobs_at_most_52() -> None:
    assert messages(SERVICE, {"name": "1web", "namespace": "default"})[0].endswith(
        "regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"
    )
    assert messages(CRONJOB, {"name": "c" * 53, "namespace": "default"}) == [
        f'metadata.name: Invalid value: "{"c" * 53}": must be no more than 52 characters'
    ]


def test_name_or_generate_name_is_required() -> None:
    assert messages(DEPLOYMENT, {"namespace": "default"}) == [
        "metadata.name: Required value: name or generateName is required"
    ]
    assert messages(DEPLOYMENT, {"generateName": "web-", "namespace": "default"}) == []
    assert messages(DEPLOYMENT, {"generateName": "Web-", "namespace": "default"})[0].startswith(
        'metadata.generateName: Invalid value: "Web-": a lowercase RFC 1123 subdomain'
    )


def test_names_are_not_revalidated_on_update() -> None:
    assert messages(DEPLOYMENT, {"name": "Legacy", "namespace": "default"}, creating=False) == []


def test_labels() -> None:
    found = messages(
        DEPLOYMENT, {"name": "a", "namespace": "d", "labels": {"k" * 300: "v", "ok": "-x"}}
    )
    too_long = "name part must be no more than 63 characters"
    assert found[0] == f'metadata.labels: Invalid value: "{"k" * 300}": {too_long}'
    assert found[-1].startswith(
        'metadata.labels: Invalid value: "-x": a valid label must be an empty string'
    )


def test_twenty_thousand_bad_labels_are_all_named() -> None:
    labels = {f"bad key {index}": "v" for index in range(20_000)}
    assert len(messages(DEPLOYMENT, {"name": "a", "namespace": "d", "labels": labels})) == 20_000


def test_annotations_keys_and_total_size() -> None:
    assert (
        messages(
            DEPLOYMENT, {"name": "a", "namespace": "d", "annotations": {"Example.COM/Key": "v"}}
        )
        == []
    )
    big = {"a": "x" * (256 * 1024)}
    assert messages(DEPLOYMENT, {"name": "a", "namespace": "d", "annotations": big}) == [
        "metadata.annotations: Too long: must have at most 262144 bytes"
    ]
    assert (
        messages(
            DEPLOYMENT,
            {"name": "a", "namespace": "d", "annotations": {"a": "x" * (256 * 1024 - 1)}},
        )
        == []
    )


def test_finalizers() -> None:
    verdict = validate_metadata(
        DEPLOYMENT,
        {
            "metadata": {
                "name": "a",
                "namespace": "d",
                "finalizers": ["example.com/x", "kubernetes", "plain"],
            }
        },
        creating=True,
    )
    assert verdict.causes == []
    assert verdict.warnings == [
        'metadata.finalizers: "plain": prefer a domain-qualified finalizer name including a '
        "path (/) to avoid accidental conflicts with other finalizer writers"
    ]
    assert messages(DEPLOYMENT, {"name": "a", "namespace": "d", "finalizers": ["a/b/c"]})[
        0
    ].startswith('metadata.finalizers: Invalid value: "a/b/c": a valid label key must consist of')
    assert messages(
        DEPLOYMENT, {"name": "a", "namespace": "d", "finalizers": ["orphan", "foregroundDeletion"]}
    ) == [
        'metadata.finalizers: Invalid value: []string{"orphan", "foregroundDeletion"}: '
        "finalizer orphan and foregroundDeletion cannot be both set"
    ]


def test_config_map_and_secret_keys() -> None:
    causes = data_causes(
        CONFIGMAP, {"data": {"a b": "1", "dup": "x"}, "binaryData": {"dup": "eA=="}}
    )
    assert [(cause.field, cause.message.split(":")[0]) for cause in causes] == [
        ("data[a b]", "Invalid value"),
        ("data[dup]", "Invalid value"),
    ]
    assert data_causes(SECRET, {"data": {"..": "eA=="}})[0].message == (
        "Invalid value: \"..\": must not be '..'"
    )
    assert data_causes(SECRET, {"data": {"a b": "eA=="}})[0].message == 'Invalid value: "a b": ' + (
        "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. "
        "'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is "
        "'[-._a-zA-Z0-9]+')"
    )
    assert [cause.message for cause in data_causes(SECRET, {"data": {"a": "A" * (1_500_000)}})] == [
        "Too long: must have at most 1048576 bytes"
    ]
    big = data_causes(CONFIGMAP, {"data": {"a": "x" * (1024 * 1024 + 1)}})
    assert [(cause.field, cause.message) for cause in big] == [
        ("[]", "Too long: must have at most 1048576 bytes")
    ]
