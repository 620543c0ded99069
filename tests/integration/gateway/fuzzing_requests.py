"""Hypothesis strategies for whole requests to the hub: method, raw path, query, headers, body.

Paths come from what discovery serves (`Surface`): every resource's collection, items,
subresources and watch, inside and outside namespaces, plus odd segments (`..`,
percent-encoding, empty, extra) and paths nothing serves. Bodies are the objects of
`fuzzing_values`, encoded as JSON or YAML (with anchors), patches of each patch type, or
garbage: random bytes, truncated documents, protobuf-looking bytes.
"""

import copy
import json
import urllib.parse
from dataclasses import dataclass
from typing import Any

import yaml
from hypothesis import strategies as st

from tests.integration.gateway.fuzzing_values import (
    BAD_NAMES,
    GOOD_NAMES,
    json_values,
    objects,
    weird_values,
)

Strategy = st.SearchStrategy[Any]

JSON = "application/json"
YAML = "application/yaml"
MERGE_PATCH = "application/merge-patch+json"
STRATEGIC_PATCH = "application/strategic-merge-patch+json"
JSON_PATCH = "application/json-patch+json"
APPLY_PATCH = "application/apply-patch+yaml"
PROTOBUF = "application/vnd.kubernetes.protobuf"
CONTENT_TYPES = (
    JSON,
    YAML,
    MERGE_PATCH,
    STRATEGIC_PATCH,
    JSON_PATCH,
    APPLY_PATCH,
    PROTOBUF,
    "text/plain",
    "",
    "application/json; charset=utf-16",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    "application/*",
    ";;;",
)
ACCEPTS = (
    JSON,
    "*/*",
    YAML,
    PROTOBUF,
    "application/json;as=Table;v=v1;g=meta.k8s.io",
    "application/json;as=Table;v=v1beta1;g=meta.k8s.io, application/json",
    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList",
    "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList",
    "application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io",
    "text/html",
    "garbage;;=",
    "",
)
QUERY_VALUES: dict[str, tuple[str, ...]] = {
    "fieldValidation": ("Strict", "Warn", "Ignore", "bogus", ""),
    "dryRun": ("All", "bogus", ""),
    "labelSelector": (
        "app=web",
        "app in (web,db)",
        "!app",
        "app!=web",
        "app==web,tier",
        "===",
        "app in (",
        "a" * 100 + "=b",
        "a=b=c",
        "é=ü",
        "x notin ()",
        "app,",
        "app=web,app=db",
    ),
    "fieldSelector": (
        "metadata.name=fuzz-a",
        "metadata.namespace!=default",
        "spec.nodeName=node-1",
        "status.phase==Running",
        "bogus=1",
        "=",
        ",,",
        "metadata.name",
        "metadata.name=a,metadata.name=b",
        "involvedObject.name=x",
    ),
    "limit": ("0", "1", "2", "-1", "500", "abc", "1e3", str(2**63), ""),
    "continue": (
        "",
        "garbage",
        "eyJydiI6MX0=",
        "eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6MSwic3RhcnQiOiJ4In0",
        "%%%",
        "bm90IGpzb24=",
        "W10=",
        "eyJydiI6ImEifQ==",
    ),
    "resourceVersion": ("", "0", "1", "-1", "abc", "99999999999999999999", "1.5"),
    "resourceVersionMatch": ("NotOlderThan", "Exact", "bogus", ""),
    "watch": ("true", "1", "false", "yes"),
    "timeoutSeconds": ("0", "1", "-5", "nan", "inf", "abc", "1e309", "99999999999"),
    "allowWatchBookmarks": ("true", "false"),
    "sendInitialEvents": ("true", "false"),
    "fieldManager": ("", "a" * 200, "fuzzer", "é"),
    "force": ("true", "false", "bogus"),
    "propagationPolicy": ("Background", "Foreground", "Orphan", "bogus"),
    "gracePeriodSeconds": ("0", "-1", "abc", "30"),
    "pretty": ("true", "1"),
    "includeObject": ("None", "Object", "Metadata", "bogus"),
    "orphanDependents": ("true", "false"),
    "": ("x",),
    "%00": ("%00",),
}
ODD_SEGMENTS = (
    "..",
    ".",
    "%2e%2e",
    "%2F",
    "a%2Fb",
    "a%00b",
    "%ff",
    "%",
    "%zz",
    "~",
    "a;b=c",
    "%20",
    "%0A",
    "%F0%9F%98%80",
    "",
    "a" * 300,
)
SUBRESOURCES = ("status", "scale", "finalize", "log", "exec", "proxy", "binding", "eviction")
ODD_PATHS = (
    "/",
    "//api//v1",
    "/api/v1/namespaces//configmaps",
    "/api/v1/../v1/namespaces",
    "/api/v1/namespaces/default/configmaps/",
    "/apis/",
    "/apis/apps",
    "/apis/nonexistent.io/v1/things",
    "/apis/apps/v2/deployments",
    "/openapi/v2",
    "/openapi/v3",
    "/openapi/v3/apis/apps/v1",
    "/openapi/v3/api/v1",
    "/openapi/v3/apis/nope/v1",
    "/metrics",
    "/version",
    "/healthz",
    "/livez",
    "/readyz",
    "/healthz/poststarthook/x",
    "/.well-known/openid-configuration",
    "/logs",
    "/api/v1/proxy/x",
    "/apis/metrics.k8s.io/v1beta1/nodes",
    "/apis/custom.metrics.k8s.io/v1beta2",
    "/api/v1/namespaces/default/pods/p/log",
    "/apis/apps/v1/namespaces/default/deployments/fuzz-a/scale/extra/more",
    "/%2e%2e/%2e%2e/etc/passwd",
    "/api/v1/namespaces/%2e%2e/configmaps",
    "/api/v1/namespaces/default/configmaps/%2e%2e%2fkube-system",
    "/api?watch=true",
)
METHODS = ("GET", "GET", "GET", "POST", "POST", "PUT", "PATCH", "PATCH", "DELETE", "HEAD")
ODD_METHODS = ("OPTIONS", "TRACE", "PROPFIND", "CONNECT", "get", "BREW")
LAUGHS = "\n".join(
    ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    + [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)]
)
ANCHORED_YAML = (
    LAUGHS,
    "a: &a [*a]",
    "base: &b {app: web}\nmetadata:\n  name: fuzz-a\n  labels:\n    <<: *b",
    "metadata: &m\n  name: fuzz-a\n  annotations: *m",
    "? [a, b]\n: c",
    "1: one\n2: two",
    "null: x\ntrue: y",
    "date: 2024-01-01\nwhen: 2001-12-14t21:59:43.10-05:00",
    "data: !!binary aGVsbG8=",
    "items: !!set {a, b}",
    "x: !!python/object:os.system ls",
    "metadata: {name: fuzz-a}\n---\nmetadata: {name: fuzz-b}",
    "x: .nan\ny: .inf\nz: -.inf",
    "x: 0x1F\ny: 0o17\nz: 1_000\nw: 1e999",
    "\t- tab",
    "- list\n- at\n- top",
    "%YAML 1.1\n---\na: b",
    "a: 'unterminated",
)


