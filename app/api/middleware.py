"""One pure-ASGI middleware: request ids, timing, metrics, one log line per request, the upload size
limit, and the JSON 500 for anything unhandled (with the request id in the body and ``x-request-id``)."""

from __future__ import annotations

import logging
import time
import uuid
from typing import Any

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app import logs, metrics
from app.settings import Settings

log = logging.getLogger("app")


class BodyTooLarge(Exception):
    pass


def too_large(limit: int) -> dict[str, str]:
    return {
        "error": "too_large",
        "message": f"the upload is larger than the limit of {limit:,} bytes (STACKS_APP_MAX_UPLOAD_BYTES)",
    }


def internal_error(rid: str) -> dict[str, str]:
    return {"error": "internal", "message": f"internal error (request id {rid})", "request_id": rid}


async def send_json(send: Send, status: int, body: dict[str, Any], rid: str) -> None:
    response = JSONResponse(body, status_code=status, headers={"x-request-id": rid})
    await send({"type": "http.response.start", "status": status, "headers": response.raw_headers})
    await send({"type": "http.response.body", "body": response.body})


def request_id(scope: Scope) -> str:
    """The caller's ``x-request-id`` when it is short and printable, else a new one."""
    for name, value in scope.get("headers") or []:
        if name == b"x-request-id":
            incoming = value.decode("latin-1")
            if incoming and len(incoming) <= 128 and incoming.isprintable():
                return incoming
    return uuid.uuid4().hex


class AppMiddleware:
    """Request ids, timing, metrics, one log line per request, and the upload size limit."""

    def __init__(self, app: ASGIApp, settings: Settings):
        self.app = app
        self.limit = settings.max_upload_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        rid = request_id(scope)
        token = logs.request_id.set(rid)
        status = {"code": 500, "started": False, "done": False}
        try:
            if scope["method"] == "POST":
                if self._declared_too_large(scope):
                    status["done"] = True
                    self._finish(scope, 413, started)
                    await send_json(send, 413, too_large(self.limit), rid)
                    return
                receive = self._limited(scope, receive)
            await self._serve(scope, receive, send, rid, status, started)
        finally:
            if not status["done"]:
                self._finish(scope, int(status["code"]), started)
            logs.request_id.reset(token)

    def _declared_too_large(self, scope: Scope) -> bool:
        length = dict(scope.get("headers") or []).get(b"content-length")
        return length is not None and length.isdigit() and int(length) > self.limit

    def _limited(self, scope: Scope, receive: Receive) -> Receive:
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    scope.setdefault("state", {})["body_too_large"] = True
                    raise BodyTooLarge()
            return message

        return limited

    async def _serve(self, scope: Scope, receive: Receive, send: Send, rid: str, status: dict, started: float) -> None:
        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                status["started"] = True
                message["headers"] = [*message.get("headers", []), (b"x-request-id", rid.encode("latin-1"))]
            elif message["type"] == "http.response.body" and not message.get("more_body") and not status["done"]:
                # Counted before the last byte leaves: a client that has its answer finds it in /metrics.
                status["done"] = True
                self._finish(scope, int(status["code"]), started)
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        except BodyTooLarge:
            if not status["started"]:
                status["code"], status["done"] = 413, True
                self._finish(scope, 413, started)
                await send_json(send, 413, too_large(self.limit), rid)
        except Exception:
            log.exception("unhandled error")
            if status["started"]:
                raise  # the response is under way: nothing else can be sent
            status["code"], status["done"] = 500, True
            self._finish(scope, 500, started)
            await send_json(send, 500, internal_error(rid), rid)

    @staticmethod
    def _finish(scope: Scope, code: int, started: float) -> None:
        elapsed = time.perf_counter() - started
        route = getattr(scope.get("route"), "path", None) or "unmatched"
        metrics.observe(scope["method"], route, code, elapsed)
        if log.isEnabledFor(logging.INFO):
            log.info(
                "request",
                extra={
                    "fields": {
                        "method": scope["method"],
                        "path": scope["path"],
                        "route": route,
                        "status": code,
                        "ms": round(elapsed * 1000, 2),
                    }
                },
            )
