"""Encryption at rest for Secrets, like Kubernetes' EncryptionConfiguration.

The store encrypts a Secret's `data` and `stringData` before they reach JetStream and
decrypts on every read, so kubeconfigs of member clusters never sit in NATS in the clear.
The key is generated once into `$NAVARCH_HOME/encryption.key` (mode 0600) or given by
`NAVARCH_ENCRYPTION_KEY`.
"""

import os
from pathlib import Path
from typing import Any

import orjson
from cryptography.fernet import Fernet, InvalidToken

from shared.store.errors import StoreError

ENCRYPTED_FIELD = "navarch.dev/encrypted"
SECRET_FIELDS = ("data", "stringData")
KEY_FILE = "encryption.key"
KEY_ENV = "NAVARCH_ENCRYPTION_KEY"


class DecryptionError(StoreError):
    """Stored ciphertext that this key cannot open: a wrong or rotated key."""


def load_or_create_key(home: Path) -> bytes:
    if os.environ.get(KEY_ENV):
        return os.environ[KEY_ENV].encode()
    path = home / KEY_FILE
    if path.exists():
        return path.read_bytes().strip()
    home.mkdir(parents=True, exist_ok=True)
    key = Fernet.generate_key()
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_bytes().strip()
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(key)
    return key


class SecretEncryption:
    def __init__(self, key: bytes) -> None:
        self._fernet = Fernet(key)

    def seal(self, obj: dict[str, Any]) -> dict[str, Any]:
        secret = {field: obj[field] for field in SECRET_FIELDS if field in obj}
        if not secret:
            return obj
        sealed = {key: value for key, value in obj.items() if key not in SECRET_FIELDS}
        sealed[ENCRYPTED_FIELD] = self._fernet.encrypt(orjson.dumps(secret)).decode()
        return sealed

    def open(self, obj: dict[str, Any]) -> dict[str, Any]:
        token = obj.get(ENCRYPTED_FIELD)
        if token is None:
            return obj
        try:
            secret = orjson.loads(self._fernet.decrypt(token.encode()))
        except InvalidToken as error:
            name = obj.get("metadata", {}).get("name")
            raise DecryptionError(f"secret {name!r} cannot be decrypted with this key") from error
        opened = {key: value for key, value in obj.items() if key != ENCRYPTED_FIELD}
        opened.update(secret)
        return opened
