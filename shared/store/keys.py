"""Object keys in the backend: `o.<plural.group>.<namespace>.<name>`, each token escaped.

JetStream KV keys are NATS subject tokens, so `.` and `:` in names must be escaped; the same
keys are used by the memory backend so both honour the same wildcard filters.
"""

import re

from shared.api.resources import ResourceType

OBJECT_PREFIX = "o"
CLUSTER_SCOPE = "_"
_UNSAFE = re.compile(r"[^A-Za-z0-9-]")


def escape_token(text: str) -> str:
    return _UNSAFE.sub(lambda match: f"_{ord(match.group()):02X}", text) or "_"


def unescape_token(token: str) -> str:
    out: list[str] = []
    index = 0
    while index < len(token):
        if token[index] == "_" and index + 3 <= len(token):
            out.append(chr(int(token[index + 1 : index + 3], 16)))
            index += 3
        else:
            out.append(token[index])
            index += 1
    return "".join(out)


def resource_token(resource: ResourceType) -> str:
    return escape_token(resource.group_resource)


def object_key(resource: ResourceType, namespace: str | None, name: str) -> str:
    scope = escape_token(namespace) if resource.namespaced and namespace else CLUSTER_SCOPE
    return f"{OBJECT_PREFIX}.{resource_token(resource)}.{scope}.{escape_token(name)}"


def collection_filter(resource: ResourceType, namespace: str | None = None) -> str:
    """A NATS wildcard filter selecting one collection, optionally one namespace of it."""
    if resource.namespaced and namespace:
        return f"{OBJECT_PREFIX}.{resource_token(resource)}.{escape_token(namespace)}.*"
    return f"{OBJECT_PREFIX}.{resource_token(resource)}.>"


def filter_matches(pattern: str, key: str) -> bool:
    """NATS subject matching: `*` is one token, `>` the rest (one or more tokens)."""
    pattern_tokens = pattern.split(".")
    key_tokens = key.split(".")
    for index, token in enumerate(pattern_tokens):
        if token == ">":
            return len(key_tokens) > index
        if index >= len(key_tokens):
            return False
        if token != "*" and token != key_tokens[index]:
            return False
    return len(key_tokens) == len(pattern_tokens)
