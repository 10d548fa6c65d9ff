"""The routes' dependencies as ``Annotated`` aliases: the settings, the query engine, writer auth.

Each reads what ``create_app`` put on ``app.state``; tests swap one with ``app.dependency_overrides``
(e.g. ``app.dependency_overrides[get_engine] = lambda: fake``) instead of patching.
"""

from __future__ import annotations

import hmac
import ipaddress
from typing import Annotated

from fastapi import Depends, FastAPI, Request
from fastapi.security import APIKeyHeader

from app.engines.base import Engine
from app.errors import AppError
from app.settings import Settings


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_engine(request: Request) -> Engine:
    return request.app.state.engine


def engine_of(app: FastAPI) -> Engine:
    """The engine requests of ``app`` use, outside a request (the response cache): the override when a
    test set one with ``app.dependency_overrides[get_engine]``, else the app's."""
    override = app.dependency_overrides.get(get_engine)
    return override() if override is not None else app.state.engine


SettingsDep = Annotated[Settings, Depends(get_settings)]
EngineDep = Annotated[Engine, Depends(get_engine)]

API_KEY_HEADER = APIKeyHeader(
    name="X-API-Key", auto_error=False, description="The server's STACKS_APP_API_KEY; required by write endpoints."
)


def _loopback(request: Request) -> bool:
    host = request.client.host if request.client else ""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def require_writer(
    request: Request, settings: SettingsDep, supplied: Annotated[str | None, Depends(API_KEY_HEADER)] = None
) -> None:
    """Writes need the server's key in X-API-Key; a server without a key takes writes from loopback only."""
    if settings.read_only:
        raise AppError(403, "read_only", "this server is read-only (STACKS_APP_READ_ONLY)")
    if settings.api_key is not None:
        expected = settings.api_key.get_secret_value().encode()
        if supplied is None or not hmac.compare_digest(supplied.encode(), expected):
            raise AppError(401, "unauthorized", "a valid X-API-Key header is required for writes")
        return
    if not _loopback(request):
        raise AppError(
            401,
            "unauthorized",
            "writes need STACKS_APP_API_KEY on the server and X-API-Key "
            "in the request (without a key only loopback clients may write)",
        )


WriterDep = Annotated[None, Depends(require_writer)]
