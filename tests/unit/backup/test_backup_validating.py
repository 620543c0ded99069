"""Velero's validation messages, ported from pkg/util/collections/includes_excludes_test.go
(TestValidateIncludesExcludes, TestValidateNamespaceIncludesExcludes,
TestValidateScopedIncludesExcludes) plus the controller checks of backup_controller.go and
restore_controller.go."""

import pytest

from services.backup.models import ResourceFilter
from services.backup.validating import (
    OLD_AND_NEW_FILTERS_MIXED,
    validate_backup_filter,
    validate_includes_excludes,
    validate_namespace_includes_excludes,
    validate_restore_filter,
    validate_scoped_includes_excludes,
)


@pytest.mark.parametrize(
    ("includes", "excludes", "want"),
    [
        ([], [], []),
        (["*"], [], []),
        (
            ["*", "foo"],
            [],
            ["includes list must either contain '*' only, or a non-empty list of items"],
        ),
        (["foo"], ["*"], ["excludes list cannot contain '*'"]),
        (
            ["foo", "bar"],
            ["bar"],
            ["excludes list cannot contain an item in the includes list: bar"],
        ),
    ],
)
def test_validate_includes_excludes(
    includes: list[str], excludes: list[str], want: list[str]
) -> None:
    assert validate_includes_excludes(includes, excludes) == want


@pytest.mark.parametrize(
    ("includes", "excludes", "want_error"),
    [
        ([], [], False),
        (["*"], [], False),
        (["foobar", "bar-321", "foo123bar"], ["123bar", "barfoo", "foo-321", "bar123foo"], False),
        (["-123foo"], ["foo321-", "foo321-"], True),
        (["foo?", "foo.bar", "bar_321"], ["$foo", "foo>bar", "bar=321"], True),
        ([""], [], False),
        ([], [""], False),
        (["foo", "bar"], ["nginx-ingress-*", "*-bar", "*-ingress-*"], False),
        (["*-foo", "kube-*", "*kube*"], ["bar"], False),
        (["*", "foo"], [], True),
        (["foo"], ["*"], True),
        (["foo", "bar"], ["bar"], True),
        (["kube-*", "test-?", "ns-[0-9]"], [], False),
        (["default"], ["test-*", "app-?", "ns-[1-5]"], False),
        (["ns-[abc]", "test-[0-9]"], [], False),
        (["kube-*", "test-?"], ["*-test", "debug-[0-9]"], False),
        (["namespace|other"], [], True),
        (["namespace(prod)", "test-(dev)"], [], True),
        (["!namespace", "test!"], [], True),
        (["default"], ["test|prod", "app(staging)"], True),
        (["ns-[]"], [], True),
        (["ns-[a"], [], True),
        (["kube-**"], [], True),
    ],
)
def test_validate_namespace_includes_excludes(
    includes: list[str], excludes: list[str], want_error: bool
) -> None:
    assert bool(validate_namespace_includes_excludes(includes, excludes)) is want_error


def test_namespace_errors_use_kubernetes_wording() -> None:
    assert validate_namespace_includes_excludes(["Bad_NS"], []) == [
        'invalid namespace "Bad_NS": a lowercase RFC 1123 label must consist of lower case '
        "alphanumeric characters or '-', and must start and end with an alphanumeric character "
        "(e.g. 'my-name',  or '123-abc', regex used for validation is "
        "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
    ]
    assert validate_namespace_includes_excludes(["a|b"], []) == [
        "wildcard pattern contains unsupported characters: |, (, ), !, {, }, ,"
    ]


@pytest.mark.parametrize(
    ("includes", "excludes", "want"),
    [
        ([], [], []),
        (["*"], [], []),
        (
            ["*", "foo"],
            [],
            ["includes list must either contain '*' only, or a non-empty list of items"],
        ),
        ([], ["*"], []),
        (
            [],
            ["*", "foo"],
            ["excludes list must either contain '*' only, or a non-empty list of items"],
        ),
        (["foo"], ["*"], ["when exclude is '*', include cannot have value"]),
        (
            ["foo", "bar"],
            ["bar"],
            ["excludes list cannot contain an item in the includes list: bar"],
        ),
    ],
)
def test_validate_scoped_includes_excludes(
    includes: list[str], excludes: list[str], want: list[str]
) -> None:
    assert validate_scoped_includes_excludes(includes, excludes) == want


@pytest.mark.parametrize(
    ("fields", "want"),
    [
        ({}, []),
        (
            {"includedResources": ["pods"], "includedClusterScopedResources": ["storageclasses"]},
            [OLD_AND_NEW_FILTERS_MIXED],
        ),
        (
            {"includedResources": ["*", "pods"]},
            [
                "Invalid included/excluded resource lists: includes list must either contain "
                "'*' only, or a non-empty list of items"
            ],
        ),
        (
            {"excludedClusterScopedResources": ["*", "pv"]},
            [
                "Invalid cluster-scoped included/excluded resource lists: excludes list must "
                "either contain '*' only, or a non-empty list of items"
            ],
        ),
        (
            {"excludedNamespaces": ["*"]},
            [
                "Invalid included/excluded namespace lists: excludes list cannot contain '*'",
                # empty includes were normalised to ["*"] first, as Velero does
                "Invalid included/excluded namespace lists: excludes list cannot contain an "
                "item in the includes list: *",
            ],
        ),
        (
            {"labelSelector": {"matchLabels": {"a": "b"}}, "orLabelSelectors": []},
            [
                "encountered labelSelector as well as orLabelSelectors in backup spec, only one "
                "can be specified"
            ],
        ),
    ],
)
def test_validate_backup_filter(fields: dict[str, object], want: list[str]) -> None:
    assert validate_backup_filter(ResourceFilter.model_validate(fields)) == want


def test_old_and_new_filter_message_is_velero_s() -> None:
    assert OLD_AND_NEW_FILTERS_MIXED.splitlines() == [
        "include-resources, exclude-resources and include-cluster-resources are old filter "
        "parameters.",
        "include-cluster-scoped-resources, exclude-cluster-scoped-resources, "
        "include-namespace-scoped-resources and exclude-namespace-scoped-resources are new "
        "filter parameters.",
        "They cannot be used together",
    ]


@pytest.mark.parametrize(
    ("fields", "want"),
    [
        ({}, []),
        (
            {"includedResources": ["nodes"]},
            [
                "nodes are non-restorable resources",
                "Invalid included/excluded resource lists: excludes list cannot contain an item "
                "in the includes list: nodes",
            ],
        ),
        (
            {"includedNamespaces": ["a"], "excludedNamespaces": ["a"]},
            [
                "Invalid included/excluded namespace lists: excludes list cannot contain an "
                "item in the includes list: a"
            ],
        ),
        (
            {"labelSelector": {}, "orLabelSelectors": [{}]},
            [
                "encountered labelSelector as well as orLabelSelectors in restore spec, only one "
                "can be specified"
            ],
        ),
    ],
)
def test_validate_restore_filter(fields: dict[str, object], want: list[str]) -> None:
    assert validate_restore_filter(ResourceFilter.model_validate(fields)) == want
