"""Every error as JSON ``{error, message[, problems, total_problems]}`` with its 4xx status."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.api.middleware import too_large
from app.errors import AppError


async def app_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AppError)
    return JSONResponse(exc.to_dict(), status_code=exc.status)


async def invalid_request(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = []
    for e in exc.errors():
        loc = [str(p) for p in e.get("loc", ())]
        problems.append(
            {
                "column": ".".join(loc[1:]) or ".".join(loc),
                "where": loc[0] if loc else None,
                "message": e.get("msg", "invalid"),
            }
        )
    first = problems[0] if problems else {"column": "", "message": "invalid request"}
    return JSONResponse(
        {
            "error": "invalid_request",
            "message": f"{first['column']}: {first['message']}" if first["column"] else first["message"],
            "problems": problems,
            "total_problems": len(problems),
        },
        status_code=422,
    )


async def http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    if request.scope.get("state", {}).get("body_too_large"):
        return JSONResponse(too_large(request.app.state.settings.max_upload_bytes), status_code=413)
    code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
    return JSONResponse(
        {"error": code, "message": str(exc.detail)},
        status_code=exc.status_code,
        headers=getattr(exc, "headers", None),
    )


def install(app: FastAPI) -> None:
    app.add_exception_handler(AppError, app_error)
    app.add_exception_handler(RequestValidationError, invalid_request)
    app.add_exception_handler(StarletteHTTPException, http_error)
