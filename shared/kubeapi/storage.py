"""What the API needs from storage and from its hooks, as protocols.

`ObjectStore` (memory or JetStream) fulfils `Storage`; so does the gateway's cache-backed
store, which serves reads from informers and sends writes and watches to the store.
"""

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from shared.api.meta import LabelSelector
from shared.api.resources import ResourceType
from shared.kubeapi.statuses import FieldCause
from shared.store.objects import DeleteResult, ObjectList, WatchEvent

Object = dict[str, Any]


class Storage(Protocol):
    async def get(self, resource: ResourceType, namespace: str | None, name: str) -> Object: ...

    async def list(
        self,
        resource: ResourceType,
        *,
        namespace: str | None = None,
        label_selector: LabelSelector | None = None,
    ) -> ObjectList: ...

    async def create(self, resource: ResourceType, obj: Object) -> Object: ...

    async def update(self, resource: ResourceType, obj: Object) -> Object: ...

    async def update_status(self, resource: ResourceType, obj: Object) -> Object: ...

    async def delete(
        self,
        resource: ResourceType,
        namespace: str | None,
        name: str,
        *,
        uid: str | None = None,
        resource_version: str | None = None,
    ) -> DeleteResult: ...

    def watch(
        self, resource: ResourceType, *, namespace: str | None = None, after_revision: int
    ) -> AsyncIterator[WatchEvent]: ...


Validator = Callable[[ResourceType, Object, bool], "list[FieldCause] | Awaitable[list[FieldCause]]"]
"""`validate(resource_type, obj, strict)`: the causes that make `obj` invalid (none: valid).
`strict` asks for unknown fields to be reported too (`fieldValidation=Strict`)."""


@dataclass(frozen=True)
class User:
    name: str
    groups: tuple[str, ...] = ()


Authenticator = Callable[[str], Awaitable[User | None]]
"""Bearer token -> the user it identifies, or None (the request then gets 401)."""


def static_tokens(tokens: dict[str, str]) -> Authenticator:
    """An authenticator for fixed `token -> user name` pairs (kubeconfigs Navarch writes)."""

    async def authenticate(token: str) -> User | None:
        name = tokens.get(token)
        return User(name) if name is not None else None

    return authenticate