@dataclass(frozen=True)
class Resource:
    """One served resource, as discovery lists it."""

    group: str
    version: str
    plural: str
    kind: str
    namespaced: bool
    subresources: tuple[str, ...]

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def prefix(self) -> str:
        return f"/apis/{self.group}/{self.version}" if self.group else "/api/v1"


@dataclass(frozen=True)
class Surface:
    """What the hub serves and where the fuzzer's objects live."""

    resources: tuple[Resource, ...]
    namespaces: tuple[str, ...]


@dataclass(frozen=True)
class FuzzRequest:
    method: str
    path: str
    headers: tuple[tuple[str, str], ...]
    body: bytes | None

    @property
    def watching(self) -> bool:
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
        return any(value in ("true", "1") for value in query.get("watch", []))

    def describe(self) -> str:
        body = "" if self.body is None else f" body[{len(self.body)}]={self.body[:300]!r}"
        headers = {k: v for k, v in self.headers if k != "Authorization"}
        return f"{self.method} {self.path[:300]} {headers}{body}"


def segment(name: str) -> str:
    """A name as one path segment: percent-encoded so anything can travel."""
    return urllib.parse.quote(name, safe="")


def weighted(*choices: tuple[Any, int]) -> Strategy:
    """One of the values, each as often as its weight says (hypothesis has no weights)."""
    return st.sampled_from([value for value, weight in choices for _ in range(weight)])


def mixed(*choices: tuple[Strategy, int]) -> Strategy:
    """A draw from one of the strategies, each picked as often as its weight says."""
    return weighted(*choices).flatmap(lambda strategy: strategy)


def names() -> Strategy:
    return mixed(
        (st.sampled_from(GOOD_NAMES).map(segment), 6),
        (st.sampled_from(BAD_NAMES).map(segment), 1),
        (st.sampled_from(ODD_SEGMENTS), 1),
        (st.text(max_size=10).map(segment), 1),
    )


