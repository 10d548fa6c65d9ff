"""Query and path parameters shared by the routers (types, bounds and descriptions in one place)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import Path, Query

from app import models

DateQ = Annotated[dt.date | None, Query(description="First day (YYYY-MM-DD). Default depends on the endpoint.")]
EndQ = Annotated[dt.date | None, Query(description="Last day, inclusive (default: the last order date).")]
CountryQ = Annotated[
    str | None,
    Query(
        min_length=2,
        max_length=64,
        pattern=r"^[A-Za-z][A-Za-z .'-]*$",
        description="Country code as stored in the orders (e.g. US).",
    ),
]
CategoryQ = Annotated[str | None, Query(min_length=1, max_length=64, description="Product category.")]
PageQ = Annotated[int, Query(ge=1, le=100_000, description="1-based page number.")]
PageSizeQ = Annotated[int, Query(ge=1, le=1000, description="Rows per page (at most 1000).")]
LimitQ = Annotated[int, Query(ge=1, le=1000, description="Rows to return (at most 1000).")]
IdPath = Annotated[int, Path(ge=1, le=2**62, description="A positive id.")]
IdQ = Annotated[int | None, Query(ge=1, le=2**62)]

ERRORS = {code: {"model": models.Error} for code in (400, 401, 403, 404, 413, 422, 503)}
READ_ERRORS = {code: {"model": models.Error} for code in (404, 422, 503)}
