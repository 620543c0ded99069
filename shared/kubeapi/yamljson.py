"""YAML request bodies turned into JSON values as kube-apiserver turns them (sigs.k8s.io/yaml
over go-yaml v2), with `shared.safeyaml`'s bounds on aliases, size and depth.

PyYAML's safe loader builds Python values JSON has no form for: dates and datetimes,
bytes for `!!binary`, sets for `!!set`, and int, float, bool or null mapping keys. go-yaml
decoding into `interface{}` keeps a timestamp as the text it was written as, gives
`!!binary` as its decoded text and a `!!set` as a mapping of nulls; sigs.k8s.io/yaml then
writes int, float and bool keys as strings and refuses a null key, and Go's JSON encoder
refuses NaN and infinities. Every refusal is a YamlBoundError, answered 400 with
`error converting YAML to JSON: ...`.
"""

import base64
import binascii
import math
from typing import Any

from yaml.nodes import MappingNode, Node, ScalarNode

from shared import safeyaml

INT64_MIN = -(2**63)
UINT64_MAX = 2**64 - 1
"""go-yaml resolves an integer as int64, then uint64, then float64."""


class YamlJsonError(safeyaml.YamlBoundError):
    """A document with no JSON form (a null key, NaN): refused like any unbounded one."""


class KubernetesYamlLoader(safeyaml.BoundedLoader):
    """The bounded safe loader with go-yaml v2's readings of timestamps, !!binary, !!set."""


def _timestamp_text(loader: KubernetesYamlLoader, node: Node) -> str:
    assert isinstance(node, ScalarNode)
    return str(loader.construct_scalar(node))


def _binary_text(loader: KubernetesYamlLoader, node: Node) -> str:
    assert isinstance(node, ScalarNode)
    text = str(loader.construct_scalar(node))
    try:
        decoded = base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError) as error:
        raise YamlJsonError(
            f"yaml: !!binary value contains invalid base64 data: {error}"
        ) from error
    return decoded.decode("utf-8", errors="replace")


def _set_mapping(loader: KubernetesYamlLoader, node: Node) -> dict[Any, Any]:
    assert isinstance(node, MappingNode)
    return loader.construct_mapping(node)


KubernetesYamlLoader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_text)
KubernetesYamlLoader.add_constructor("tag:yaml.org,2002:binary", _binary_text)
KubernetesYamlLoader.add_constructor("tag:yaml.org,2002:set", _set_mapping)


def go_float_key(value: float) -> str:
    """strconv.FormatFloat(v, 'g', -1, 32) as sigs.k8s.io/yaml writes float keys."""
    if math.isnan(value):
        return ".nan"
    if math.isinf(value):
        return ".inf" if value > 0 else "-.inf"
    text = repr(value)
    return text.removesuffix(".0")


def _key(key: Any) -> str:
    if isinstance(key, str):
        return key
    if isinstance(key, bool):
        return "true" if key else "false"
    if isinstance(key, int):
        return str(key)
    if isinstance(key, float):
        return go_float_key(key)
    kind = "%!s(<nil>)" if key is None else type(key).__name__
    raise YamlJsonError(f"unsupported map key of type: {kind}, key: {key!r}")


def _scalar(value: Any) -> Any:
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        name = "NaN" if math.isnan(value) else ("+Inf" if value > 0 else "-Inf")
        raise YamlJsonError(f"json: unsupported value: {name}")
    if isinstance(value, int) and not isinstance(value, bool):
        if not INT64_MIN <= value <= UINT64_MAX:
            return float(value)
    return value


def jsonable(value: Any) -> Any:
    """The JSON value of a loaded document; iterative, so depth costs no stack."""
    root: list[Any] = [None]
    stack: list[tuple[Any, Any, Any]] = [(value, root, 0)]
    while stack:
        node, parent, slot = stack.pop()
        if isinstance(node, dict):
            converted: dict[str, Any] = {}
            parent[slot] = converted
            for key, child in node.items():
                name = _key(key)
                converted[name] = None
                stack.append((child, converted, name))
        elif isinstance(node, list):
            items: list[Any] = [None] * len(node)
            parent[slot] = items
            stack.extend((child, items, index) for index, child in enumerate(node))
        else:
            parent[slot] = _scalar(node)
    return root[0]


def load(raw: bytes, *, limits: safeyaml.YamlLimits) -> Any:
    """One YAML document as the JSON value kube-apiserver would decode it to."""
    loader = KubernetesYamlLoader(raw)
    loader.limits = limits
    try:
        return jsonable(loader.get_single_data())
    finally:
        loader.dispose()
