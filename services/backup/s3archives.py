"""Archives in an S3-compatible bucket: Kurator's Fleet backup plugin `storage.location`.

The same ArchiveStore contract as the JetStream store: Velero's key layout, streamed in and
out in chunks, a SHA-256 of every object kept in its user metadata and checked on every read
(S3's ETag is no digest for multipart uploads), a missing key a clear ArchiveMissingError.
Kurator always forces path-style addressing (`s3ForcePathStyle: true`); so does this.
"""

import hashlib
import io
import logging
from typing import Any, BinaryIO, Self

from aiobotocore.session import get_session
from botocore.config import Config
from botocore.exceptions import ClientError
from pydantic import Field

from services.backup.storing import ArchiveCorruptError, ArchiveMissingError
from shared.api.base import KubeModel

log = logging.getLogger(__name__)

DIGEST_METADATA = "sha256"
_CHUNK = 1 << 20
_MISSING = ("NoSuchKey", "404", "NotFound")
PROVIDERS = ("aws", "huaweicloud", "gcp", "azure")
S3_PROVIDERS = ("aws", "huaweicloud")
"""Kurator sends `huaweicloud` to Velero as `aws`; `gcp`/`azure` are stubs upstream."""


class StorageLocation(KubeModel):
    """`spec.plugin.backup.storage.location` of a Kurator Fleet."""

    bucket: str
    provider: str
    endpoint: str
    region: str | None = None
    config: dict[str, str] | None = None


class BackupStorage(KubeModel):
    location: StorageLocation
    secret_name: str


class S3Credentials(KubeModel):
    """The hub Secret's `access-key` and `secret-key`, decoded."""

    access_key: str = Field(min_length=1)
    secret_key: str = Field(min_length=1)


class S3LocationError(ValueError):
    """The storage location cannot be used (unknown provider, no credentials)."""


def s3_location_problem(location: StorageLocation) -> str | None:
    """Why this location is no S3 bucket Navarch can write, in Kurator's terms; None if fine."""
    if location.provider not in PROVIDERS:
        return f"unknown provider {location.provider!r}, must be one of {', '.join(PROVIDERS)}"
    if location.provider not in S3_PROVIDERS:
        return f"provider {location.provider!r} is not supported: only aws and huaweicloud are"
    return None


class S3Archives:
    """ArchiveStore over one bucket of an S3-compatible server, through aiobotocore."""

    def __init__(self, client: Any, *, bucket: str, client_context: Any) -> None:
        """`client` is aiobotocore's (untyped) S3 client, `client_context` what closes it."""
        self._client = client
        self._bucket = bucket
        self._context = client_context

    @classmethod
    async def open(cls, location: StorageLocation, credentials: S3Credentials) -> Self:
        problem = s3_location_problem(location)
        if problem is not None:
            raise S3LocationError(problem)
        context = get_session().create_client(
            "s3",
            endpoint_url=location.endpoint,
            region_name=location.region or "us-east-1",
            aws_access_key_id=credentials.access_key,
            aws_secret_access_key=credentials.secret_key,
            config=Config(s3={"addressing_style": "path"}),
        )
        client = await context.__aenter__()
        return cls(client, bucket=location.bucket, client_context=context)

    async def close(self) -> None:
        await self._context.__aexit__(None, None, None)

    async def put(self, key: str, data: bytes | BinaryIO) -> None:
        if isinstance(data, bytes):
            digest = hashlib.sha256(data).hexdigest()
            body: bytes | BinaryIO = data
        else:
            start = data.tell()
            hasher = hashlib.sha256()
            while chunk := data.read(_CHUNK):
                hasher.update(chunk)
            digest = hasher.hexdigest()
            data.seek(start)
            body = data
        await self._client.put_object(
            Bucket=self._bucket, Key=key, Body=body, Metadata={DIGEST_METADATA: digest}
        )

    async def get_into(self, key: str, out: BinaryIO) -> None:
        try:
            response = await self._client.get_object(Bucket=self._bucket, Key=key)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in _MISSING:
                raise ArchiveMissingError(f'archive "{key}" not found') from error
            raise
        expected = (response.get("Metadata") or {}).get(DIGEST_METADATA)
        hasher = hashlib.sha256()
        async with response["Body"] as stream:
            while chunk := await stream.read(_CHUNK):
                hasher.update(chunk)
                out.write(chunk)
        if expected is None or hasher.hexdigest() != expected:
            raise ArchiveCorruptError(f'archive "{key}" does not match its digest')

    async def get(self, key: str) -> bytes:
        buffer = io.BytesIO()
        await self.get_into(key, buffer)
        return buffer.getvalue()

    async def delete(self, key: str) -> None:
        """S3 answers a delete of a missing key with success, as the contract wants."""
        await self._client.delete_object(Bucket=self._bucket, Key=key)

    async def keys(self, prefix: str) -> list[str]:
        paginator = self._client.get_paginator("list_objects_v2")
        found: list[str] = []
        async for page in paginator.paginate(Bucket=self._bucket, Prefix=prefix):
            found.extend(item["Key"] for item in page.get("Contents") or [])
        return sorted(found)
