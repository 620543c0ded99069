"""Hypothesis strategies for the values a hostile or careless client puts in an object.

Objects start valid-ish: built-in kinds are drawn from Kubernetes' own OpenAPI definitions
(kubernetes-validate, as `shared.kubeapi.schemas` adapts them), Karmada's and Kurator's
from the hub's pydantic models. Then a few mutations land on random paths: wrong types,
ints past int32/int64, deep nesting, long, unicode and NUL strings, unknown fields, removed
required fields. Metadata is drawn separately, with bad names, labels and finalizers.
"""

import copy
import datetime
import math
from dataclasses import dataclass
from functools import cache
from typing import Any

from hypothesis import strategies as st
from pydantic import BaseModel

from shared.api.binding import ClusterResourceBinding, ResourceBinding
from shared.api.cluster import Cluster
from shared.api.fleet import AttachedCluster, Fleet
from shared.api.overrides import ClusterOverridePolicy, KuratorOverridePolicy, OverridePolicy
from shared.api.propagation import (
    ClusterPropagationPolicy,
    DistributionPolicy,
    PropagationPolicy,
)
from shared.kubeapi.schemas import definition_of, definitions
from tests.integration.gateway.fuzzing_valid import VALID_BODIES

Object = dict[str, Any]
Strategy = st.SearchStrategy[Any]

MAX_DEPTH = 5
"""How deep the schema walk goes before it stops adding optional structure."""
MAX_OPTIONAL = 4
"""At most this many optional properties per object: big specs stay small enough to send."""
MAX_MUTATION_DEPTH = 12
MAX_ENTRIES = 50
"""Mutations land in the first entries of the first levels: enough spots, bounded work."""
TOP_LEVEL_SKIPPED = frozenset({"apiVersion", "kind", "metadata"})

MODELS: dict[tuple[str, str], type[BaseModel]] = {
    ("policy.karmada.io", "PropagationPolicy"): PropagationPolicy,
    ("policy.karmada.io", "ClusterPropagationPolicy"): ClusterPropagationPolicy,
    ("policy.karmada.io", "OverridePolicy"): OverridePolicy,
    ("policy.karmada.io", "ClusterOverridePolicy"): ClusterOverridePolicy,
    ("policy.kurator.dev", "DistributionPolicy"): DistributionPolicy,
    ("apps.kurator.dev", "DistributionPolicy"): DistributionPolicy,
    ("policy.kurator.dev", "OverridePolicy"): KuratorOverridePolicy,
    ("apps.kurator.dev", "OverridePolicy"): KuratorOverridePolicy,
    ("fleet.kurator.dev", "Fleet"): Fleet,
    ("cluster.kurator.dev", "AttachedCluster"): AttachedCluster,
    ("cluster.karmada.io", "Cluster"): Cluster,
    ("work.karmada.io", "ResourceBinding"): ResourceBinding,
    ("work.karmada.io", "ClusterResourceBinding"): ClusterResourceBinding,
}

GOOD_NAMES = ("fuzz-a", "fuzz-b", "fuzz-c")
BAD_NAMES = (
    "",
    "UPPER",
    "a" * 300,
    "a/b",
    "..",
    ".",
    "a\x00b",
    "a\nb",
    "\U0001f600",
    "a b",
    "-a",
    "a_b",
    "a%2Fb",
    "../../kube-system/deployments/evil",
)
TYPICAL_STRINGS = (
    "nginx:1.25",
    "app",
    "web",
    "TCP",
    "IfNotPresent",
    "1",
    "100m",
    "1Gi",
    "0.5",
    "Always",
    "RollingUpdate",
    "25%",
    "*/5 * * * *",
    "member1",
    "apps/v1",
    "Deployment",
    "Duplicated",
    "Divided",
)
WEIRD_STRINGS = (
    "",
    "\x00",
    "a\x00b",
    "\n\t\r",
    "\U0001f600" * 20,
    "\u202eevil",
    "../..",
    "a/b",
    "{{ .Values }}",
    "${HOME}",
    "%s%n",
    "\ufeff",
    "\\",
    '"',
    "é" * 1000,
)
YAML_ONLY: tuple[Any, ...] = (
    b"hello",
    {"a", "b"},
    datetime.date(2024, 1, 1),
    datetime.datetime(2024, 1, 1, 12, 0, tzinfo=datetime.UTC),
    {1: "one"},
    {None: "x"},
    {True: "y"},
    {1.5: "z"},
)
"""What YAML has tags for and JSON has not: !!binary, !!set, timestamps, non-string keys."""
LONG_STRING_SIZES = (70_000, 300_000, 1_600_000, 3_300_000)
"""Past a label's 63, an annotation total's 256 KiB, the store's 1.5 MiB and the 3 MiB body."""
WEIRD_INTS = (
    -1,
    0,
    2**31 - 1,
    2**31,
    -(2**31) - 1,
    2**53 + 1,
    2**63 - 1,
    2**63,
    -(2**63) - 1,
    2**64,
    10**30,
    1_000_000_000,
)
WEIRD_FLOATS = (1e308, -0.0, 1.5, 1e-300, math.nan, math.inf, -math.inf)


