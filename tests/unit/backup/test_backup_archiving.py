"""Velero's tarball layout and side files, after vmware-tanzu/velero pkg/archive/parser_test.go,
pkg/backup/backup_test.go (the tarball contents) and pkg/persistence/object_store_layout.go."""

import gzip
import io
import json
import tarfile
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest

from services.backup.archiving import (
    ArchiveError,
    ArchiveItem,
    Result,
    backup_contents_key,
    backup_metadata_key,
    backup_resource_list_key,
    backup_results_key,
    decode_results,
    encode_backup_metadata,
    encode_resource_list,
    encode_results,
    go_json,
    item_path,
    iter_backup_tarball,
    parse_item_path,
    restore_results_key,
    scan_backup_tarball,
    write_backup_tarball,
)

NOW = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)


def pod(name: str, namespace: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": namespace}}


def items() -> list[ArchiveItem]:
    return [
        ArchiveItem(group_resource="pods", preferred_version="v1", object=pod("web-1", "shop")),
        ArchiveItem(group_resource="pods", preferred_version="v1", object=pod("db-1", "shop")),
        ArchiveItem(
            group_resource="persistentvolumes",
            preferred_version="v1",
            object={"apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": "pv-1"}},
        ),
        ArchiveItem(
            group_resource="deployments.apps",
            preferred_version="v1",
            object={
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": {"name": "web", "namespace": "shop", "annotations": {"a": "<b>&"}},
            },
        ),
    ]


async def stream(values: list[ArchiveItem]) -> AsyncIterator[ArchiveItem]:
    for value in values:
        yield value


async def tarball() -> tuple[bytes, dict[str, list[str]]]:
    out = io.BytesIO()
    resource_list = await write_backup_tarball(stream(items()), out, now=NOW)
    return out.getvalue(), resource_list


@pytest.mark.parametrize(
    ("group_resource", "namespace", "name", "version_dir", "want"),
    [
        ("pods", "ns", "p", "", "resources/pods/namespaces/ns/p.json"),
        ("persistentvolumes", "", "pv", "", "resources/persistentvolumes/cluster/pv.json"),
        (
            "deployments.apps",
            "ns",
            "d",
            "v1-preferredversion",
            "resources/deployments.apps/v1-preferredversion/namespaces/ns/d.json",
        ),
    ],
)
def test_item_paths_round_trip(
    group_resource: str, namespace: str, name: str, version_dir: str, want: str
) -> None:
    path = item_path(group_resource, namespace=namespace, name=name, version_dir=version_dir)
    assert path == want
    parsed = parse_item_path(path)
    assert parsed is not None
    assert (parsed.group_resource, parsed.namespace, parsed.name, parsed.version_dir) == (
        group_resource,
        namespace,
        name,
        version_dir,
    )


@pytest.mark.parametrize(
    "path", ["metadata/version", "resources/pods/p.json", "resources/pods/namespaces/ns/p.txt"]
)
def test_non_item_paths(path: str) -> None:
    assert parse_item_path(path) is None


async def test_tarball_layout_is_velero_s() -> None:
    data, _ = await tarball()
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        members = archive.getmembers()
        names = [member.name for member in members]
        assert names[0] == "metadata/version"
        assert archive.extractfile("metadata/version").read() == b"1.1.0\n"  # type: ignore[union-attr]
        assert "resources/pods/namespaces/shop/web-1.json" in names
        assert "resources/pods/v1-preferredversion/namespaces/shop/web-1.json" in names
        assert "resources/persistentvolumes/cluster/pv-1.json" in names
        assert "resources/persistentvolumes/v1-preferredversion/cluster/pv-1.json" in names
        assert len(names) == 1 + 2 * len(items())
        assert {member.mode for member in members} == {0o755}
        assert {member.mtime for member in members} == {int(NOW.timestamp())}
        body = archive.extractfile("resources/deployments.apps/namespaces/shop/web.json")
        assert body.read() == (  # type: ignore[union-attr]
            b'{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"annotations":'
            b'{"a":"\\u003cb\\u003e\\u0026"},"name":"web","namespace":"shop"}}'
        )


async def test_resource_list_is_velero_s() -> None:
    _, resource_list = await tarball()
    assert resource_list == {
        "v1/Pod": ["shop/db-1", "shop/web-1"],
        "v1/PersistentVolume": ["pv-1"],
        "apps/v1/Deployment": ["shop/web"],
    }
    encoded = gzip.decompress(encode_resource_list(resource_list))
    assert encoded == (
        b'{"apps/v1/Deployment":["shop/web"],"v1/PersistentVolume":["pv-1"],'
        b'"v1/Pod":["shop/db-1","shop/web-1"]}\n'
    )


