"""One kubeconfig for the whole fleet: the hub's context plus a context per member cluster.

The articles run `kubectl get deployment nginx --context=cluster-hangzhou` against one
file; each member's kubeconfig is flattened to the context it is reached through and
renamed after the cluster (cluster, user and context all `<cluster>`), the way
`kind` and `kubectl config view --flatten` name what they merge. Merging into an existing
file follows kubectl's rule: entries of the same name are replaced, others are kept, and
the file's current-context stays unless it has none.
"""

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class NamedEntry(BaseModel):
    """One `clusters[]`, `users[]` or `contexts[]` item: a name and its body, kept as is."""

    model_config = ConfigDict(extra="allow")

    name: str


class Kubeconfig(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)

    api_version: str = Field(default="v1", alias="apiVersion")
    kind: str = "Config"
    preferences: dict[str, Any] = Field(default_factory=dict)
    clusters: list[NamedEntry] = Field(default_factory=list)
    users: list[NamedEntry] = Field(default_factory=list)
    contexts: list[NamedEntry] = Field(default_factory=list)
    current_context: str = Field(default="", alias="current-context")

    def document(self) -> dict[str, Any]:
        return self.model_dump(by_alias=True, exclude_none=True)


class KubeconfigProblem(ValueError):
    """A member kubeconfig that names no usable context; the message says what is missing."""


def _entry(entries: list[NamedEntry], name: str) -> dict[str, Any]:
    for entry in entries:
        if entry.name == name:
            return entry.model_dump(exclude={"name"})
    return {}


def flattened(config: Kubeconfig, *, context: str | None = None) -> Kubeconfig:
    """Only `context` (default: the current one) with its cluster and user, as
    `kubectl config view --minify --flatten` keeps them."""
    chosen = context or config.current_context
    if not chosen:
        raise KubeconfigProblem("the kubeconfig has no current-context")
    body = _entry(config.contexts, chosen).get("context")
    if not isinstance(body, dict):
        raise KubeconfigProblem(f'context "{chosen}" does not exist')
    cluster = _entry(config.clusters, str(body.get("cluster", "")))
    if not cluster.get("cluster", {}).get("server"):
        raise KubeconfigProblem(f'context "{chosen}" names no cluster with a server')
    user = _entry(config.users, str(body.get("user", "")))
    return Kubeconfig(
        clusters=[NamedEntry(name=str(body.get("cluster", "")), **cluster)],
        users=[NamedEntry(name=str(body.get("user", "")), **(user or {"user": {}}))],
        contexts=[NamedEntry(name=chosen, context=body)],
        current_context=chosen,
    )


def renamed_for(cluster_name: str, member: Kubeconfig) -> Kubeconfig:
    """The member's current context, its cluster and its user, all named `cluster_name`."""
    flat = flattened(member)
    body = dict(_entry(flat.contexts, flat.current_context)["context"])
    body["cluster"] = cluster_name
    body["user"] = cluster_name
    return Kubeconfig(
        clusters=[NamedEntry(name=cluster_name, **_entry(flat.clusters, flat.clusters[0].name))],
        users=[NamedEntry(name=cluster_name, **_entry(flat.users, flat.users[0].name))],
        contexts=[NamedEntry(name=cluster_name, context=body)],
        current_context=cluster_name,
    )


def _replaced(entries: list[NamedEntry], additions: list[NamedEntry]) -> list[NamedEntry]:
    names = {entry.name for entry in additions}
    return [entry for entry in entries if entry.name not in names] + list(additions)


def merged(base: Kubeconfig, addition: Kubeconfig) -> Kubeconfig:
    """`addition`'s entries replace those of the same name in `base`; base's current-context
    stays unless it has none."""
    return base.model_copy(
        update={
            "clusters": _replaced(base.clusters, addition.clusters),
            "users": _replaced(base.users, addition.users),
            "contexts": _replaced(base.contexts, addition.contexts),
            "current_context": base.current_context or addition.current_context,
        }
    )


def fleet_kubeconfig(hub: Kubeconfig, members: Mapping[str, Kubeconfig]) -> Kubeconfig:
    """The hub's current context (still current) and one context per member, sorted by name.

    Contexts of clusters no longer in `members` are dropped: the hub's own entries are the
    only ones kept from `hub`.
    """
    combined = flattened(hub)
    for name in sorted(members):
        if name == combined.current_context:
            continue
        combined = merged(combined, renamed_for(name, members[name]))
    return combined
