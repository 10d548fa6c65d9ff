"""Per-worker response cache for the read API: every data version is immutable, so a GET's answer is a
function of (data version, path, query string) until the next publish.

A hit skips routing, validation and the query engine: the stored body goes out with its ``ETag``, a
``Cache-Control`` telling clients to revalidate, and gzip when the client accepts it and the body is
large. ``If-None-Match`` with the current ETag answers 304. A new data version (the engine's
``data_version()`` changes) makes every older entry unreachable; they age out of the LRU.
Only successful JSON answers of ``/api/v1/`` GETs are stored. ``STACKS_APP_RESPONSE_CACHE_BYTES=0``
turns the cache (and these headers) off: every request is answered by the engine.
"""

from __future__ import annotations

import gzip
import hashlib
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app import metrics
from app.api.deps import engine_of
from app.engines.local import DuckDBEngine

CACHE_CONTROL = b"public, max-age=0, must-revalidate"
GZIP_MIN_BYTES = 1024
CACHED_PREFIX = "/api/v1/"


@dataclass(frozen=True)
class Entry:
    body: bytes
    gzipped: bytes | None
    etag: bytes
    route: Any  # the matched route, for the metrics and logs of the requests the entry answers

    @property
    def size(self) -> int:
        return len(self.body) + len(self.gzipped or b"") + 200


class Lru:
    """Entries by key, least recently used first; at most ``capacity`` bytes."""

    def __init__(self, capacity: int):
        self.capacity = capacity
        self.used = 0
        self.entries: OrderedDict[tuple, Entry] = OrderedDict()

    def get(self, key: tuple) -> Entry | None:
        entry = self.entries.get(key)
        if entry is not None:
            self.entries.move_to_end(key)
        return entry

    def put(self, key: tuple, entry: Entry) -> None:
        if entry.size > self.capacity // 8:
            return  # one huge answer would evict everything else
        old = self.entries.pop(key, None)
        if old is not None:
            self.used -= old.size
        self.entries[key] = entry
        self.used += entry.size
        while self.used > self.capacity:
            _, evicted = self.entries.popitem(last=False)
            self.used -= evicted.size


def make_entry(body: bytes, route: Any) -> Entry:
    etag = b'"' + hashlib.blake2b(body, digest_size=12).hexdigest().encode() + b'"'
    gzipped = gzip.compress(body, compresslevel=5, mtime=0) if len(body) >= GZIP_MIN_BYTES else None
    return Entry(body, gzipped, etag, route)


def _header(scope: Scope, name: bytes) -> bytes:
    for key, value in scope.get("headers") or []:
        if key == name:
            return value
    return b""


def _matches(if_none_match: bytes, etag: bytes) -> bool:
    tags = [t.strip().removeprefix(b"W/") for t in if_none_match.split(b",")]
    return etag in tags or b"*" in tags


def _cacheable(messages: list[Message]) -> bytes | None:
    """The body of a 200 JSON answer, or None."""
    start = messages[0] if messages else {}
    content_type = dict(start.get("headers", [])).get(b"content-type", b"")
    if start.get("status") != 200 or not content_type.startswith(b"application/json"):
        return None
    return b"".join(m.get("body", b"") for m in messages[1:])


class ResponseCache:
    def __init__(self, app: ASGIApp, capacity: int):
        self.app = app
        self.lru = Lru(capacity)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET" or not scope["path"].startswith(CACHED_PREFIX):
            await self.app(scope, receive, send)
            return
        version = await self._version(scope)
        if version is None:
            await self.app(scope, receive, send)
            return
        key = (version, scope["path"], scope.get("query_string", b""))
        entry = self.lru.get(key)
        if entry is not None:
            metrics.cache_lookup(hit=True)
            scope["route"] = entry.route
            await self._send(scope, send, entry, b"hit")
            return
        metrics.cache_lookup(hit=False)
        messages: list[Message] = []

        async def collect(message: Message) -> None:
            messages.append(message)

        await self.app(scope, receive, collect)
        body = _cacheable(messages)
        if body is None:  # not a cacheable answer: send it as it was
            for message in messages:
                await send(message)
            return
        entry = make_entry(body, scope.get("route"))
        self.lru.put(key, entry)
        await self._send(scope, send, entry, b"miss")

    async def _version(self, scope: Scope) -> str | None:
        engine = engine_of(scope["app"])
        if isinstance(engine, DuckDBEngine):  # one stat: cheaper than a thread hop
            return engine.data_version()
        return await run_in_threadpool(engine.data_version)

    @staticmethod
    async def _send(scope: Scope, send: Send, entry: Entry, state: bytes) -> None:
        headers = [
            (b"etag", entry.etag),
            (b"cache-control", CACHE_CONTROL),
            (b"vary", b"Accept-Encoding"),
            (b"x-cache", state),
        ]
        if _matches(_header(scope, b"if-none-match"), entry.etag):
            await send({"type": "http.response.start", "status": 304, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return
        body = entry.body
        if entry.gzipped is not None and b"gzip" in _header(scope, b"accept-encoding"):
            body = entry.gzipped
            headers.append((b"content-encoding", b"gzip"))
        headers += [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})
