"""One ArchiveStore contract, run on both backends: the hub's JetStream object store and an
S3-compatible bucket (moto's server, its own process over HTTP) as Kurator's Fleet backup
plugin names it. Streamed files, prefixes, deletes, missing and corrupt archives."""

import io
import re
import tempfile
import uuid
from collections.abc import AsyncIterator

import pytest
from aiobotocore.session import get_session

from services.backup.s3archives import (
    S3Archives,
    S3Credentials,
    S3LocationError,
    StorageLocation,
    s3_location_problem,
)
from services.backup.storing import (
    ArchiveCorruptError,
    ArchiveMissingError,
    ArchiveStore,
    JetStreamArchives,
)
from shared.bus import Bus

CREDENTIALS = S3Credentials(access_key="testing", secret_key="testing")


async def s3_bucket(endpoint: str) -> str:
    bucket = f"navarch-{uuid.uuid4().hex[:12]}"
    async with get_session().create_client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=CREDENTIALS.access_key,
        aws_secret_access_key=CREDENTIALS.secret_key,
    ) as client:
        await client.create_bucket(Bucket=bucket)
    return bucket


@pytest.fixture(params=["jetstream", "s3"])
async def archives(
    request: pytest.FixtureRequest, bus: Bus, moto_endpoint: str
) -> AsyncIterator[ArchiveStore]:
    if request.param == "jetstream":
        yield await JetStreamArchives.open(bus.jetstream, bucket=f"a-{uuid.uuid4().hex[:12]}")
        return
    location = StorageLocation(
        bucket=await s3_bucket(moto_endpoint),
        provider="aws",
        endpoint=moto_endpoint,
        region="us-east-1",
    )
    store = await S3Archives.open(location, CREDENTIALS)
    yield store
    await store.close()


async def test_a_streamed_file_comes_back_whole(archives: ArchiveStore) -> None:
    payload = bytes(range(256)) * 12_000
    with tempfile.TemporaryFile() as source:
        source.write(payload)
        source.seek(0)
        await archives.put("backups/run/run.tar.gz", source)
    out = io.BytesIO()
    await archives.get_into("backups/run/run.tar.gz", out)
    assert out.getvalue() == payload


async def test_keys_by_prefix_and_deletes(archives: ArchiveStore) -> None:
    for key in ("backups/a/a.tar.gz", "backups/a/velero-backup.json", "backups/b/b.tar.gz"):
        await archives.put(key, key.encode())
    assert await archives.keys("backups/a/") == [
        "backups/a/a.tar.gz",
        "backups/a/velero-backup.json",
    ]
    assert await archives.get("backups/b/b.tar.gz") == b"backups/b/b.tar.gz"
    await archives.delete("backups/a/a.tar.gz")
    await archives.delete("backups/a/never-written")
    assert await archives.keys("backups/a/") == ["backups/a/velero-backup.json"]


async def test_a_missing_archive_is_a_clear_error(archives: ArchiveStore) -> None:
    expected = re.escape('archive "backups/gone/gone.tar.gz" not found')
    with pytest.raises(ArchiveMissingError, match=expected):
        await archives.get("backups/gone/gone.tar.gz")


async def test_an_s3_object_changed_behind_its_digest_is_corrupt(moto_endpoint: str) -> None:
    location = StorageLocation(
        bucket=await s3_bucket(moto_endpoint), provider="huaweicloud", endpoint=moto_endpoint
    )
    store = await S3Archives.open(location, CREDENTIALS)
    try:
        await store.put("backups/x/x.tar.gz", b"the real archive")
        async with get_session().create_client(
            "s3",
            endpoint_url=moto_endpoint,
            region_name="us-east-1",
            aws_access_key_id=CREDENTIALS.access_key,
            aws_secret_access_key=CREDENTIALS.secret_key,
        ) as client:
            head = await client.head_object(Bucket=location.bucket, Key="backups/x/x.tar.gz")
            await client.put_object(
                Bucket=location.bucket,
                Key="backups/x/x.tar.gz",
                Body=b"tampered archive",
                Metadata=head["Metadata"],
            )
        with pytest.raises(ArchiveCorruptError, match="does not match its digest"):
            await store.get("backups/x/x.tar.gz")
    finally:
        await store.close()


@pytest.mark.parametrize(
    ("provider", "problem"),
    [
        ("aws", None),
        ("huaweicloud", None),
        ("gcp", "provider 'gcp' is not supported: only aws and huaweicloud are"),
        ("minio", "unknown provider 'minio', must be one of aws, huaweicloud, gcp, azure"),
    ],
)
async def test_storage_location_providers(provider: str, problem: str | None) -> None:
    location = StorageLocation(bucket="b", provider=provider, endpoint="http://127.0.0.1:1")
    assert s3_location_problem(location) == problem
    if problem is not None:
        with pytest.raises(S3LocationError, match=re.escape(problem)):
            await S3Archives.open(location, CREDENTIALS)
