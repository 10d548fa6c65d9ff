"""What the API process adds to uvicorn: requests uvicorn itself refuses get the JSON error format.

A request line or header block uvicorn cannot parse (e.g. a URL over the parser's 64 KiB) never
reaches the app: uvicorn answers ``400 Invalid HTTP request received.`` in plain text. ``install()``
(called by ``app.main``, so in every worker uvicorn starts) makes that answer the API's JSON error,
``{"error": "bad_request", "message": ..., "request_id": ...}`` with ``x-request-id``. It replaces the
one method uvicorn's h11 and httptools protocols use for it, and leaves everything else as it is.
"""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

log = logging.getLogger("app")

MESSAGE = (
    "the request could not be parsed: its request line or headers are malformed or too long "
    "(the URL and headers must fit in 64 KiB)"
)


def json_400(protocol: Any, msg: str) -> None:
    """Write a JSON 400 and close the connection (the same bytes for either protocol)."""
    rid = uuid.uuid4().hex
    body = json.dumps({"error": "bad_request", "message": MESSAGE, "request_id": rid}).encode()
    head = [b"HTTP/1.1 400 Bad Request\r\n"]
    for name, value in getattr(getattr(protocol, "server_state", None), "default_headers", []):
        head.append(name + b": " + value + b"\r\n")
    head += [
        b"content-type: application/json\r\n",
        b"content-length: " + str(len(body)).encode() + b"\r\n",
        b"x-request-id: " + rid.encode() + b"\r\n",
        b"connection: close\r\n\r\n",
    ]
    log.warning("unparsable request refused", extra={"fields": {"request_id": rid, "reason": msg}})
    protocol.transport.write(b"".join(head) + body)
    protocol.transport.close()


def install() -> list[str]:
    """Route uvicorn's plain-text 400s through ``json_400``; returns the protocols patched."""
    patched = []
    for module, name in (
        ("uvicorn.protocols.http.httptools_impl", "HttpToolsProtocol"),
        ("uvicorn.protocols.http.h11_impl", "H11Protocol"),
    ):
        try:
            protocol = getattr(__import__(module, fromlist=[name]), name)
        except (ImportError, AttributeError):  # httptools not installed, or another uvicorn layout
            continue
        if hasattr(protocol, "send_400_response"):
            protocol.send_400_response = json_400
            patched.append(name)
    return patched
