"""The data: tables and the published version, the ingest history, and uploads into a new version."""

from __future__ import annotations

import logging
import shutil
import uuid
from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from app import models, repository
from app.api.deps import EngineDep, SettingsDep, WriterDep
from app.api.params import ERRORS, READ_ERRORS, PageQ, PageSizeQ
from app.api.upload import UPLOAD_BODY, receive_upload
from app.ingest.load import ingest as run_ingest

log = logging.getLogger("app")

router = APIRouter(prefix="/api/v1", tags=["data"])


@router.get("/datasets", response_model=models.Datasets, responses=READ_ERRORS)
def datasets(engine: EngineDep) -> dict[str, Any]:
    """Tables with row counts, the published version and each table's last ingest."""
    return repository.datasets(engine)


@router.get("/ingests", response_model=models.IngestPage, responses=READ_ERRORS)
def ingests(engine: EngineDep, page: PageQ = 1, page_size: PageSizeQ = 50) -> dict[str, Any]:
    """The ingest history, newest first."""
    return repository.ingests(engine, page, page_size)


@router.post(
    "/ingest/{table}",
    response_model=models.IngestResult,
    responses=ERRORS,
    openapi_extra={"requestBody": UPLOAD_BODY},
)
async def ingest(
    request: Request,
    settings: SettingsDep,
    _writer: WriterDep,
    table: models.TableName,
    mode: models.IngestMode = models.IngestMode.REPLACE,
) -> dict[str, Any]:
    """Load a CSV or Parquet upload (multipart field `file`) into a table, replace or append, rebuild
    the derived tables and publish the new version atomically. Needs X-API-Key when the server has a key."""
    database = settings.database_path
    # One directory per request: whatever happens (size limit, bad body, failed ingest), it goes.
    workdir = database.parent / ".uploads" / uuid.uuid4().hex
    try:
        upload = await receive_upload(request, workdir)
        result = await run_in_threadpool(
            run_ingest,
            database,
            {table.value: [(upload.path, upload.name)]},
            mode.value,
            source_label=f"upload {upload.name}",
            threads=settings.threads,
            memory_limit=settings.ingest_memory_limit,
            bounds=settings.date_bounds,
        )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    log.info(
        "ingested",
        extra={
            "fields": {
                "table": table.value,
                "rows": result.tables.get(table.value),
                "mode": mode.value,
                "version": result.version,
            }
        },
    )
    return result.to_dict()
