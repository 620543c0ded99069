"""Bounded YAML and the nesting check: tables of documents, no I/O."""

import time
import tracemalloc

import pytest
import yaml

from shared.nesting import render, too_deep
from shared.safeyaml import (
    EXCESSIVE_ALIASING,
    YamlBoundError,
    YamlLimits,
    allowed_alias_ratio,
    load,
    load_all,
)

LAUGHS = "\n".join(
    ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    + [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)]
)


def test_billion_laughs_is_refused_fast_and_small() -> None:
    tracemalloc.start()
    started = time.monotonic()
    with pytest.raises(YamlBoundError, match=EXCESSIVE_ALIASING):
        load(LAUGHS)
    elapsed = time.monotonic() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert elapsed < 1.0
    assert peak < 20 * 1024 * 1024


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ("a: &x {k: v}\nb: *x\nc: *x\n", {"a": {"k": "v"}, "b": {"k": "v"}, "c": {"k": "v"}}),
        ("b: &b {x: 1}\nm:\n  <<: *b\n  y: 2\n", {"b": {"x": 1}, "m": {"x": 1, "y": 2}}),
        ("list: &l [1, 2]\nagain: *l\n", {"list": [1, 2], "again": [1, 2]}),
        ("", None),
        ('{"json": ["is", "yaml"]}', {"json": ["is", "yaml"]}),
    ],
)  # fmt: skip
def test_ordinary_documents_load_as_safe_load_does(document: str, expected: object) -> None:
    assert load(document) == expected == yaml.safe_load(document)


def _twice(scalar: str) -> str:
    """An anchored scalar and a list aliasing it twice: three copies when decoded."""
    return f"s: &s {scalar}\nl: [*s, *s]\n"


@pytest.mark.parametrize(
    ("document", "limits", "message"),
    [
        ("a: &a [*a]\n", YamlLimits(), "exceeded max depth of 100"),
        ("a: [[[[x]]]]\n", YamlLimits(max_depth=4), "exceeded max depth of 4"),
        ("a: [[[x]]]\n", YamlLimits(max_depth=4), None),
        (_twice("x" * 600), YamlLimits(max_decoded_bytes=1000), "more than 1000 bytes"),
        (_twice("x" * 300), YamlLimits(max_decoded_bytes=1000), None),
    ],
)  # fmt: skip
def test_bounds(document: str, limits: YamlLimits, message: str | None) -> None:
    if message is None:
        load(document, limits=limits)
        return
    with pytest.raises(YamlBoundError, match=message):
        load(document, limits=limits)


def test_load_all_bounds_every_document() -> None:
    documents = load_all("a: 1\n---\n" + LAUGHS + "\n")
    assert next(documents) == {"a": 1}
    with pytest.raises(YamlBoundError, match=EXCESSIVE_ALIASING):
        next(documents)


@pytest.mark.parametrize(
    ("decodes", "ratio"),
    [(1000, 0.99), (400_000, 0.99), (2_200_000, 0.545), (4_000_000, 0.10), (9_000_000, 0.10)],
)
def test_alias_ratio_follows_go_yaml(decodes: int, ratio: float) -> None:
    assert allowed_alias_ratio(decodes) == pytest.approx(ratio)


def _nested(depth: int) -> object:
    value: object = "leaf"
    for index in range(depth):
        value = {"a": value} if index % 2 else [value]
    return value


@pytest.mark.parametrize(
    ("value", "max_depth", "path"),
    [
        ("scalar", 1, None),
        ({}, 1, None),
        ({"a": {}}, 1, ["a"]),
        (_nested(100), 100, None),
        (_nested(101), 100, [0, "a"] * 50),
        ({"spec": {"list": [{"x": {}}]}}, 3, ["spec", "list", 0]),
    ],
)
def test_too_deep_names_the_first_container_past_the_bound(
    value: object, max_depth: int, path: list[object] | None
) -> None:
    assert too_deep(value, max_depth=max_depth) == path


def test_too_deep_handles_shared_and_cyclic_containers() -> None:
    cycle: list[object] = []
    cycle.append(cycle)
    assert too_deep(cycle, max_depth=10) == [0] * 10
    assert render(["spec", "containers", 0, "env"]) == "spec.containers[0].env"
