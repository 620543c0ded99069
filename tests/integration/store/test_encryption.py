"""Secrets are encrypted at rest in JetStream and readable only with the key."""

import uuid
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from shared.api.resources import ResourceType
from shared.bus import Bus
from shared.store.encryption import DecryptionError, SecretEncryption, load_or_create_key
from shared.store.jetstream import JetStreamBackend
from shared.store.keys import object_key
from shared.store.objects import ObjectStore

pytestmark = pytest.mark.integration

SECRETS = ResourceType(
    group="", version="v1", plural="secrets", kind="Secret", status_subresource=False
)
KUBECONFIG_B64 = "YXBpVmVyc2lvbjogdjEKa2luZDogQ29uZmlnCg=="


async def test_secret_data_never_reaches_nats_in_the_clear(bus: Bus, tmp_path: Path) -> None:
    backend = await JetStreamBackend.open(bus, bucket=f"enc-{uuid.uuid4().hex[:8]}")
    store = ObjectStore(backend, encryption=SecretEncryption(load_or_create_key(tmp_path)))
    secret = {
        "metadata": {"name": "cluster-01-kubeconfig", "namespace": "kurator-system"},
        "type": "Opaque",
        "data": {"value": KUBECONFIG_B64},
    }
    await store.create(SECRETS, secret)
    raw = await backend.get(object_key(SECRETS, "kurator-system", "cluster-01-kubeconfig"))
    assert raw is not None
    assert KUBECONFIG_B64.encode() not in raw.value
    assert b"navarch.dev/encrypted" in raw.value
    assert (tmp_path / "encryption.key").stat().st_mode & 0o777 == 0o600

    read = await store.get(SECRETS, "kurator-system", "cluster-01-kubeconfig")
    assert read["data"] == {"value": KUBECONFIG_B64}
    listed = await store.list(SECRETS)
    assert listed.items[0]["data"] == {"value": KUBECONFIG_B64}

    stranger = ObjectStore(backend, encryption=SecretEncryption(Fernet.generate_key()))
    with pytest.raises(DecryptionError, match="cannot be decrypted"):
        await stranger.get(SECRETS, "kurator-system", "cluster-01-kubeconfig")


def test_key_is_created_once_and_reused(tmp_path: Path) -> None:
    first = load_or_create_key(tmp_path)
    assert load_or_create_key(tmp_path) == first
