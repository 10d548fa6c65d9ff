"""Query and path parameters shared by the routers (types, bounds and descriptions in one place)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

from fastapi import Path, Query
from pydantic import BeforeValidator

from app import models

ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _iso_only(value: Any) -> Any:
    # pydantic also reads "0" or "1700000000" as a Unix time: a date parameter takes YYYY-MM-DD only.
    if isinstance(value, str) and not ISO_DATE.match(value):
        raise ValueError("must be an ISO date, YYYY-MM-DD")
    return value


IsoDate = Annotated[dt.date, BeforeValidator(_iso_only)]
DateQ = Annotated[
    IsoDate | None,
    Query(description="First day (YYYY-MM-DD). Default depends on the endpoint.", examples=["2025-01-01"]),
]
EndQ = Annotated[
    IsoDate | None,
    Query(description="Last day, inclusive (default: as_of, the last order date).", examples=["2025-12-31"]),
]
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
LegacyLimitQ = Annotated[
    int | None, Query(ge=1, le=1000, deprecated=True, description="Former name of page_size (first page only).")
]
IdPath = Annotated[int, Path(ge=1, le=2**62, description="A positive id.")]
IdQ = Annotated[int | None, Query(ge=1, le=2**62)]

ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": models.Error} for code in (400, 401, 403, 404, 413, 422, 503)
}
READ_ERRORS: dict[int | str, dict[str, Any]] = {code: {"model": models.Error} for code in (404, 422, 503)}


def page_of(page: int, page_size: int, limit: int | None) -> tuple[int, int]:
    """(page, page_size), with the former ``limit`` parameter meaning page_size when given."""
    return (page, limit) if limit is not None else (page, page_size)
