"""Kubeconfig files: written for the hub and each simulated cluster, read by the CLI and services.

Only what Navarch uses: one cluster (server, CA data), one user (bearer token), one
context per file, written with mode 0600 because it holds a credential.
"""

import base64
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml


@dataclass(frozen=True)
class KubeconfigEntry:
    server: str
    ca_pem: bytes | None
    token: str | None
    context: str = "navarch"
    cluster: str = "navarch"
    user: str = "navarch-admin"
    namespace: str | None = None


def render(entry: KubeconfigEntry) -> dict[str, Any]:
    cluster: dict[str, Any] = {"server": entry.server}
    if entry.ca_pem:
        cluster["certificate-authority-data"] = base64.b64encode(entry.ca_pem).decode()
    user: dict[str, Any] = {"token": entry.token} if entry.token else {}
    context: dict[str, Any] = {"cluster": entry.cluster, "user": entry.user}
    if entry.namespace:
        context["namespace"] = entry.namespace
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "preferences": {},
        "clusters": [{"name": entry.cluster, "cluster": cluster}],
        "users": [{"name": entry.user, "user": user}],
        "contexts": [{"name": entry.context, "context": context}],
        "current-context": entry.context,
    }


def _kept_entries(path: Path, document: dict[str, Any]) -> dict[str, Any]:
    """Like kubectl rewriting a config: entries of other names already in the file stay
    (the hub's member contexts survive a gateway restart)."""
    try:
        existing = yaml.safe_load(path.read_text()) if path.exists() else None
    except (OSError, yaml.YAMLError):
        return document
    if not isinstance(existing, dict):
        return document
    for section in ("clusters", "users", "contexts"):
        ours = {item["name"] for item in document[section]}
        others = [
            item
            for item in existing.get(section) or []
            if isinstance(item, dict) and item.get("name") not in ours
        ]
        document[section] = document[section] + others
    return document


def write_kubeconfig(path: Path, entry: KubeconfigEntry) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = yaml.safe_dump(_kept_entries(path, render(entry)), sort_keys=False).encode()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    path.chmod(0o600)
    return path


class KubeconfigError(ValueError):
    """The file lacks what is needed to reach a server."""


def _named(items: Any, name: str, what: str) -> dict[str, Any]:
    for item in items or []:
        if isinstance(item, dict) and item.get("name") == name:
            return item.get(what) or {}
    raise KubeconfigError(f"no {what} named {name!r}")


def load_kubeconfig(path: Path, *, context: str | None = None) -> KubeconfigEntry:
    """Server, CA and token of a context (the current one by default)."""
    raw = yaml.safe_load(Path(path).read_text()) or {}
    context_name = context or raw.get("current-context")
    if not context_name:
        raise KubeconfigError(f"{path}: no current-context")
    ctx = _named(raw.get("contexts"), context_name, "context")
    cluster_name, user_name = ctx.get("cluster", ""), ctx.get("user", "")
    cluster = _named(raw.get("clusters"), cluster_name, "cluster")
    user = _named(raw.get("users"), user_name, "user") if user_name else {}
    server = cluster.get("server")
    if not server:
        raise KubeconfigError(f"{path}: cluster {cluster_name!r} has no server")
    ca_pem: bytes | None = None
    if cluster.get("certificate-authority-data"):
        ca_pem = base64.b64decode(cluster["certificate-authority-data"])
    elif cluster.get("certificate-authority"):
        ca_path = Path(cluster["certificate-authority"])
        if not ca_path.is_absolute():
            ca_path = Path(path).parent / ca_path
        ca_pem = ca_path.read_bytes()
    token = user.get("token")
    if not token and user.get("tokenFile"):
        token = Path(user["tokenFile"]).read_text().strip()
    return KubeconfigEntry(
        server=server,
        ca_pem=ca_pem,
        token=token,
        context=context_name,
        cluster=cluster_name,
        user=user_name,
        namespace=ctx.get("namespace"),
    )
