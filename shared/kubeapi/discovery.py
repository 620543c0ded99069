"""Discovery documents: /version, /api, /apis, per-group-version resource lists, aggregated v2,
and a minimal OpenAPI v3 that tells kubectl which patch types and query parameters each kind
takes (so kubectl relies on server-side field validation instead of client-side schemas).

Every URL emitted here is prefixed with the mount path of the app (simulated clusters live
under `/clusters/<name>`).
"""

import hashlib
from typing import Any

import orjson

from shared.api.kind_table import Kind
from shared.kubeapi.registry import Registry

Object = dict[str, Any]

AGGREGATED_V2 = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
AGGREGATED_V2BETA1 = "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList"
ITEM_VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]
SUBRESOURCE_VERBS = ["get", "patch", "update"]


def version_info(*, git_version: str) -> Object:
    major, minor = git_version.lstrip("v").split(".")[:2]
    return {
        "major": major,
        "minor": minor,
        "gitVersion": git_version,
        "gitCommit": "navarch",
        "gitTreeState": "clean",
        "buildDate": "2025-01-01T00:00:00Z",
        "goVersion": "go1.24",
        "compiler": "gc",
        "platform": "linux/amd64",
    }


def wants_aggregated(accept: str) -> str | None:
    """The aggregated-discovery media type the client prefers, if it asked for one we speak."""
    for part in accept.split(","):
        media = part.replace(" ", "")
        if "as=APIGroupDiscoveryList" in media and "g=apidiscovery.k8s.io" in media:
            if ";v=v2;" in media + ";" or media.endswith(";v=v2"):
                return AGGREGATED_V2
            if "v=v2beta1" in media:
                return AGGREGATED_V2BETA1
    return None


def api_versions(*, server_address: str) -> Object:
    return {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [
            {"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}
        ],
    }


def _group_entry(group: str, versions: list[str]) -> Object:
    listed = [{"groupVersion": f"{group}/{v}", "version": v} for v in versions]
    return {"name": group, "versions": listed, "preferredVersion": listed[0]}


def api_group_list(registry: Registry) -> Object:
    groups = [_group_entry(g, v) for g, v in registry.groups().items() if g]
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}


def api_group(registry: Registry, group: str) -> Object | None:
    versions = registry.groups().get(group)
    if not group or not versions:
        return None
    return {"kind": "APIGroup", "apiVersion": "v1", **_group_entry(group, versions)}


def _subresources(kind: Kind) -> list[tuple[str, Object, list[str]]]:
    """(name, response kind, verbs) of each subresource a kind serves."""
    own = {"group": kind.group, "version": kind.version, "kind": kind.kind}
    out = []
    if kind.resource.status_subresource:
        out.append(("status", own, SUBRESOURCE_VERBS))
    if kind.scale is not None:
        scale = {"group": "autoscaling", "version": "v1", "kind": "Scale"}
        out.append(("scale", scale, SUBRESOURCE_VERBS))
    for name in kind.extra_subresources:
        out.append((name, own, ["update"]))
    return out


def _storage_hash(kind: Kind) -> str:
    digest = hashlib.sha256(f"{kind.group}/{kind.version}/{kind.plural}".encode()).digest()
    return digest[:8].hex()


def api_resource_list(registry: Registry, group: str, version: str) -> Object | None:
    kinds = registry.in_group_version(group, version)
    if not kinds:
        return None
    resources: list[Object] = []
    for kind in kinds:
        entry: Object = {
            "name": kind.plural,
            "singularName": kind.resource.singular or kind.kind.lower(),
            "namespaced": kind.namespaced,
            "kind": kind.kind,
            "verbs": ITEM_VERBS,
            "storageVersionHash": _storage_hash(kind),
        }
        if kind.resource.short_names:
            entry["shortNames"] = list(kind.resource.short_names)
        if kind.categories:
            entry["categories"] = list(kind.categories)
        resources.append(entry)
        for name, response, verbs in _subresources(kind):
            sub: Object = {
                "name": f"{kind.plural}/{name}",
                "singularName": "",
                "namespaced": kind.namespaced,
                "kind": response["kind"],
                "verbs": verbs,
            }
            if response["group"] != kind.group:
                sub["group"] = response["group"]
                sub["version"] = response["version"]
            resources.append(sub)
    group_version = f"{group}/{version}" if group else version
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": group_version,
        "resources": resources,
    }


