"""Velero's backup tarball and the files stored beside it, written and read as streams.

Ported from vmware-tanzu/velero `pkg/backup/backup.go` (writeBackupVersion),
`pkg/backup/item_backupper.go` (getFileForArchive: each item at `resources/<gr>/...` and again
under `<version>-preferredversion/`), `pkg/archive` (paths and Parser.Parse),
`pkg/persistence/object_store_layout.go` (object keys) and `pkg/util/encode` (the metadata
JSON and the gzipped JSON of results and resource lists). An archive Velero wrote can be read
here and the reverse. Items pass through one at a time: nothing holds the cluster in memory.
"""

import gzip
import io
import json
import tarfile
from collections.abc import AsyncIterable, Container, Iterator
from datetime import datetime
from typing import Any, BinaryIO

from pydantic import BaseModel, Field

from services.backup.filtering import KubeObject

FORMAT_VERSION = "1.1.0"
RESOURCES_DIR = "resources"
METADATA_DIR = "metadata"
VERSION_FILE = f"{METADATA_DIR}/version"
NAMESPACE_SCOPED_DIR = "namespaces"
CLUSTER_SCOPED_DIR = "cluster"
PREFERRED_VERSION_SUFFIX = "-preferredversion"
_FILE_MODE = 0o755


class ArchiveError(ValueError):
    """A tarball that is not a Velero backup, or an item in it that does not decode."""


def go_json(value: Any) -> bytes:
    """encoding/json.Marshal of unstructured content: sorted keys, compact, HTML-escaped."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return _escape_like_go(text).encode()


def _escape_like_go(text: str) -> str:
    """Go escapes <, > and & (and U+2028/U+2029) inside strings; JSON syntax never has them."""
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def item_path(group_resource: str, *, namespace: str, name: str, version_dir: str = "") -> str:
    """archive.GetVersionedItemFilePath relative to the archive root."""
    scope = [NAMESPACE_SCOPED_DIR, namespace] if namespace else [CLUSTER_SCOPED_DIR]
    parts = [RESOURCES_DIR, group_resource, *([version_dir] if version_dir else []), *scope]
    return "/".join([*parts, f"{name}.json"])


class ArchiveItem(BaseModel):
    """One object to archive: its group-resource and the preferred version it was read at."""

    group_resource: str
    preferred_version: str
    object: KubeObject

    @property
    def namespace(self) -> str:
        return str((self.object.get("metadata") or {}).get("namespace") or "")

    @property
    def name(self) -> str:
        return str((self.object.get("metadata") or {}).get("name") or "")


def _add_file(archive: tarfile.TarFile, *, path: str, data: bytes, modified: datetime) -> None:
    header = tarfile.TarInfo(path)
    header.size = len(data)
    header.mode = _FILE_MODE
    header.type = tarfile.REGTYPE
    header.mtime = int(modified.timestamp())
    archive.addfile(header, io.BytesIO(data))


async def write_backup_tarball(
    items: AsyncIterable[ArchiveItem], out: BinaryIO, *, now: datetime
) -> dict[str, list[str]]:
    """Stream a gzipped tar in Velero's layout to `out`; returns the backup's resource list.

    The resource list is Velero's `<backup>-resource-list.json.gz` content: `apiVersion/Kind`
    to sorted `namespace/name` (or `name`) entries.
    """
    resource_list: dict[str, list[str]] = {}
    with (
        gzip.GzipFile(fileobj=out, mode="wb", mtime=0) as compressed,
        tarfile.open(fileobj=compressed, mode="w|", format=tarfile.PAX_FORMAT) as archive,
    ):
        _add_file(archive, path=VERSION_FILE, data=f"{FORMAT_VERSION}\n".encode(), modified=now)
        async for item in items:
            if not item.name:
                raise ArchiveError(f"an item of {item.group_resource} has no metadata.name")
            data = go_json(item.object)
            for version_dir in ("", item.preferred_version + PREFERRED_VERSION_SUFFIX):
                path = item_path(
                    item.group_resource,
                    namespace=item.namespace,
                    name=item.name,
                    version_dir=version_dir,
                )
                _add_file(archive, path=path, data=data, modified=now)
            key = f"{item.object.get('apiVersion', '')}/{item.object.get('kind', '')}"
            entry = f"{item.namespace}/{item.name}" if item.namespace else item.name
            resource_list.setdefault(key, []).append(entry)
    return {key: sorted(entries) for key, entries in resource_list.items()}


class ArchivePath(BaseModel):
    group_resource: str
    version_dir: str
    namespace: str
    name: str


def parse_item_path(path: str) -> ArchivePath | None:
    """The inverse of item_path; None for anything that is not an item file."""
    parts = path.strip("/").split("/")
    if len(parts) < 4 or parts[0] != RESOURCES_DIR or not parts[-1].endswith(".json"):
        return None
    group_resource, rest = parts[1], parts[2:]
    version_dir = ""
    if rest[0] not in (NAMESPACE_SCOPED_DIR, CLUSTER_SCOPED_DIR):
        version_dir, rest = rest[0], rest[1:]
    name = rest[-1].removesuffix(".json")
    if rest[:1] == [CLUSTER_SCOPED_DIR] and len(rest) == 2:
        return ArchivePath(
            group_resource=group_resource, version_dir=version_dir, namespace="", name=name
        )
    if rest[:1] == [NAMESPACE_SCOPED_DIR] and len(rest) == 3:
        return ArchivePath(
            group_resource=group_resource, version_dir=version_dir, namespace=rest[1], name=name
        )
    return None


class ArchivedItem(BaseModel):
    path: str
    location: ArchivePath
    object: KubeObject


class ArchiveContents(BaseModel):
    """Parser.Parse's catalog: group-resource -> namespace (`""` = cluster) -> item names."""

    format_version: str | None = None
    resources: dict[str, dict[str, list[str]]] = Field(default_factory=dict)


