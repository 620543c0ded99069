"""YAML loading with alias expansion, decoded size and nesting bounded.

PyYAML builds an aliased node once and shares it, so a 400-byte "billion laughs" document
loads small and only explodes later, when the object is walked or encoded. Kubernetes
(sigs.k8s.io/yaml over go-yaml) refuses such documents while decoding; this loader does
the same before constructing anything: it walks the composed node graph the way go-yaml
decodes it (each alias expanded), counts decodes and alias-driven decodes, and stops with
go-yaml's own words, `yaml: document contains excessive aliasing`, by go-yaml's ratio
rule. The same walk bounds the decoded scalar bytes and the nesting depth.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import yaml
from yaml.nodes import CollectionNode, MappingNode, Node, ScalarNode, SequenceNode

_BASE_LOADER: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

EXCESSIVE_ALIASING = "yaml: document contains excessive aliasing"

_RATIO_RANGE_LOW = 400_000
_RATIO_RANGE_HIGH = 4_000_000
"""go-yaml's `alias_ratio_range_low/high`: between them the allowed share of alias-driven
decodes falls from 99% to 10%."""


class YamlBoundError(yaml.YAMLError):
    """A document refused for its shape (aliasing, decoded size, depth), not its syntax."""


@dataclass(frozen=True)
class YamlLimits:
    """How much a document may decode to; defaults fit a Kubernetes request body."""

    max_decoded_bytes: int = 3 * 1024 * 1024
    max_depth: int = 100


def allowed_alias_ratio(decodes: int) -> float:
    """go-yaml's `allowedAliasRatio`: 99% for small documents, 10% for very large ones."""
    if decodes <= _RATIO_RANGE_LOW:
        return 0.99
    if decodes >= _RATIO_RANGE_HIGH:
        return 0.10
    span = _RATIO_RANGE_HIGH - _RATIO_RANGE_LOW
    return 0.99 - 0.89 * ((decodes - _RATIO_RANGE_LOW) / span)


def check_node(root: Node, limits: YamlLimits) -> None:
    """Walk `root` as a decoder would, expanding aliases; YamlBoundError past a bound.

    A node met a second time is an alias: it and everything under it count as alias
    decodes, as go-yaml's `aliasDepth` does. A recursive anchor never ends its expansion
    and so trips the ratio or the depth bound like any other blow-up."""
    seen: set[int] = set()
    decodes = aliased = decoded_bytes = 0
    stack: list[tuple[Node, int, bool]] = [(root, 1, False)]
    while stack:
        node, depth, in_alias = stack.pop()
        if id(node) in seen:
            in_alias = True
        else:
            seen.add(id(node))
        decodes += 1
        aliased += in_alias
        if aliased > 100 and decodes > 1000 and aliased / decodes > allowed_alias_ratio(decodes):
            raise YamlBoundError(EXCESSIVE_ALIASING)
        if isinstance(node, ScalarNode):
            decoded_bytes += len(node.value)
            if decoded_bytes > limits.max_decoded_bytes:
                raise YamlBoundError(
                    f"yaml: document decodes to more than {limits.max_decoded_bytes} bytes"
                )
            continue
        if not isinstance(node, CollectionNode):
            continue
        if depth > limits.max_depth:
            raise YamlBoundError(f"yaml: exceeded max depth of {limits.max_depth}")
        children: list[Node] = []
        if isinstance(node, MappingNode):
            for key, value in node.value:
                children += (key, value)
        elif isinstance(node, SequenceNode):
            children = list(node.value)
        stack.extend((child, depth + 1, in_alias) for child in reversed(children))


class BoundedLoader(_BASE_LOADER):  # type: ignore[misc, valid-type]
    """The safe loader (libyaml's when present) that checks each document's node graph
    before constructing it."""

    limits = YamlLimits()

    def get_single_data(self) -> Any:
        node = self.get_single_node()
        if node is None:
            return None
        check_node(node, self.limits)
        return self.construct_document(node)


def _loader(text: str | bytes, limits: YamlLimits) -> BoundedLoader:
    loader = BoundedLoader(text)
    loader.limits = limits
    return loader


def load(text: str | bytes, *, limits: YamlLimits | None = None) -> Any:
    """One document, like `yaml.safe_load`, with the bounds of `limits`."""
    loader = _loader(text, limits or YamlLimits())
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def load_all(text: str | bytes, *, limits: YamlLimits | None = None) -> Iterator[Any]:
    """Every document, like `yaml.safe_load_all`; the bounds apply to each."""
    bounds = limits or YamlLimits()
    loader = _loader(text, bounds)
    try:
        while loader.check_node():
            node = loader.get_node()
            check_node(node, bounds)
            yield loader.construct_document(node)
    finally:
        loader.dispose()