def _aggregated_resource(kind: Kind) -> Object:
    entry: Object = {
        "resource": kind.plural,
        "responseKind": {"group": kind.group, "version": kind.version, "kind": kind.kind},
        "scope": "Namespaced" if kind.namespaced else "Cluster",
        "singularResource": kind.resource.singular or kind.kind.lower(),
        "verbs": ITEM_VERBS,
    }
    if kind.resource.short_names:
        entry["shortNames"] = list(kind.resource.short_names)
    if kind.categories:
        entry["categories"] = list(kind.categories)
    subresources = [
        {"subresource": name, "responseKind": response, "verbs": verbs}
        for name, response, verbs in _subresources(kind)
    ]
    if subresources:
        entry["subresources"] = subresources
    return entry


def aggregated(registry: Registry, *, core: bool, media_type: str) -> Object:
    """APIGroupDiscoveryList for /api (core) or /apis (all named groups), one round trip."""
    items = []
    for group, versions in registry.groups().items():
        if (group == "") != core:
            continue
        items.append(
            {
                "metadata": {"name": group} if group else {},
                "versions": [
                    {
                        "version": version,
                        "resources": [
                            _aggregated_resource(k)
                            for k in registry.in_group_version(group, version)
                        ],
                        "freshness": "Current",
                    }
                    for version in versions
                ],
            }
        )
    api_version = (
        "apidiscovery.k8s.io/v2beta1" if "v2beta1" in media_type else "apidiscovery.k8s.io/v2"
    )
    return {
        "kind": "APIGroupDiscoveryList",
        "apiVersion": api_version,
        "metadata": {},
        "items": items,
    }


def _gv_path(group: str, version: str) -> str:
    return f"apis/{group}/{version}" if group else f"api/{version}"


def openapi_v3_index(registry: Registry, *, prefix: str) -> Object:
    paths = {}
    for group, versions in registry.groups().items():
        for version in versions:
            doc = openapi_v3_group_version(registry, group, version)
            digest = hashlib.sha256(orjson.dumps(doc, option=orjson.OPT_SORT_KEYS)).hexdigest()[:32]
            path = _gv_path(group, version)
            paths[path] = {"serverRelativeURL": f"{prefix}/openapi/v3/{path}?hash={digest.upper()}"}
    return {"paths": paths}


_PATCH_TYPES = (
    "application/json-patch+json",
    "application/merge-patch+json",
    "application/apply-patch+yaml",
)


def _schema_name(kind: Kind) -> str:
    group = ".".join(reversed(kind.group.split("."))) if kind.group else "core"
    return f"io.navarch.{group}.{kind.version}.{kind.kind}"


def openapi_v3_group_version(registry: Registry, group: str, version: str) -> Object | None:
    """Paths with patch operations (GVK extension, fieldValidation/fieldManager parameters)."""
    kinds = registry.in_group_version(group, version)
    if not kinds:
        return None
    paths: Object = {}
    schemas: Object = {}
    base = "/" + _gv_path(group, version)
    for kind in kinds:
        gvk = [{"group": kind.group, "version": kind.version, "kind": kind.kind}]
        name = _schema_name(kind)
        schemas[name] = {
            "type": "object",
            "x-kubernetes-group-version-kind": gvk,
            "x-kubernetes-preserve-unknown-fields": True,
        }
        # Strategic merge is left out on purpose: kubectl then computes client-side apply
        # patches from its compiled-in types (exact merge keys) instead of this thin schema.
        content_types = list(_PATCH_TYPES)
        ref = {"$ref": f"#/components/schemas/{name}"}
        patch = {
            "operationId": f"patch{kind.kind}",
            "parameters": [
                {"name": "dryRun", "in": "query", "schema": {"type": "string"}},
                {"name": "fieldManager", "in": "query", "schema": {"type": "string"}},
                {"name": "fieldValidation", "in": "query", "schema": {"type": "string"}},
                {"name": "force", "in": "query", "schema": {"type": "boolean"}},
            ],
            "requestBody": {
                "content": {ct: {"schema": {"type": "object"}} for ct in content_types}
            },
            "responses": {
                "200": {"description": "OK", "content": {"application/json": {"schema": ref}}}
            },
            "x-kubernetes-action": "patch",
            "x-kubernetes-group-version-kind": gvk[0],
        }
        item = (
            f"{base}/namespaces/{{namespace}}/{kind.plural}/{{name}}"
            if kind.namespaced
            else f"{base}/{kind.plural}/{{name}}"
        )
        paths[item] = {"patch": patch}
    return {
        "openapi": "3.0.0",
        "info": {"title": "Navarch", "version": version},
        "paths": paths,
        "components": {"schemas": schemas},
    }
