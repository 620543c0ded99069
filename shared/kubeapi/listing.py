"""List semantics: field selectors, label selectors, pages and continue tokens.

Every page of a paginated list comes from the snapshot the first page was cut from, as
etcd-backed lists do: the snapshot stays in memory for a while under an id the continue
token carries. A token whose snapshot is gone (too old, or minted by another replica)
gets 410 Expired with a token that continues inconsistently from the same key.
"""

import base64
import binascii
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson

from shared.api.kind_table import Kind
from shared.api.meta import LabelSelector
from shared.api.selectors import SelectorSyntaxError, parse_label_selector
from shared.kubeapi import statuses

Object = dict[str, Any]

_COMMON_FIELDS = ("metadata.name", "metadata.namespace")
_KIND_FIELDS: dict[tuple[str, str], tuple[str, ...]] = {
    ("", "pods"): (
        "spec.nodeName",
        "spec.restartPolicy",
        "spec.schedulerName",
        "spec.serviceAccountName",
        "spec.hostNetwork",
        "status.phase",
        "status.podIP",
        "status.nominatedNodeName",
    ),
    ("", "events"): (
        "involvedObject.kind",
        "involvedObject.namespace",
        "involvedObject.name",
        "involvedObject.uid",
        "involvedObject.apiVersion",
        "involvedObject.resourceVersion",
        "involvedObject.fieldPath",
        "reason",
        "reportingComponent",
        "source",
        "type",
    ),
    ("", "secrets"): ("type",),
    ("", "namespaces"): ("status.phase",),
    ("", "nodes"): ("spec.unschedulable",),
    ("", "replicationcontrollers"): ("status.replicas",),
    ("apps", "replicasets"): ("status.replicas",),
    ("batch", "jobs"): ("status.successful",),
}


@dataclass(frozen=True)
class FieldRequirement:
    field: str
    value: str
    equal: bool


@dataclass(frozen=True)
class FieldSelector:
    requirements: tuple[FieldRequirement, ...] = ()

    def matches(self, obj: Object) -> bool:
        return all((field_value(obj, r.field) == r.value) == r.equal for r in self.requirements)

    def __bool__(self) -> bool:
        return bool(self.requirements)


def field_value(obj: Object, path: str) -> str:
    """A selectable field as Kubernetes renders it: missing -> "", booleans lowercase."""
    node: Any = obj
    if path == "source":
        node = (obj.get("source") or {}).get("component", "")
        return str(node)
    for part in path.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    if node is None:
        return ""
    if isinstance(node, bool):
        return "true" if node else "false"
    return str(node)


def parse_field_selector(text: str | None, kind: Kind) -> FieldSelector:
    """`a=b,c!=d`; a field the kind does not support -> 400 `field label not supported`."""
    if not text:
        return FieldSelector()
    supported = _COMMON_FIELDS + _KIND_FIELDS.get((kind.group, kind.plural), ())
    requirements = []
    for term in text.split(","):
        term = term.strip()
        if not term:
            continue
        for operator in ("!=", "==", "="):
            if operator in term:
                field, _, value = term.partition(operator)
                break
        else:
            raise statuses.bad_request(f"invalid selector: '{text}'; can't understand '{term}'")
        field = field.strip()
        if field not in supported:
            raise statuses.bad_request(f"field label not supported: {field}")
        requirements.append(FieldRequirement(field, value.strip(), operator != "!="))
    return FieldSelector(tuple(requirements))


def parse_labels(text: str | None) -> LabelSelector:
    try:
        return parse_label_selector(text)
    except SelectorSyntaxError as error:
        raise statuses.bad_request(f"unable to parse requirement: {error}") from error


@dataclass(frozen=True)
class Selection:
    """What a list or watch request selects (besides namespace)."""

    labels: LabelSelector
    fields: FieldSelector
    label_text: str = ""

    def matches(self, obj: Object) -> bool:
        metadata = obj.get("metadata") or {}
        return self.labels.matches(metadata.get("labels") or {}) and self.fields.matches(obj)

    @property
    def empty(self) -> bool:
        return not self.label_text and not self.fields


def object_key(obj: Object) -> str:
    metadata = obj.get("metadata") or {}
    return f"{metadata.get('namespace', '')}/{metadata.get('name', '')}"