def nested(depth: int, *, as_list: bool) -> Any:
    value: Any = "leaf"
    for _ in range(depth):
        value = [value] if as_list else {"n": value}
    return value


def weird_values() -> Strategy:
    """A value of the wrong type, size or range for wherever it lands."""
    return st.one_of(
        st.sampled_from(WEIRD_INTS),
        st.sampled_from(WEIRD_FLOATS),
        st.sampled_from(WEIRD_STRINGS),
        st.text(max_size=20),
        st.booleans(),
        st.none(),
        st.just([]),
        st.just({}),
        st.sampled_from((60, 99, 101, 150, 400)).map(lambda depth: nested(depth, as_list=True)),
        st.sampled_from((60, 99, 101, 150)).map(lambda depth: nested(depth, as_list=False)),
        st.just(2000).map(lambda count: list(range(count))),
        st.just(2000).map(lambda count: {f"k{index}": "v" for index in range(count)}),
        st.sampled_from(LONG_STRING_SIZES).map(lambda size: "x" * size),
        st.sampled_from(YAML_ONLY).map(copy.deepcopy),
    )


def json_values(max_leaves: int = 8) -> Strategy:
    return st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=10),
        lambda children: (
            st.lists(children, max_size=3)
            | st.dictionaries(st.text(max_size=6), children, max_size=3)
        ),
        max_leaves=max_leaves,
    )


# ---- metadata ----


def label_maps() -> Strategy:
    keys = st.sampled_from(
        (
            "app",
            "example.com/tier",
            "a" * 64,
            "a" * 300,
            "Bad Key",
            "kubernetes.io/x",
            "/x",
            "a/b/c",
            "",
        )
    )
    values = st.sampled_from(("web", "", "a" * 64, "a" * 70, "bad value", "-x", "ok.1"))
    odd = st.sampled_from(
        (
            ["app", "web"],
            "app=web",
            {"app": 5},
            {"app": None},
            {"app": {"x": 1}},
        )
    )
    many = st.just(20_000).map(lambda count: {f"k{index}": "v" for index in range(count)})
    return st.dictionaries(keys, values, max_size=4) | odd.map(copy.deepcopy) | many


def finalizer_lists() -> Strategy:
    names = st.sampled_from(
        (
            "example.com/cleanup",
            "kubernetes",
            "kurator.dev/backup",
            "karmada.io/binding-controller",
            "foregroundDeletion",
            "orphan",
            "Bad Finalizer",
            "",
            "a" * 400,
            "x/y/z",
        )
    )
    odd = st.sampled_from(("one", [1, 2], {"a": "b"}, [None])).map(copy.deepcopy)
    return st.lists(names, max_size=3) | odd


def metadata(namespaces: tuple[str, ...]) -> Strategy:
    names = st.sampled_from(GOOD_NAMES) | st.sampled_from(BAD_NAMES) | st.text(max_size=12)
    optional = {
        "namespace": st.sampled_from(namespaces) | st.sampled_from(BAD_NAMES),
        "generateName": st.sampled_from(("fuzz-", "", "UP-", "a" * 300, "x/")),
        "labels": label_maps(),
        "annotations": label_maps() | st.just(300_000).map(lambda size: {"big": "x" * size}),
        "finalizers": finalizer_lists(),
        "resourceVersion": st.sampled_from(("", "0", "1", "abc", "-1", "99999999999999999999")),
        "uid": st.sampled_from(("", "not-a-uid", "00000000-0000-0000-0000-000000000000")),
        "generation": st.sampled_from(WEIRD_INTS),
        "creationTimestamp": st.sampled_from(("", "yesterday", "2024-01-01T00:00:00Z", 5)),
        "deletionTimestamp": st.sampled_from(("2024-01-01T00:00:00Z", "soon")),
        "ownerReferences": st.sampled_from(
            (
                [{"apiVersion": "v1", "kind": "Pod", "name": "p", "uid": "u"}],
                [{"name": 5}],
                "owner",
                [{}],
            )
        ).map(copy.deepcopy),
        "managedFields": st.sampled_from(
            ([{"manager": "x", "fieldsV1": {"f:a": 1}}], [1], "x")
        ).map(copy.deepcopy),
    }
    return st.fixed_dictionaries({"name": names}, optional=optional)


