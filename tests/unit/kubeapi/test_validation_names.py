"""Kubernetes' string rules, with cases from its own tests.

Cases come from staging/src/k8s.io/apimachinery/pkg/api/validate/content/kube_test.go
(TestIsLabelKey, TestIsLabelValue), dns_test.go and path_test.go, and
staging/src/k8s.io/apimachinery/pkg/util/validation/validation_test.go (IsConfigMapKey).
"""

import pytest

from shared.api.names import (
    go_quote,
    is_config_map_key,
    is_dns1035_label,
    is_dns1123_label,
    is_dns1123_subdomain,
    is_label_value,
    is_path_segment_name,
    is_qualified_name,
    name_is_dns_subdomain,
)

SUBDOMAIN_MESSAGE = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "
    "'.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used "
    "for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
)


@pytest.mark.parametrize(
    "key",
    [
        "simple",
        "now-with-dashes",
        "1-starts-with-num",
        "1234",
        "simple/simple",
        "now-with-dashes/simple",
        "now.with.dots/simple",
        "1-num.2-num/3-num",
        "1.2.3.4/5678",
        "Uppercase_Is_OK_123",
        "example.com/Uppercase_Is_OK_123",
        "requests.storage-foo",
        "a" * 63,
        "a" * 253 + "/" + "b" * 63,
    ],
)
def test_valid_label_keys(key: str) -> None:
    assert is_qualified_name(key) == []


@pytest.mark.parametrize(
    "key",
    [
        "nospecialchars%^=@",
        "cantendwithadash-",
        "-cantstartwithadash-",
        "only/one/slash",
        "Example.com/abc",
        "example_com/abc",
        "example.com/",
        "/simple",
        "a" * 64,
        "a" * 254 + "/abc",
        "k" * 300,
    ],
)
def test_invalid_label_keys(key: str) -> None:
    assert is_qualified_name(key)


def test_label_key_messages_are_kubernetes_words() -> None:
    assert is_qualified_name("a" * 64) == ["name part must be no more than 63 characters"]
    assert is_qualified_name("/simple") == ["prefix part must be non-empty"]
    assert is_qualified_name("cantendwithadash-") == [
        "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and "
        "end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex "
        "used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
    ]
    assert is_qualified_name("Example.com/abc")[0].startswith(
        "prefix part a lowercase RFC 1123 subdomain must consist of"
    )


@pytest.mark.parametrize(
    "value",
    ["simple", "now-with-dashes", "1-starts-with-num", "end-with-num-1", "1234", "a" * 63, ""],
)
def test_valid_label_values(value: str) -> None:
    assert is_label_value(value) == []


@pytest.mark.parametrize(
    "value",
    [
        "nospecialchars%^=@",
        "Tama-nui-te-rā.is.Māori.sun",
        "\\backslashes\\are\\bad",
        "-starts-with-dash",
        "ends-with-dash-",
        ".starts.with.dot",
        "ends.with.dot.",
        "a" * 64,
    ],
)
def test_invalid_label_values(value: str) -> None:
    assert is_label_value(value)


@pytest.mark.parametrize(
    ("name", "messages"),
    [
        ("example.com", []),
        ("a" * 253, []),
        ("Upper", [SUBDOMAIN_MESSAGE]),
        ("a" * 254, ["must be no more than 253 characters"]),
        ("a/b", [SUBDOMAIN_MESSAGE]),
        ("..", [SUBDOMAIN_MESSAGE]),
        ("a\nb", [SUBDOMAIN_MESSAGE]),
        ("abc\n", [SUBDOMAIN_MESSAGE]),
        ("🚀", [SUBDOMAIN_MESSAGE]),
        ("a b", [SUBDOMAIN_MESSAGE]),
    ],
)
def test_subdomains(name: str, messages: list[str]) -> None:
    assert is_dns1123_subdomain(name) == messages


def test_lengths_count_bytes_like_go() -> None:
    assert is_dns1123_label("é" * 32) == [
        "must be no more than 63 characters",
        is_dns1123_label("É")[0],
    ]


def test_labels_and_dns1035() -> None:
    assert is_dns1123_label("a.b") == ["must not contain dots"]
    assert is_dns1123_label("1abc") == []
    assert is_dns1035_label("1abc") == [
        "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an "
        "alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or "
        "'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"
    ]


def test_generate_name_may_end_with_a_dash() -> None:
    assert name_is_dns_subdomain("web-", True) == []
    assert name_is_dns_subdomain("web-", False) == [SUBDOMAIN_MESSAGE]


@pytest.mark.parametrize(
    ("name", "messages"),
    [
        ("a", []),
        (".", ["may not be '.'"]),
        ("..", ["may not be '..'"]),
        ("a/b", ["may not contain '/'"]),
        ("a%b", ["may not contain '%'"]),
        ("a/%b", ["may not contain '/'", "may not contain '%'"]),
    ],
)
def test_path_segment_names(name: str, messages: list[str]) -> None:
    assert is_path_segment_name(name) == messages


@pytest.mark.parametrize(
    ("key", "invalid"),
    [("a", False), ("KEY_NAME", False), ("key.name", False), ("a b", True), (".", True),
     ("..", True), ("..a", True), ("a/b", True)],
)  # fmt: skip
def test_config_map_keys(key: str, invalid: bool) -> None:
    assert bool(is_config_map_key(key)) is invalid


@pytest.mark.parametrize(
    ("value", "quoted"),
    [("Upper", '"Upper"'), ("a\x00b", '"a\\x00b"'), ("a\nb", '"a\\nb"'),
     ('say "hi"', '"say \\"hi\\""'), ("🚀", '"🚀"'), ("a b", '"a b"')],
)  # fmt: skip
def test_values_are_quoted_like_go(value: str, quoted: str) -> None:
    assert go_quote(value) == quoted