@dataclass(frozen=True)
class ContinueToken:
    revision: int
    start: str
    snapshot: str
    """Snapshot id; empty for an inconsistent continuation (read the live state from `start`)."""

    def encode(self) -> str:
        raw = orjson.dumps(
            {"v": "meta.k8s.io/v1", "rv": self.revision, "start": self.start, "id": self.snapshot}
        )
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str) -> "ContinueToken":
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
            data = orjson.loads(raw)
            return cls(int(data["rv"]), str(data["start"]), str(data.get("id", "")))
        except (binascii.Error, ValueError, KeyError, TypeError, orjson.JSONDecodeError) as error:
            raise statuses.bad_request(f"continue key is not valid: {error}") from error


@dataclass
class _Snapshot:
    items: list[Object]
    revision: int
    expires: float


EXPIRED_CONTINUE_MESSAGE = (
    "The provided continue parameter is too old to display a consistent list result. You can "
    "start a new list without the continue parameter, or use the continue token in this "
    "response to retrieve the remainder of the results. Continuing with the provided token "
    "results in an inconsistent list - objects that were created, modified, or deleted between "
    "the time the first chunk was returned and now may show up in the list."
)


class ListSnapshots:
    """Bounded, time-limited memory of first pages' snapshots, keyed by the token's id."""

    def __init__(
        self,
        *,
        ttl_seconds: float = 300.0,
        max_snapshots: int = 64,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ttl = ttl_seconds
        self._max = max_snapshots
        self._clock = clock
        self._snapshots: OrderedDict[str, _Snapshot] = OrderedDict()

    def put(self, items: list[Object], revision: int) -> str:
        self._expire()
        snapshot_id = uuid.uuid4().hex
        self._snapshots[snapshot_id] = _Snapshot(items, revision, self._clock() + self._ttl)
        while len(self._snapshots) > self._max:
            self._snapshots.popitem(last=False)
        return snapshot_id

    def get(self, snapshot_id: str) -> list[Object] | None:
        self._expire()
        snapshot = self._snapshots.get(snapshot_id)
        return snapshot.items if snapshot else None

    def drop_all(self) -> None:
        """Forget every snapshot (tests and memory pressure): open tokens then expire."""
        self._snapshots.clear()

    def _expire(self) -> None:
        now = self._clock()
        for snapshot_id in [s for s, snap in self._snapshots.items() if snap.expires <= now]:
            del self._snapshots[snapshot_id]


@dataclass(frozen=True)
class Page:
    items: list[Object]
    revision: int
    continue_token: str | None
    remaining: int | None


def sort_items(items: list[Object]) -> list[Object]:
    return sorted(items, key=object_key)


def first_page(
    items: list[Object], *, revision: int, limit: int, snapshots: ListSnapshots, counted: bool
) -> Page:
    """Cut the first page of a sorted, selected list; remember the rest under a token."""
    if limit <= 0 or len(items) <= limit:
        return Page(items, revision, None, None)
    snapshot_id = snapshots.put(items, revision)
    return _cut(items, 0, revision=revision, limit=limit, snapshot=snapshot_id, counted=counted)


def page_from(items: list[Object], token: ContinueToken, *, limit: int, counted: bool) -> Page:
    """The page a token points at, cut from its snapshot (or the live list, when inconsistent)."""
    start = next((i for i, item in enumerate(items) if object_key(item) >= token.start), len(items))
    return _cut(
        items, start, revision=token.revision, limit=limit, snapshot=token.snapshot, counted=counted
    )


def _cut(
    items: list[Object], start: int, *, revision: int, limit: int, snapshot: str, counted: bool
) -> Page:
    end = start + limit if limit > 0 else len(items)
    page = items[start:end]
    if end >= len(items):
        return Page(page, revision, None, None)
    token = ContinueToken(revision, object_key(items[end]), snapshot).encode()
    return Page(page, revision, token, len(items) - end if counted else None)


def expired_continue(token: ContinueToken) -> statuses.ApiError:
    """410 with a token that resumes from the same key against the live state."""
    fresh = ContinueToken(token.revision, token.start, "").encode()
    return statuses.expired(EXPIRED_CONTINUE_MESSAGE, continue_token=fresh)
