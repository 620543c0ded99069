"""Store errors: one type per outcome, so callers never parse messages."""


class StoreError(Exception):
    """Base of every store failure."""


class NotFoundError(StoreError):
    pass


class AlreadyExistsError(StoreError):
    pass


class ConflictError(StoreError):
    """The object changed since the caller read it (stale resourceVersion)."""


class ExpiredError(StoreError):
    """The requested revision is older than what the store retains: list again."""

    def __init__(self, requested: int, oldest: int) -> None:
        super().__init__(f"too old resource version: {requested} ({oldest})")
        self.requested = requested
        self.oldest = oldest


class InvalidObjectError(StoreError):
    """The object breaks a store invariant (immutable field, resourceVersion on create...)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class UnavailableError(StoreError):
    """The backend cannot be reached right now; retry later."""


class TooLargeError(StoreError):
    """The encoded object exceeds what the store holds (etcd: `request is too large`)."""

    def __init__(self, *, size: int, limit: int) -> None:
        super().__init__(f"request is too large: {size} bytes, limit is {limit}")
        self.size = size
        self.limit = limit


class ObjectTooDeepError(InvalidObjectError):
    """The object nests deeper than the store's bound: walks over it would not be safe."""

    def __init__(self, field: str, *, max_depth: int) -> None:
        super().__init__(field, f"exceeded max depth of {max_depth}")
        self.max_depth = max_depth