def namespace_segments(surface: Surface) -> Strategy:
    odd = ("default", "missing-ns", "UPPER", "..", "%2e%2e", "", "kube-system", "a%2Fb")
    return mixed((st.sampled_from(surface.namespaces), 4), (st.sampled_from(odd), 1))


SHAPES = {
    "POST": (("collection", 6), ("item", 1), ("sub", 1), ("extra", 1)),
    "PUT": (("item", 4), ("sub", 3), ("collection", 1), ("extra", 1)),
    "PATCH": (("item", 4), ("sub", 3), ("collection", 1), ("extra", 1)),
    "DELETE": (("item", 4), ("collection", 2), ("sub", 1), ("extra", 1)),
}
"""Where each method mostly goes, so most requests reach the handlers behind routing."""
DEFAULT_SHAPES = (("collection", 3), ("item", 3), ("sub", 2), ("extra", 1))


@st.composite
def resource_paths(draw: st.DrawFn, surface: Surface, resource: Resource, method: str) -> str:
    if resource.namespaced:
        in_namespace = draw(weighted((True, 5), (False, 1)))
    else:
        in_namespace = draw(weighted((False, 9), (True, 1)))
    path = resource.prefix
    if in_namespace:
        path += f"/namespaces/{draw(namespace_segments(surface))}"
    path += f"/{resource.plural}"
    shape = draw(weighted(*SHAPES.get(method, DEFAULT_SHAPES)))
    if shape == "collection":
        return path + draw(weighted(("", 5), ("/", 1)))
    path += f"/{draw(names())}"
    if shape == "sub":
        path += f"/{draw(st.sampled_from(resource.subresources or SUBRESOURCES))}"
    elif shape == "extra":
        path += f"/{draw(st.sampled_from(SUBRESOURCES))}/{draw(names())}"
    return path


@st.composite
def queries(draw: st.DrawFn) -> str:
    keys = draw(st.lists(st.sampled_from(sorted(QUERY_VALUES)), max_size=4))
    pairs = [(key, draw(st.sampled_from(QUERY_VALUES[key]))) for key in keys]
    if not pairs:
        return ""
    return "?" + urllib.parse.urlencode(pairs, quote_via=urllib.parse.quote)


def dump_json(value: Any) -> bytes:
    """JSON as Python writes it: NaN/Infinity literals and ints of any size go out as is;
    what JSON has no form for (bytes, sets, dates, from `weird_values`) as strings."""
    return json.dumps(value, allow_nan=True, default=str).encode()


def dump_yaml(value: Any) -> bytes:
    """YAML, where bytes, sets, dates and non-string keys keep their YAML tags."""
    return yaml.safe_dump(value, allow_unicode=True).encode()


def encoded(value: Any, *, as_yaml: bool) -> bytes:
    return dump_yaml(value) if as_yaml else dump_json(value)


def json_patches() -> Strategy:
    operation = st.fixed_dictionaries(
        {
            "op": st.sampled_from(("add", "remove", "replace", "move", "copy", "test", "bogus")),
            "path": st.sampled_from(
                (
                    "/metadata/labels/app",
                    "/metadata/labels/a~1b",
                    "/spec/replicas",
                    "/data/x",
                    "",
                    "/",
                    "/metadata/finalizers/-",
                    "/spec/template/spec/containers/0/image",
                    "/items/99999999999",
                    "/metadata/name",
                    "/metadata/namespace",
                    "/apiVersion",
                    "/kind",
                    "no-slash",
                    "/a/~2",
                )
            ),
        },
        optional={
            "value": weird_values() | json_values(),
            "from": st.sampled_from(("/metadata/labels", "/spec", "/nope", "")),
        },
    )
    return st.lists(operation, max_size=4) | json_values()


def merge_patches() -> Strategy:
    fixed = st.sampled_from(
        (
            {"metadata": {"labels": {"app": None}}},
            {"metadata": {"labels": None}},
            {"metadata": None},
            {"metadata": {"name": "renamed"}},
            {"metadata": {"finalizers": ["example.com/x"]}},
            {"$patch": "delete"},
            {"$patch": "replace", "spec": {}},
            {"$retainKeys": ["spec"], "spec": {}},
            {"spec": {"template": {"spec": {"containers": [{"name": "x", "$patch": "delete"}]}}}},
            {"spec": {"$setElementOrder/containers": [{"name": "c"}]}},
            {"spec": {"$deleteFromPrimitiveList/finalizers": ["x"]}},
            {"spec": {"replicas": "three"}},
            {"status": {"replicas": 3}},
            {"apiVersion": "v2"},
            {"kind": "Other"},
        )
    ).map(copy.deepcopy)
    keys = st.sampled_from(("spec", "data", "metadata", "x"))
    return fixed | st.dictionaries(keys, weird_values())


