"""Requests aimed at each handler: most fuzzed requests are one API operation done wrong.

A request drawn at random from every method, path and body mostly ends in routing (404,
405, 415); these strategies instead pick an operation the hub serves (create, replace, the
four patch types, delete with options, delete-collection, reads and watches, the status,
scale and finalize subresources) on a path that reaches its handler, and fuzz what that
handler reads. `requests` mixes them with wholly random requests.
"""

from typing import Any

from hypothesis import strategies as st

from tests.integration.gateway.fuzzing_requests import (
    APPLY_PATCH,
    JSON,
    JSON_PATCH,
    MERGE_PATCH,
    PATCH_TYPES,
    STRATEGIC_PATCH,
    YAML,
    FuzzRequest,
    Resource,
    Surface,
    bodies,
    common_headers,
    encoded,
    garbage,
    json_patches,
    merge_patches,
    mixed,
    queries,
    random_requests,
    segment,
    weighted,
)
from tests.integration.gateway.fuzzing_values import GOOD_NAMES, mutate, mutations, weird_values

Strategy = st.SearchStrategy[Any]


@st.composite
def collection_path(draw: st.DrawFn, surface: Surface, resource: Resource) -> str:
    if not resource.namespaced:
        return f"{resource.prefix}/{resource.plural}"
    namespace = draw(st.sampled_from(surface.namespaces))
    return f"{resource.prefix}/namespaces/{namespace}/{resource.plural}"


@st.composite
def item_path(draw: st.DrawFn, surface: Surface, resource: Resource) -> str:
    name = segment(draw(st.sampled_from(GOOD_NAMES)))
    return f"{draw(collection_path(surface, resource))}/{name}"


def delete_options() -> Strategy:
    """A DeleteOptions body: garbage, the wrong JSON type, or options with odd values."""
    odd = weird_values()
    options = st.fixed_dictionaries(
        {},
        optional={
            "apiVersion": st.sampled_from(("v1", "meta.k8s.io/v1", "bogus/v9")),
            "kind": st.sampled_from(("DeleteOptions", "Pod")),
            "dryRun": st.sampled_from((["All"], ["bogus"], [])) | odd,
            "propagationPolicy": st.sampled_from(("Background", "Foreground", "bogus")) | odd,
            "gracePeriodSeconds": st.sampled_from((0, 30, -1)) | odd,
            "orphanDependents": st.booleans() | odd,
            "preconditions": st.fixed_dictionaries(
                {}, optional={"uid": odd, "resourceVersion": st.sampled_from(("1", "x")) | odd}
            )
            | odd,
        },
    )
    return mixed((options.map(lambda value: encoded(value, as_yaml=False)), 3), (garbage(), 1))


def scale_bodies() -> Strategy:
    """An autoscaling/v1 Scale, then mutated."""
    scale = st.builds(
        lambda name, replicas: {
            "apiVersion": "autoscaling/v1",
            "kind": "Scale",
            "metadata": {"name": name},
            "spec": {"replicas": replicas},
        },
        st.sampled_from(GOOD_NAMES),
        st.integers(min_value=0, max_value=5),
    )
    changed = st.tuples(scale, st.lists(mutations(), max_size=2)).map(
        lambda drawn: mutate(drawn[0], drawn[1])
    )
    return changed.map(lambda value: encoded(value, as_yaml=False))


@st.composite
def writes(draw: st.DrawFn, surface: Surface, resource: Resource) -> tuple[str, str, str, bytes]:
    """(method, path, content type, body) of a create, replace or patch."""
    operation = draw(weighted(("create", 4), ("replace", 2), ("patch", 4)))
    if operation == "create":
        path = draw(collection_path(surface, resource))
        method, content_type = "POST", draw(weighted((JSON, 3), (YAML, 2)))
    elif operation == "replace":
        path = draw(item_path(surface, resource))
        method, content_type = "PUT", draw(weighted((JSON, 3), (YAML, 2)))
    else:
        path = draw(item_path(surface, resource))
        method, content_type = "PATCH", draw(st.sampled_from(PATCH_TYPES))
    return method, path, content_type, draw(bodies(surface, resource, content_type))


def patch_body(content_type: str) -> Strategy:
    if content_type == JSON_PATCH:
        return json_patches().map(lambda value: encoded(value, as_yaml=False))
    return merge_patches().map(lambda value: encoded(value, as_yaml=content_type == APPLY_PATCH))


@st.composite
def subresource_calls(
    draw: st.DrawFn, surface: Surface, resource: Resource
) -> tuple[str, str, str | None, bytes | None]:
    """GET, PUT or PATCH on status/scale, or PUT on a namespace's finalize."""
    subresource = draw(st.sampled_from((*resource.subresources, "status", "scale", "finalize")))
    path = f"{draw(item_path(surface, resource))}/{subresource}"
    method = draw(weighted(("GET", 1), ("PUT", 2), ("PATCH", 2)))
    if method == "GET":
        return method, path, None, None
    if method == "PATCH":
        content_type = draw(st.sampled_from((MERGE_PATCH, STRATEGIC_PATCH, JSON_PATCH)))
        return method, path, content_type, draw(patch_body(content_type))
    body = scale_bodies() if subresource == "scale" else bodies(surface, resource, JSON)
    return method, path, JSON, draw(body)


@st.composite
def operations(draw: st.DrawFn, surface: Surface, token: str) -> FuzzRequest:
    resource = draw(st.sampled_from(surface.resources))
    headers = draw(common_headers(token))
    body: bytes | None = None
    content_type: str | None = None
    operation = draw(weighted(("write", 5), ("delete", 2), ("read", 3), ("subresource", 3)))
    if operation == "write":
        method, path, content_type, body = draw(writes(surface, resource))
        path += draw(queries())
    elif operation == "delete":
        many = draw(weighted((False, 3), (True, 1)))
        path = draw(collection_path(surface, resource) if many else item_path(surface, resource))
        method, path = "DELETE", path + draw(queries())
        if draw(st.booleans()):
            content_type, body = JSON, draw(delete_options())
    elif operation == "read":
        single = draw(st.booleans())
        path = draw(item_path(surface, resource) if single else collection_path(surface, resource))
        method, path = "GET", path + draw(queries())
    else:
        method, path, content_type, body = draw(subresource_calls(surface, resource))
        path += draw(queries())
    if content_type is not None:
        headers.append(("Content-Type", content_type))
    return FuzzRequest(method=method, path=path, headers=tuple(headers), body=body)


def requests(surface: Surface, token: str) -> Strategy:
    """Three in four requests aimed at a handler, one in four anything at all."""
    return mixed((operations(surface, token), 3), (random_requests(surface, token), 1))