async def test_scan_and_read_back() -> None:
    data, _ = await tarball()
    contents = scan_backup_tarball(io.BytesIO(data))
    assert contents.format_version == "1.1.0"
    assert contents.resources == {
        "pods": {"shop": ["web-1", "db-1"]},
        "persistentvolumes": {"": ["pv-1"]},
        "deployments.apps": {"shop": ["web"]},
    }
    read = list(iter_backup_tarball(io.BytesIO(data), resources={"pods"}))
    assert [item.object for item in read] == [pod("web-1", "shop"), pod("db-1", "shop")]
    assert {item.location.version_dir for item in read} == {""}
    preferred = list(iter_backup_tarball(io.BytesIO(data), version_dir="v1-preferredversion"))
    assert len(preferred) == len(items())


def velero_style_tarball(files: dict[str, bytes]) -> bytes:
    """A tarball as Velero's test.NewTarWriter builds one (directories included)."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w:gz") as archive:
        for directory in ("resources", "resources/pods", "resources/pods/namespaces"):
            info = tarfile.TarInfo(directory)
            info.type = tarfile.DIRTYPE
            archive.addfile(info)
        for path, body in files.items():
            info = tarfile.TarInfo(path)
            info.size = len(body)
            archive.addfile(info, io.BytesIO(body))
    return raw.getvalue()


def test_reads_an_archive_without_a_version_file() -> None:
    data = velero_style_tarball(
        {"resources/pods/namespaces/ns-1/pod-1.json": json.dumps(pod("pod-1", "ns-1")).encode()}
    )
    contents = scan_backup_tarball(io.BytesIO(data))
    assert contents.format_version is None
    assert contents.resources == {"pods": {"ns-1": ["pod-1"]}}


def test_an_item_that_is_not_json_is_named() -> None:
    data = velero_style_tarball({"resources/pods/namespaces/ns-1/pod-1.json": b"{not json"})
    with pytest.raises(ArchiveError, match='error decoding "resources/pods/namespaces/ns-1/pod-1'):
        list(iter_backup_tarball(io.BytesIO(data)))


def test_a_stream_that_is_not_a_tarball() -> None:
    with pytest.raises(ArchiveError, match="error reading backup tarball"):
        scan_backup_tarball(io.BytesIO(b"plain bytes"))


async def test_an_item_without_a_name_is_refused() -> None:
    nameless = ArchiveItem(group_resource="pods", preferred_version="v1", object={"metadata": {}})
    with pytest.raises(ArchiveError, match=r"an item of pods has no metadata\.name"):
        await write_backup_tarball(stream([nameless]), io.BytesIO(), now=NOW)


def test_results_file() -> None:
    warnings = Result()
    warnings.add("shop", 'could not restore, ConfigMap "a" already exists')
    errors = Result(velero=["error listing"])
    errors.add("", "error restoring pv-1")
    data = encode_results(warnings=warnings, errors=errors)
    assert gzip.decompress(data) == (
        b'{"errors":{"velero":["error listing"],"cluster":["error restoring pv-1"]},'
        b'"warnings":{"namespaces":{"shop":["could not restore, ConfigMap \\"a\\" already '
        b'exists"]}}}\n'
    )
    decoded_warnings, decoded_errors = decode_results(data)
    assert decoded_warnings == warnings
    assert decoded_errors == errors
    assert (warnings.count(), errors.count()) == (1, 2)


def test_backup_metadata_file() -> None:
    backup = {"apiVersion": "velero.io/v1", "kind": "Backup", "metadata": {"name": "b"}}
    assert encode_backup_metadata(backup) == (
        b'{\n  "apiVersion": "velero.io/v1",\n  "kind": "Backup",\n  "metadata": {\n'
        b'    "name": "b"\n  }\n}'
    )


def test_go_json_sorts_keys_and_escapes_html() -> None:
    assert go_json({"b": 1, "a": "x<y"}) == b'{"a":"x\\u003cy","b":1}'


def test_object_store_keys() -> None:
    assert backup_metadata_key("b") == "backups/b/velero-backup.json"
    assert backup_contents_key("b", prefix="fleet/") == "fleet/backups/b/b.tar.gz"
    assert backup_results_key("b") == "backups/b/b-results.gz"
    assert backup_resource_list_key("b") == "backups/b/b-resource-list.json.gz"
    assert restore_results_key("r") == "restores/r/restore-r-results.gz"