def garbage() -> Strategy:
    return st.one_of(
        st.binary(max_size=64),
        st.sampled_from(
            (
                b"null",
                b"[]",
                b"1",
                b'"text"',
                b"{}",
                b"\xef\xbb\xbf{}",
                b'{"a": 1',
                b'{"a": NaN}',
                b'{"a": "\\ud800"}',
                b'{"a": 1, "a": 2}',
                b"\x00\x00\x00",
                '{"kind": "ConfigMap"}'.encode("utf-16"),
                b"k8s\x00",
                b"k8s\x00\n\x00\x12\x00\x1a\x00",
                b"k8s\x00" + bytes(range(256)),
            )
        ),
        st.binary(max_size=64).map(lambda tail: b"k8s\x00" + tail),
        st.sampled_from(ANCHORED_YAML).map(str.encode),
    )


@st.composite
def bodies(draw: st.DrawFn, surface: Surface, resource: Resource, content_type: str) -> bytes:
    shape = draw(st.sampled_from(("object", "object", "object", "patch", "garbage", "truncated")))
    if shape == "garbage":
        return draw(garbage())
    if shape == "patch":
        value = draw(json_patches() if content_type == JSON_PATCH else merge_patches())
    else:
        value = draw(
            objects(
                api_version=resource.api_version,
                group=resource.group,
                version=resource.version,
                kind=resource.kind,
                namespaces=surface.namespaces,
            )
        )
    as_yaml = "yaml" in content_type and draw(st.booleans())
    raw = encoded(value, as_yaml=as_yaml)
    if shape == "truncated":
        return raw[: draw(st.integers(0, max(len(raw) - 1, 0)))]
    if as_yaml and draw(weighted((False, 4), (True, 1))):
        return raw + b"\n" + draw(st.sampled_from(ANCHORED_YAML)).encode()
    return raw


@st.composite
def common_headers(draw: st.DrawFn, token: str) -> list[tuple[str, str]]:
    """Accept, mostly JSON, and the admin's token, now and then a wrong one or none."""
    headers = [("Accept", draw(mixed((st.just(JSON), 6), (st.sampled_from(ACCEPTS), 2))))]
    auth = draw(weighted(("admin", 18), ("none", 1), ("bad", 1)))
    if auth == "admin":
        headers.append(("Authorization", f"Bearer {token}"))
    elif auth == "bad":
        headers.append(("Authorization", draw(st.sampled_from(("Bearer nope", "Basic eDp5", "")))))
    return headers


PATCH_TYPES = (MERGE_PATCH, STRATEGIC_PATCH, JSON_PATCH, APPLY_PATCH)
CONTENT_TYPE_CHOICES = {
    "PATCH": ((st.sampled_from(PATCH_TYPES), 6), (st.sampled_from(CONTENT_TYPES), 1)),
    "POST": ((st.just(JSON), 4), (st.just(YAML), 2), (st.sampled_from(CONTENT_TYPES), 2)),
    "PUT": ((st.just(JSON), 4), (st.just(YAML), 2), (st.sampled_from(CONTENT_TYPES), 2)),
}
DEFAULT_CONTENT_TYPES = ((st.sampled_from(CONTENT_TYPES), 1),)


@st.composite
def random_requests(draw: st.DrawFn, surface: Surface, token: str) -> FuzzRequest:
    """Anything at all: any method on any path shape, any content type and body."""
    resource = draw(st.sampled_from(surface.resources))
    method = draw(mixed((st.sampled_from(METHODS), 12), (st.sampled_from(ODD_METHODS), 1)))
    path_kind = draw(weighted(("resource", 16), ("discovery", 2), ("odd", 2)))
    if path_kind == "odd":
        path = draw(st.sampled_from(ODD_PATHS))
    elif path_kind == "discovery":
        path = draw(
            st.sampled_from(
                ("/api", "/apis", "/api/v1", resource.prefix, f"/apis/{resource.group}")
            )
        )
    else:
        path = draw(resource_paths(surface, resource, method))
    path += draw(queries())
    headers = draw(common_headers(token))
    body = None
    if method in ("POST", "PUT", "PATCH") or draw(weighted((False, 9), (True, 1))):
        choices = CONTENT_TYPE_CHOICES.get(method, DEFAULT_CONTENT_TYPES)
        content_type = draw(mixed(*choices))
        body = draw(bodies(surface, resource, content_type))
        headers.append(("Content-Type", content_type))
    return FuzzRequest(method=method, path=path, headers=tuple(headers), body=body)