# ---- objects from schemas ----


@dataclass(frozen=True)
class SchemaSource:
    """One JSON Schema document: where `$ref`s point and the root to start from."""

    defs: dict[str, Any]
    root: Object
    prefix: str = "#/$defs/"


def _types(node: Object) -> list[str]:
    declared = node.get("type")
    if isinstance(declared, str):
        return [declared]
    if isinstance(declared, list):
        return [name for name in declared if isinstance(name, str)]
    if "properties" in node or "additionalProperties" in node:
        return ["object"]
    if "items" in node:
        return ["array"]
    return []


def _string(node: Object) -> Strategy:
    if node.get("format") == "byte":
        return st.sampled_from(("aGVsbG8=", "", "not base64!"))
    if node.get("format") == "date-time":
        return st.sampled_from(("2024-01-01T00:00:00Z", "not a time"))
    return st.sampled_from(TYPICAL_STRINGS) | st.text(alphabet="abcxyz-.", max_size=8)


def _integer(node: Object) -> Strategy:
    low, high = node.get("minimum"), node.get("maximum")
    if low is None and high is None:
        low, high = -(2**31), 2**31 - 1
    return st.integers(min_value=low, max_value=high) | st.integers(min_value=0, max_value=5)


class SchemaWalk:
    """Strategies for the values a schema describes, cut off at `MAX_DEPTH`."""

    def __init__(self, source: SchemaSource) -> None:
        self.source = source
        self._memo: dict[tuple[str, int], Strategy] = {}

    def for_node(self, node: Any, depth: int) -> Strategy:
        if not isinstance(node, dict):
            return json_values(4)
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(self.source.prefix):
            return self._ref(ref[len(self.source.prefix) :], depth)
        for combinator in ("anyOf", "oneOf", "allOf"):
            options = node.get(combinator)
            if isinstance(options, list) and options:
                return st.one_of([self.for_node(option, depth) for option in options])
        if "const" in node:
            return st.just(node["const"])
        if isinstance(node.get("enum"), list) and node["enum"]:
            return st.sampled_from(node["enum"])
        choices = [self._typed(name, node, depth) for name in _types(node)]
        return st.one_of(choices) if choices else json_values(4)

    def _ref(self, name: str, depth: int) -> Strategy:
        key = (name, depth)
        if key not in self._memo:
            target = self.source.defs.get(name, {})
            self._memo[key] = st.deferred(lambda: self.for_node(target, depth))
        return self._memo[key]

    def _typed(self, name: str, node: Object, depth: int) -> Strategy:
        if name == "string":
            return _string(node)
        if name == "integer":
            return _integer(node)
        if name == "number":
            return st.floats(allow_nan=False, allow_infinity=False, width=32)
        if name == "boolean":
            return st.booleans()
        if name == "null":
            return st.none()
        if name == "array":
            if depth <= 0:
                return st.just([])
            return st.lists(self.for_node(node.get("items", {}), depth - 1), max_size=2)
        if name == "object":
            return self.object(node, depth)
        return json_values(4)

    def object(
        self, node: Object, depth: int, *, skipped: frozenset[str] = frozenset()
    ) -> Strategy:
        properties = {k: v for k, v in (node.get("properties") or {}).items() if k not in skipped}
        required = [k for k in node.get("required") or [] if k in properties]
        optional = sorted(set(properties) - set(required))
        extra = node.get("additionalProperties")
        if depth <= 0:
            optional = []
        if not properties and isinstance(extra, dict):
            if depth <= 0:
                return st.just({})
            return st.dictionaries(
                st.sampled_from(("a", "b", "app", "key.x")),
                self.for_node(extra, depth - 1),
                max_size=2,
            )

        def build(chosen: list[str]) -> Strategy:
            return st.fixed_dictionaries(
                {key: self.for_node(properties[key], depth - 1) for key in [*required, *chosen]}
            )

        if not optional:
            return build([])
        return st.lists(st.sampled_from(optional), max_size=MAX_OPTIONAL, unique=True).flatmap(
            build
        )


