"""The CLI's discovery: aggregated discovery (two requests), kept on disk like kubectl's
`~/.kube/cache/discovery`.

The cache lives under `$NAVARCH_HOME/cache/discovery/<host_port>/` and is used while it is
younger than `NAVARCH_CLI_DISCOVERY_TTL_S` (default 600 s, kubectl's old default); a name
it does not know makes the client fetch discovery again once (a CRD created since), as
kubectl's deferred mapper does. A cache that cannot be read is ignored, never an error.
"""

import json
import os
import re
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

AGGREGATED_V2 = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
DISCOVERY_ACCEPT = f"{AGGREGATED_V2},application/json;q=0.9"
TTL_ENV = "NAVARCH_CLI_DISCOVERY_TTL_S"
DEFAULT_TTL_S = 600.0
CACHE_FILE = "resources.json"


@dataclass(frozen=True)
class ApiResource:
    group: str
    version: str
    plural: str
    singular: str
    kind: str
    namespaced: bool
    short_names: tuple[str, ...] = ()
    verbs: tuple[str, ...] = ()

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def group_resource(self) -> str:
        return f"{self.plural}.{self.group}" if self.group else self.plural

    def collection_path(self, namespace: str | None) -> str:
        base = f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"
        if self.namespaced and namespace:
            return f"{base}/namespaces/{quote(namespace, safe='')}/{self.plural}"
        return f"{base}/{self.plural}"

    def item_path(self, namespace: str | None, name: str) -> str:
        return f"{self.collection_path(namespace)}/{quote(name, safe='')}"


def ttl_s() -> float:
    try:
        return float(os.environ.get(TTL_ENV, DEFAULT_TTL_S))
    except ValueError:
        return DEFAULT_TTL_S


def cache_dir_for(server: str, home: Path) -> Path:
    """`<home>/cache/discovery/<host_port>`, named as kubectl names its cache folders."""
    address = re.sub(r"^https?://", "", server).split("/", 1)[0]
    return home / "cache" / "discovery" / re.sub(r"[^A-Za-z0-9.\-]", "_", address)


def parse_aggregated(document: dict[str, Any]) -> list[ApiResource]:
    """An APIGroupDiscoveryList (v2): every resource of every version, preferred first."""
    found = []
    for group in document.get("items") or []:
        name = (group.get("metadata") or {}).get("name") or ""
        for version in group.get("versions") or []:
            for entry in version.get("resources") or []:
                kind = (entry.get("responseKind") or {}).get("kind") or ""
                found.append(
                    ApiResource(
                        group=name,
                        version=str(version.get("version", "")),
                        plural=str(entry.get("resource", "")),
                        singular=str(entry.get("singularResource") or kind.lower()),
                        kind=kind,
                        namespaced=entry.get("scope") == "Namespaced",
                        short_names=tuple(entry.get("shortNames") or ()),
                        verbs=tuple(entry.get("verbs") or ()),
                    )
                )
    return found


def is_aggregated(content_type: str) -> bool:
    return "as=APIGroupDiscoveryList" in content_type.replace(" ", "")


def load(directory: Path, *, now: float | None = None) -> list[ApiResource] | None:
    """The cached resources while fresh; None when missing, stale or unreadable."""
    try:
        raw = json.loads((directory / CACHE_FILE).read_text())
        fetched_at = float(raw["fetchedAt"])
        resources = [
            ApiResource(
                **{
                    **item,
                    "short_names": tuple(item.get("short_names") or ()),
                    "verbs": tuple(item.get("verbs") or ()),
                }
            )
            for item in raw["resources"]
        ]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if (now if now is not None else time.time()) - fetched_at > ttl_s():
        return None
    return resources


def store(directory: Path, resources: list[ApiResource]) -> None:
    """Written atomically (a concurrent `navarch` reads the old file or the new one)."""
    try:
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        temporary = directory / f".{CACHE_FILE}.{os.getpid()}"
        temporary.write_text(
            json.dumps(
                {
                    "fetchedAt": time.time(),
                    "resources": [asdict(resource) for resource in resources],
                }
            )
        )
        temporary.replace(directory / CACHE_FILE)
    except OSError:
        return


def forget(directory: Path) -> None:
    try:
        (directory / CACHE_FILE).unlink()
    except OSError:
        return
