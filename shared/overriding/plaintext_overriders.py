"""RFC 6902 patches as Karmada's patcher (evanphx/json-patch) applies them: every overrider
family ends in these patches, and a plaintext overrider is exactly one of them."""

import copy
import re
from collections.abc import Sequence
from typing import Any

import jsonpatch
import jsonpointer

from shared.api.overrides import PlaintextOverrider
from shared.overriding.errors import OverrideError

Patch = dict[str, Any]


def escape_token(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def _unescape_token(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


_NEGATIVE_INDEX_RE = re.compile(r"-[0-9]+")


def _resolve_negative_indices(doc: Any, path: str, operation: str) -> str:
    """evanphx/json-patch (Karmada's patcher) counts negative array indices from the end;
    rewrite them to absolute indices so the RFC 6902 library agrees."""
    if not path.startswith("/"):
        return path
    tokens = [_unescape_token(token) for token in path.split("/")[1:]]
    current = doc
    for position, token in enumerate(tokens):
        last = position == len(tokens) - 1
        if isinstance(current, list) and _NEGATIVE_INDEX_RE.fullmatch(token):
            size = len(current) + 1 if last and operation == "add" else len(current)
            value = int(token)
            if value == 0 or value >= -size:
                tokens[position] = str(size + value if value < 0 else value)
        if last:
            break
        if isinstance(current, dict) and tokens[position] in current:
            current = current[tokens[position]]
        elif isinstance(current, list) and tokens[position].isdigit():
            index = int(tokens[position])
            if index >= len(current):
                break
            current = current[index]
        else:
            break
    return "/" + "/".join(escape_token(token) for token in tokens)


def short_reason(error: Exception) -> str:
    """The library's message without the document dump some of its errors carry."""
    return re.sub(r" in [{\[<].*$", "", str(error), flags=re.S) or type(error).__name__


def apply_patches(doc: Any, patches: Sequence[Patch]) -> Any:
    """Apply RFC 6902 operations one by one, in place where possible; returns the document
    (a new one only when a patch replaces the root). Values are copied so a policy's
    value is never shared between rendered manifests."""
    for patch in patches:
        operation = str(patch.get("op", ""))
        path = str(patch.get("path", ""))
        if (
            operation == "replace"
            and path == ""
            and not isinstance(patch.get("value"), dict | list)
        ):
            raise OverrideError("replace operation value must be object or array", path=path)
        resolved: Patch = {"op": operation, "path": _resolve_negative_indices(doc, path, operation)}
        if operation != "remove":
            resolved["value"] = copy.deepcopy(patch.get("value"))
        try:
            doc = jsonpatch.apply_patch(doc, [resolved], in_place=True)
        except (
            jsonpatch.JsonPatchException,
            jsonpointer.JsonPointerException,
            TypeError,
            KeyError,
            IndexError,
        ) as error:
            raise OverrideError(
                f"{operation} operation does not apply: {short_reason(error)}", path=path
            ) from error
    return doc


def plaintext_patch(plaintext: PlaintextOverrider) -> Patch:
    patch: Patch = {"op": plaintext.operator, "path": plaintext.path}
    if plaintext.operator != "remove":
        patch["value"] = plaintext.value
    return patch
