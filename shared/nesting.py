"""How deep a decoded JSON value nests, found without recursion.

Every recursive walk over user objects (managed fields, patches, merges, encoding) is safe
only up to a bound; the API and the store check that bound here first, iteratively, so
a 500-deep body is refused instead of exhausting the interpreter's stack.
"""

from typing import Any

PathElement = str | int
_Link = tuple[PathElement, object] | None
"""A path as a chain of (element, parent link): built per container in O(1)."""


def too_deep(value: Any, *, max_depth: int) -> list[PathElement] | None:
    """The path of the first container nested deeper than `max_depth` (the outermost
    container is depth 1), or None when the value is within the bound. Shared (or
    cyclic) containers are walked once per reference, so expansion counts too."""
    if not isinstance(value, dict | list):
        return None
    stack: list[tuple[Any, int, _Link]] = [(value, 1, None)]
    while stack:
        node, depth, link = stack.pop()
        if depth > max_depth:
            return _unlink(link)
        items = node.items() if isinstance(node, dict) else enumerate(node)
        for key, child in items:
            if isinstance(child, dict | list):
                stack.append((child, depth + 1, (key, link)))
    return None


def _unlink(link: _Link) -> list[PathElement]:
    path: list[PathElement] = []
    while link is not None:
        element, link = link  # type: ignore[assignment]
        path.append(element)
    return path[::-1]


def render(path: list[PathElement]) -> str:
    """A field path as Kubernetes prints it: `spec.template.containers[0].env`."""
    rendered = ""
    for element in path:
        if isinstance(element, int):
            rendered += f"[{element}]"
        else:
            rendered += f".{element}" if rendered else str(element)
    return rendered