def _members(stream: BinaryIO) -> Iterator[tuple[tarfile.TarFile, tarfile.TarInfo]]:
    try:
        with (
            gzip.GzipFile(fileobj=stream, mode="rb") as compressed,
            tarfile.open(fileobj=compressed, mode="r|") as archive,
        ):
            for member in archive:
                if member.isfile():
                    yield archive, member
    except (OSError, EOFError, tarfile.TarError) as error:
        raise ArchiveError(f"error reading backup tarball: {error}") from error


def _read(archive: tarfile.TarFile, member: tarfile.TarInfo) -> bytes:
    extracted = archive.extractfile(member)
    if extracted is None:
        raise ArchiveError(f"cannot read {member.name}")
    return extracted.read()


def scan_backup_tarball(stream: BinaryIO) -> ArchiveContents:
    """One pass over the tarball, reading names only (items are not decoded)."""
    contents = ArchiveContents()
    for archive, member in _members(stream):
        if member.name == VERSION_FILE:
            contents.format_version = _read(archive, member).decode().strip()
            continue
        location = parse_item_path(member.name)
        if location is None or location.version_dir:
            continue
        by_namespace = contents.resources.setdefault(location.group_resource, {})
        by_namespace.setdefault(location.namespace, []).append(location.name)
    return contents


def iter_backup_tarball(
    stream: BinaryIO, *, resources: Container[str] | None = None, version_dir: str = ""
) -> Iterator[ArchivedItem]:
    """The items of one version directory (`""`: the preferred copy restores read), decoded."""
    for archive, member in _members(stream):
        location = parse_item_path(member.name)
        if location is None or location.version_dir != version_dir:
            continue
        if resources is not None and location.group_resource not in resources:
            continue
        try:
            obj = json.loads(_read(archive, member))
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            raise ArchiveError(f'error decoding "{member.name}": {error}') from error
        if not isinstance(obj, dict):
            raise ArchiveError(f'error decoding "{member.name}": not a JSON object')
        yield ArchivedItem(path=member.name, location=location, object=obj)


class Result(BaseModel):
    """results.Result: messages about Velero itself, cluster-scoped and per-namespace items."""

    velero: list[str] = Field(default_factory=list)
    cluster: list[str] = Field(default_factory=list)
    namespaces: dict[str, list[str]] = Field(default_factory=dict)

    def add(self, namespace: str, message: str) -> None:
        if namespace:
            self.namespaces.setdefault(namespace, []).append(message)
        else:
            self.cluster.append(message)

    def count(self) -> int:
        return len(self.velero) + len(self.cluster) + sum(map(len, self.namespaces.values()))

    def to_go(self) -> dict[str, Any]:
        """The omitempty JSON shape, in Go's field order."""
        shape: dict[str, Any] = {}
        if self.velero:
            shape["velero"] = self.velero
        if self.cluster:
            shape["cluster"] = self.cluster
        if self.namespaces:
            shape["namespaces"] = self.namespaces
        return shape


def _json_gzip(value: Any) -> bytes:
    """encode.ToJSONGzip: json.Encoder output (compact, trailing newline), gzipped."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return gzip.compress(_escape_like_go(text).encode() + b"\n", mtime=0)


def encode_results(*, warnings: Result, errors: Result) -> bytes:
    """`<backup>-results.gz` / `restore-<restore>-results.gz`."""
    return _json_gzip({"errors": errors.to_go(), "warnings": warnings.to_go()})


def decode_results(data: bytes) -> tuple[Result, Result]:
    """(warnings, errors) from a results file."""
    try:
        raw = json.loads(gzip.decompress(data))
    except (OSError, EOFError, json.JSONDecodeError) as error:
        raise ArchiveError(f"error decoding results: {error}") from error
    return Result.model_validate(raw.get("warnings") or {}), Result.model_validate(
        raw.get("errors") or {}
    )


def encode_resource_list(resource_list: dict[str, list[str]]) -> bytes:
    """`<backup>-resource-list.json.gz`: map keys sorted as Go's encoder sorts them."""
    return _json_gzip(dict(sorted(resource_list.items())))


def encode_backup_metadata(backup: KubeObject) -> bytes:
    """`velero-backup.json`: the Backup object as Kubernetes' pretty JSON serializer writes it."""
    return _escape_like_go(json.dumps(backup, indent=2, ensure_ascii=False)).encode()


def _key(prefix: str, *parts: str) -> str:
    return "/".join(part.strip("/") for part in (prefix, *parts) if part)


def backup_metadata_key(backup: str, *, prefix: str = "") -> str:
    return _key(prefix, "backups", backup, "velero-backup.json")


def backup_contents_key(backup: str, *, prefix: str = "") -> str:
    return _key(prefix, "backups", backup, f"{backup}.tar.gz")


def backup_results_key(backup: str, *, prefix: str = "") -> str:
    return _key(prefix, "backups", backup, f"{backup}-results.gz")


def backup_resource_list_key(backup: str, *, prefix: str = "") -> str:
    return _key(prefix, "backups", backup, f"{backup}-resource-list.json.gz")


def restore_results_key(restore: str, *, prefix: str = "") -> str:
    return _key(prefix, "restores", restore, f"restore-{restore}-results.gz")