@cache
def _kubernetes_source() -> SchemaSource:
    return SchemaSource(defs=definitions(), root={})


@cache
def _model_source(model: type[BaseModel]) -> SchemaSource:
    schema = model.model_json_schema()
    return SchemaSource(defs=schema.get("$defs", {}), root=schema)


@cache
def body_strategy(group: str, version: str, kind: str) -> Strategy:
    """Everything of an object but its apiVersion, kind and metadata, drawn from its schema."""
    definition = definition_of(group, version, kind)
    if definition is not None:
        source = _kubernetes_source()
        node = source.defs[definition]
    elif (model := MODELS.get((group, kind))) is not None:
        source = _model_source(model)
        node = source.root
    else:
        return st.fixed_dictionaries(
            {}, optional={"spec": json_values(), "status": json_values(), "data": json_values()}
        )
    return SchemaWalk(source).object(node, MAX_DEPTH, skipped=TOP_LEVEL_SKIPPED)


# ---- mutations ----


@dataclass(frozen=True)
class Mutation:
    """One change at the `spot`-th place of an object (counted over every container entry)."""

    spot: int
    action: str
    value: Any


def mutations() -> Strategy:
    return st.builds(
        Mutation,
        spot=st.integers(min_value=0, max_value=10_000),
        action=st.sampled_from(("replace", "delete", "unknown_field")),
        value=weird_values(),
    )


def _places(obj: Any) -> list[tuple[Any, Any]]:
    """Every (container, key) down to `MAX_MUTATION_DEPTH`, in document order."""
    found: list[tuple[Any, Any]] = []
    stack: list[tuple[Any, int]] = [(obj, 0)]
    while stack:
        node, depth = stack.pop()
        if depth >= MAX_MUTATION_DEPTH:
            continue
        entries = node.items() if isinstance(node, dict) else enumerate(node)
        for key, child in list(entries)[:MAX_ENTRIES]:
            found.append((node, key))
            if isinstance(child, dict | list):
                stack.append((child, depth + 1))
    return found


def mutate(obj: Object, changes: list[Mutation]) -> Object:
    """Apply each change where its spot falls; `obj` is changed in place and returned."""
    for change in changes:
        places = _places(obj)
        if not places:
            continue
        container, key = places[change.spot % len(places)]
        if change.action == "delete":
            del container[key]
        elif change.action == "unknown_field" and isinstance(container, dict):
            container[f"fuzzUnknown{change.spot}"] = copy.deepcopy(change.value)
        else:
            container[key] = copy.deepcopy(change.value)
    return obj


def clean_objects(*, api_version: str, group: str, kind: str) -> Strategy:
    """A valid object (for kinds with no required fields, or those in VALID_BODIES)."""
    meta = st.fixed_dictionaries(
        {"name": st.sampled_from(GOOD_NAMES)}, optional={"labels": st.just({"app": "web"})}
    )
    body = VALID_BODIES.get((group, kind), {})
    return meta.map(
        lambda drawn: (
            {"apiVersion": api_version, "kind": kind, "metadata": drawn} | copy.deepcopy(body)
        )
    )


def objects(
    *, api_version: str, group: str, version: str, kind: str, namespaces: tuple[str, ...]
) -> Strategy:
    """A whole object of this kind: two in five valid, the rest valid-ish from its schema
    and then mutated zero to three times."""
    base = st.tuples(metadata(namespaces), body_strategy(group, version, kind)).map(
        lambda parts: {"apiVersion": api_version, "kind": kind, "metadata": parts[0], **parts[1]}
    )
    fuzzed = st.tuples(base, st.lists(mutations(), max_size=3)).map(
        lambda drawn: mutate(drawn[0], drawn[1])
    )
    clean = clean_objects(api_version=api_version, group=group, kind=kind)
    return st.sampled_from((clean, clean, fuzzed, fuzzed, fuzzed)).flatmap(
        lambda strategy: strategy
    )
