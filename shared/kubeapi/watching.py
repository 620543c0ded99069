"""Watch streams: one JSON event per line, chunked, with bookmarks, timeouts and selectors.

Without a resourceVersion (or with "0") the stream starts with a synthetic ADDED per
existing object, then follows changes from the list's revision; with one it follows
changes after it. A revision the store no longer retains ends the stream with one ERROR
event carrying `410 Expired`, after HTTP 200, as kube-apiserver does.

With selectors, an object that stops matching is sent as DELETED and one that starts
matching as ADDED, so a client's cache of the selected set stays right.
"""

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import AsyncIterator
from typing import Any

import orjson
from aiohttp import web

from shared.kubeapi import statuses, tables
from shared.kubeapi.listing import Selection, object_key
from shared.kubeapi.targets import Target, present
from shared.kubeapi.writing import ObjectWriter
from shared.store.errors import ExpiredError, StoreError
from shared.store.objects import WatchEvent

log = logging.getLogger(__name__)

Object = dict[str, Any]
DISCONNECT_CHECK_S = 1.0


def _timeout(handlers: ObjectWriter, request: web.Request) -> float:
    raw = request.query.get("timeoutSeconds")
    if raw:
        try:
            return max(float(raw), 0.0)
        except ValueError as error:
            raise statuses.bad_request(f"invalid timeoutSeconds: {raw}") from error
    base = handlers.settings.min_request_timeout_s
    return base * (1 + random.random())


def _start_revision(request: web.Request) -> int | None:
    raw = request.query.get("resourceVersion", "")
    if raw in ("", "0"):
        return None
    try:
        return int(raw)
    except ValueError as error:
        raise statuses.bad_request(f'invalid resource version: "{raw}"') from error


class _Stream:
    """Encodes events for one watch request (plain objects or Table rows)."""

    def __init__(self, response: web.StreamResponse, target: Target, *, as_table: bool) -> None:
        self.response = response
        self.target = target
        self.as_table = as_table

    async def send(self, event_type: str, obj: Object) -> None:
        if event_type in ("ERROR", "BOOKMARK"):
            body = obj
        elif self.as_table:
            meta = {"resourceVersion": obj["metadata"].get("resourceVersion", "")}
            body = tables.table(self.target.kind, [obj], list_meta=meta)
        else:
            body = present(self.target.kind, obj)
        await self.response.write(orjson.dumps({"type": event_type, "object": body}) + b"\n")

    async def bookmark(self, revision: int, *, initial_events_end: bool = False) -> None:
        """A progress mark; the one ending a watch-list's initial events says so."""
        kind = self.target.kind
        metadata: Object = {"resourceVersion": str(revision)}
        if initial_events_end:
            metadata["annotations"] = {"k8s.io/initial-events-end": "true"}
        body = {"kind": kind.kind, "apiVersion": kind.resource.api_version, "metadata": metadata}
        await self.send("BOOKMARK", body)


class _Selected:
    """Turns store events into the events a selecting watcher must see."""

    def __init__(self, selection: Selection) -> None:
        self.selection = selection
        self.matching: set[str] = set()

    def seed(self, items: list[Object]) -> None:
        self.matching = {object_key(item) for item in items if self.selection.matches(item)}

    def translate(self, event: WatchEvent) -> str | None:
        if self.selection.empty:
            return event.type
        key = object_key(event.object)
        was = key in self.matching
        now = event.type != "DELETED" and self.selection.matches(event.object)
        if now:
            self.matching.add(key)
            return "MODIFIED" if was else "ADDED"
        self.matching.discard(key)
        return "DELETED" if was else None


async def serve_watch(
    handlers: ObjectWriter, request: web.Request, target: Target, selection: Selection
) -> web.StreamResponse:
    timeout = _timeout(handlers, request)
    deadline = time.monotonic() + timeout
    initial_events = request.query.get("sendInitialEvents", "").lower() in ("1", "true")
    start = None if initial_events else _start_revision(request)
    bookmarks = request.query.get("allowWatchBookmarks", "").lower() in ("1", "true")
    interval = handlers.settings.bookmark_interval_s
    selected = _Selected(selection)
    initial: list[Object] = []
    if start is None or not selection.empty:
        listed = await handlers.storage.list(
            target.resource, namespace=target.namespace, label_selector=selection.labels
        )
        matching = [item for item in listed.items if selection.fields.matches(item)]
        selected.seed(matching)
        if start is None:
            initial, start = matching, listed.revision
    response = web.StreamResponse(headers={"Content-Type": "application/json"})
    response.enable_chunked_encoding()
    await response.prepare(request)
    stream = _Stream(
        response, target, as_table=tables.wants_table(request.headers.get("Accept", ""))
    )
    last = start
    try:
        for obj in initial:
            await stream.send("ADDED", obj)
        if initial_events:
            await stream.bookmark(start, initial_events_end=True)
        events = handlers.storage.watch(
            target.resource, namespace=target.namespace, after_revision=start
        )
        last = await _follow(
            handlers,
            request,
            stream,
            events,
            selected=selected,
            last=last,
            deadline=deadline,
            bookmark_interval=interval if bookmarks else None,
        )
        if bookmarks and time.monotonic() >= deadline:
            await stream.bookmark(last)
        await response.write_eof()
    except (ConnectionResetError, ConnectionError):
        log.debug("watch client went away")
    return response


async def _follow(
    handlers: ObjectWriter,
    request: web.Request,
    stream: _Stream,
    events: AsyncIterator[WatchEvent],
    *,
    selected: _Selected,
    last: int,
    deadline: float,
    bookmark_interval: float | None,
) -> int:
    """Relay events until the deadline, the client leaves, or the server closes."""
    next_bookmark = time.monotonic() + bookmark_interval if bookmark_interval else None
    pending = handlers.tasks.start(_next(events), name="watch/next")
    closing = handlers.tasks.start(handlers.closing.wait(), name="watch/closing")
    try:
        while True:
            now = time.monotonic()
            if now >= deadline or handlers.closing.is_set() or _gone(request):
                return last
            wake = min(deadline, now + DISCONNECT_CHECK_S)
            if next_bookmark is not None:
                wake = min(wake, next_bookmark)
            done, _ = await asyncio.wait(
                {pending, closing}, timeout=max(wake - now, 0), return_when=asyncio.FIRST_COMPLETED
            )
            if pending in done:
                event = pending.result()
                if isinstance(event, ExpiredError):
                    await stream.send("ERROR", statuses.expired(str(event)).status())
                    return last
                if isinstance(event, StoreError):
                    await stream.send("ERROR", statuses.internal(str(event)).status())
                    return last
                if event is None:
                    return last
                last = event.revision
                event_type = selected.translate(event)
                if event_type is not None:
                    await stream.send(event_type, event.object)
                pending = handlers.tasks.start(_next(events), name="watch/next")
            if next_bookmark is not None and time.monotonic() >= next_bookmark:
                await stream.bookmark(last)
                next_bookmark = time.monotonic() + (bookmark_interval or 0)
    finally:
        for task in (pending, closing):
            task.cancel()
        await asyncio.gather(pending, closing, return_exceptions=True)
        with contextlib.suppress(Exception):
            await events.aclose()  # type: ignore[attr-defined]


async def _next(events: AsyncIterator[WatchEvent]) -> WatchEvent | StoreError | None:
    """The next event, the store's error as a value (not a failed task), or None at the end."""
    try:
        return await anext(events)
    except StopAsyncIteration:
        return None
    except StoreError as error:
        return error


def _gone(request: web.Request) -> bool:
    transport = request.transport
    return transport is None or transport.is_closing()
