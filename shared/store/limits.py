"""How large and how deep a stored object may be, checked before anything is written.

Size: etcd refuses requests over 1.5 MiB (`--max-request-bytes`), and NATS refuses
messages over the server's `max_payload`; the store's limit is the smaller of its own
(etcd's default) and what the backend can carry, so a write is never sent to fail there.
Depth: every recursive walk over stored objects (managed fields, patches, merges,
encoding) stays safe only up to a bound, which the store enforces on every write.
"""

from dataclasses import dataclass
from typing import Any

from shared import nesting
from shared.store.errors import ObjectTooDeepError, TooLargeError

ETCD_MAX_REQUEST_BYTES = 1572864
"""etcd's default `--max-request-bytes` (1.5 MiB): the object size Kubernetes users know."""
MAX_OBJECT_DEPTH = 128
"""Above the API's body bound (100), so managed fields and small patches of an object at
that bound still fit; far below what recursive walks and orjson (254) can take."""


@dataclass(frozen=True)
class ObjectLimits:
    max_object_bytes: int = ETCD_MAX_REQUEST_BYTES
    max_depth: int = MAX_OBJECT_DEPTH


def check_depth(obj: Any, *, max_depth: int) -> None:
    """ObjectTooDeepError naming the first field nested past `max_depth`."""
    path = nesting.too_deep(obj, max_depth=max_depth)
    if path is not None:
        raise ObjectTooDeepError(nesting.render(path), max_depth=max_depth)


def check_size(value: bytes, *, limit: int) -> None:
    if len(value) > limit:
        raise TooLargeError(size=len(value), limit=limit)
