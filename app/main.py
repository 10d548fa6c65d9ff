"""The FastAPI application: ``uvicorn app.main:app``.

Routers validate every parameter (types, enums, bounds) and call one function of
``app.repository``; errors are JSON ``{error, message[, problems]}`` with a 4xx
status. Health: ``/health`` (liveness), ``/ready`` (database loaded), ``/metrics``
(Prometheus). Interactive docs at ``/docs``.
"""

from __future__ import annotations

import datetime as dt
import hmac
import ipaddress
import logging
import os
import shutil
import time
import uuid
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import Depends, FastAPI, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse
from fastapi.security import APIKeyHeader
from starlette.exceptions import HTTPException as StarletteHTTPException

from app import logs, metrics, models, repository
from app.engine import Engine, create_engine
from app.errors import AppError
from app.settings import Settings, get_settings

log = logging.getLogger("app")

ERRORS = {code: {"model": models.Error} for code in (400, 401, 403, 404, 413, 422, 503)}
READ_ERRORS = {code: {"model": models.Error} for code in (404, 422, 503)}

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


class BodyTooLarge(Exception):
    pass


class AppMiddleware:
    """Request ids, timing, metrics, one log line per request, and the upload size limit (pure ASGI)."""

    def __init__(self, app, settings: Settings):
        self.app = app
        self.limit = settings.max_upload_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = time.perf_counter()
        headers = dict(scope.get("headers") or [])
        incoming = headers.get(b"x-request-id", b"").decode("latin-1")
        rid = incoming if incoming and len(incoming) <= 128 and incoming.isprintable() else uuid.uuid4().hex
        token = logs.request_id.set(rid)
        status = {"code": 500, "started": False, "done": False}

        if scope["method"] == "POST":
            length = headers.get(b"content-length")
            if length is not None and length.isdigit() and int(length) > self.limit:
                self._finish(scope, 413, started)
                await _send_json(send, 413, _too_large(self.limit), rid)
                logs.request_id.reset(token)
                return
            seen = 0
            inner_receive = receive

            async def receive():
                nonlocal seen
                message = await inner_receive()
                if message["type"] == "http.request":
                    seen += len(message.get("body", b""))
                    if seen > self.limit:
                        scope.setdefault("state", {})["body_too_large"] = True
                        raise BodyTooLarge()
                return message

        async def send_wrapper(message):
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                status["started"] = True
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", rid.encode("latin-1"))]
            elif message["type"] == "http.response.body" and not message.get("more_body") and not status["done"]:
                # Counted before the last byte leaves: a client that has its answer finds it in /metrics.
                status["done"] = True
                self._finish(scope, status["code"], started)
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        except BodyTooLarge:
            if not status["started"]:
                status["code"] = 413
                status["done"] = True
                self._finish(scope, 413, started)
                await _send_json(send, 413, _too_large(self.limit), rid)
        finally:
            if not status["done"]:
                self._finish(scope, status["code"], started)
            logs.request_id.reset(token)

    @staticmethod
    def _finish(scope, code: int, started: float) -> None:
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


def _too_large(limit: int) -> dict:
    return {
        "error": "too_large",
        "message": f"the upload is larger than the limit of {limit:,} bytes (STACKS_APP_MAX_UPLOAD_BYTES)",
    }


async def _send_json(send, status: int, body: dict, rid: str) -> None:
    response = JSONResponse(body, status_code=status, headers={"x-request-id": rid})
    await send({"type": "http.response.start", "status": status, "headers": response.raw_headers})
    await send({"type": "http.response.body", "body": response.body})


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        logs.setup(settings.log_level)
        if settings.api_key is None and not settings.read_only:
            log.warning("no STACKS_APP_API_KEY: write endpoints accept requests from loopback clients only")
        log.info(
            "worker started",
            extra={"fields": {"engine": settings.engine, "threads": settings.query_threads, "pid": os.getpid()}},
        )
        yield

    app = FastAPI(
        title="Shop Analytics API",
        version="1.0.0",
        description="E-commerce analytics over DuckDB: KPIs, revenue, products, customers, RFM segments, "
        "cohort retention, churn risk, orders, and atomic CSV/Parquet ingestion.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.engine = create_engine(settings)

    logs.setup(settings.log_level)
    if settings.cors_origins:
        from fastapi.middleware.cors import CORSMiddleware

        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["X-API-Key", "Content-Type", "X-Request-ID"],
        )
    app.add_middleware(AppMiddleware, settings=settings)
    _handlers(app)
    _routes(app)
    return app


def _handlers(app: FastAPI) -> None:
    @app.exception_handler(AppError)
    async def app_error(request: Request, exc: AppError):
        return JSONResponse(exc.to_dict(), status_code=exc.status)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError):
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

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        if request.scope.get("state", {}).get("body_too_large"):
            return JSONResponse(_too_large(request.app.state.settings.max_upload_bytes), status_code=413)
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return JSONResponse(
            {"error": code, "message": str(exc.detail)},
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(Exception)
    async def crash(request: Request, exc: Exception):
        log.exception("unhandled error")
        return JSONResponse(
            {"error": "internal", "message": f"internal error (request id {logs.request_id.get()})"}, status_code=500
        )


def engine_of(request: Request) -> Engine:
    return request.app.state.engine


EngineDep = Annotated[Engine, Depends(engine_of)]


API_KEY_HEADER = APIKeyHeader(
    name="X-API-Key", auto_error=False, description="The server's STACKS_APP_API_KEY; required by write endpoints."
)


def require_writer(request: Request, supplied: Annotated[str | None, Depends(API_KEY_HEADER)] = None) -> None:
    settings: Settings = request.app.state.settings
    if settings.read_only:
        raise AppError(403, "read_only", "this server is read-only (STACKS_APP_READ_ONLY)")
    if settings.api_key is not None:
        expected = settings.api_key.get_secret_value().encode()
        if supplied is None or not hmac.compare_digest(supplied.encode(), expected):
            raise AppError(401, "unauthorized", "a valid X-API-Key header is required for writes")
        return
    host = request.client.host if request.client else ""
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise AppError(
            401,
            "unauthorized",
            "writes need STACKS_APP_API_KEY on the server and X-API-Key "
            "in the request (without a key only loopback clients may write)",
        )


def _routes(app: FastAPI) -> None:
    @app.get("/health", response_model=models.Health, tags=["health"])
    def health():
        """Liveness: the process answers."""
        return {"status": "ok"}

    @app.get("/ready", response_model=models.Ready, tags=["health"], responses={503: {"model": models.Ready}})
    def ready(engine: EngineDep):
        """Readiness: the database is reachable and a dataset is loaded."""
        ok, detail = engine.ready()
        if ok:
            return {"status": "ready", "version": detail}
        return JSONResponse({"status": "not_ready", "detail": detail}, status_code=503)

    @app.get("/metrics", response_class=PlainTextResponse, tags=["health"])
    def prometheus():
        """Prometheus metrics (text exposition format)."""
        body, content_type = metrics.render()
        return PlainTextResponse(body, media_type=content_type)

    v1 = "/api/v1"

    @app.get(f"{v1}/kpis", response_model=models.Kpis, tags=["analytics"], responses=READ_ERRORS)
    def kpis(engine: EngineDep, start: DateQ = None, end: EndQ = None, country: CountryQ = None):
        """Revenue, orders, units, average order value and active customers for a period (default: the
        last 30 days of data), each with the previous period of the same length."""
        return repository.kpis(engine, start, end, country)

    @app.get(f"{v1}/revenue", response_model=models.RevenueSeries, tags=["analytics"], responses=READ_ERRORS)
    def revenue(
        engine: EngineDep,
        start: DateQ = None,
        end: EndQ = None,
        granularity: models.Granularity = models.Granularity.day,
        status: Annotated[
            list[models.Status] | None,
            Query(
                description="Order statuses to count (repeatable; default delivered, shipped, processing).",
                max_length=5,
            ),
        ] = None,
        country: CountryQ = None,
        category: CategoryQ = None,
    ):
        """Revenue, orders and units per day, week or month (default: the last 365 days of data)."""
        return repository.revenue(
            engine, start, end, granularity.value, [s.value for s in status] if status else None, country, category
        )

    @app.get(f"{v1}/products/top", response_model=models.TopProducts, tags=["products"], responses=READ_ERRORS)
    def top_products(
        engine: EngineDep,
        start: DateQ = None,
        end: EndQ = None,
        by: models.Rank = models.Rank.revenue,
        category: CategoryQ = None,
        limit: LimitQ = 10,
    ):
        """Best-selling products by revenue, units or orders in a period (default: last 30 days)."""
        return repository.top_products(engine, start, end, by.value, category, limit)

    @app.get(f"{v1}/products", response_model=models.ProductPage, tags=["products"], responses=READ_ERRORS)
    def products(
        engine: EngineDep,
        category: CategoryQ = None,
        sort: models.ProductSort = models.ProductSort.revenue,
        order: models.Direction = models.Direction.desc,
        page: PageQ = 1,
        page_size: PageSizeQ = 50,
    ):
        """The catalogue with all-time sales, paginated and sortable."""
        return repository.products(engine, category, sort.value, order.value, page, page_size)

    @app.get(
        f"{v1}/products/{{product_id}}", response_model=models.ProductDetail, tags=["products"], responses=READ_ERRORS
    )
    def product(engine: EngineDep, product_id: IdPath):
        """One product with its all-time sales and monthly history."""
        return repository.product(engine, product_id)

    @app.get(f"{v1}/categories", response_model=models.Categories, tags=["products"], responses=READ_ERRORS)
    def categories(engine: EngineDep, start: DateQ = None, end: EndQ = None):
        """Sales per product category in a period (default: last 30 days)."""
        return repository.categories(engine, start, end)

    @app.get(f"{v1}/countries", response_model=models.Countries, tags=["customers"], responses=READ_ERRORS)
    def countries(engine: EngineDep, start: DateQ = None, end: EndQ = None):
        """Customers (all time) and sales in a period (default: last 30 days) per country."""
        return repository.countries(engine, start, end)

    @app.get(f"{v1}/customers", response_model=models.CustomerPage, tags=["customers"], responses=READ_ERRORS)
    def customers(
        engine: EngineDep,
        country: CountryQ = None,
        segment: models.Segment | None = None,
        sort: models.CustomerSort = models.CustomerSort.revenue,
        order: models.Direction = models.Direction.desc,
        page: PageQ = 1,
        page_size: PageSizeQ = 50,
    ):
        """Customers with their order totals and RFM segment, paginated, sortable by a whitelist."""
        return repository.customers(
            engine, country, segment.value if segment else None, sort.value, order.value, page, page_size
        )

    @app.get(
        f"{v1}/customers/{{customer_id}}",
        response_model=models.CustomerDetail,
        tags=["customers"],
        responses=READ_ERRORS,
    )
    def customer(engine: EngineDep, customer_id: IdPath, orders: LimitQ = 20):
        """One customer: totals, RFM scores, churn risk and the most recent orders."""
        return repository.customer(engine, customer_id, orders)

    @app.get(f"{v1}/segments/rfm", response_model=models.RfmSegments, tags=["customers"], responses=READ_ERRORS)
    def rfm(engine: EngineDep, country: CountryQ = None):
        """Customers per RFM segment (recency, frequency, monetary quintiles; ties broken by customer id)."""
        return repository.rfm(engine, country)

    @app.get(f"{v1}/cohorts", response_model=models.Cohorts, tags=["customers"], responses=READ_ERRORS)
    def cohorts(
        engine: EngineDep,
        start: Annotated[
            dt.date | None, Query(description="First cohort month (default: 12 months before the last order).")
        ] = None,
        end: Annotated[dt.date | None, Query(description="Last cohort month.")] = None,
        months: Annotated[int, Query(ge=0, le=120, description="Months after the first order.")] = 12,
    ):
        """Monthly cohort retention: customers by first-order month, active again N months later."""
        return repository.cohorts(engine, start, end, months)

    @app.get(f"{v1}/churn-risk", response_model=models.ChurnRisk, tags=["customers"], responses=READ_ERRORS)
    def churn_risk(
        engine: EngineDep,
        country: CountryQ = None,
        min_orders: Annotated[int, Query(ge=2, le=10_000)] = 2,
        limit: LimitQ = 100,
    ):
        """Repeat customers whose silence exceeds twice their usual gap between orders (and 30 days),
        most valuable first."""
        return repository.churn_risk(engine, country, min_orders, limit)

    @app.get(f"{v1}/orders", response_model=models.OrderPage, tags=["orders"], responses=READ_ERRORS)
    def orders(
        engine: EngineDep,
        start: DateQ = None,
        end: EndQ = None,
        status: models.Status | None = None,
        country: CountryQ = None,
        customer_id: Annotated[int | None, Query(ge=1, le=2**62)] = None,
        product_id: Annotated[int | None, Query(ge=1, le=2**62)] = None,
        order: models.Direction = models.Direction.desc,
        page: PageQ = 1,
        page_size: PageSizeQ = 50,
    ):
        """Orders, newest first by default, filtered and paginated."""
        return repository.orders(
            engine,
            start,
            end,
            status.value if status else None,
            country,
            customer_id,
            product_id,
            order.value,
            page,
            page_size,
        )

    @app.get(f"{v1}/orders/{{order_id}}", response_model=models.OrderDetail, tags=["orders"], responses=READ_ERRORS)
    def order(engine: EngineDep, order_id: IdPath):
        """One order with its customer and product names."""
        return repository.order(engine, order_id)

    @app.get(f"{v1}/datasets", response_model=models.Datasets, tags=["data"], responses=READ_ERRORS)
    def datasets(engine: EngineDep):
        """Tables with row counts, the published version and each table's last ingest."""
        return repository.datasets(engine)

    @app.get(f"{v1}/ingests", response_model=models.IngestPage, tags=["data"], responses=READ_ERRORS)
    def ingests(engine: EngineDep, page: PageQ = 1, page_size: PageSizeQ = 50):
        """The ingest history, newest first."""
        return repository.ingests(engine, page, page_size)

    @app.post(
        f"{v1}/ingest/{{table}}",
        response_model=models.IngestResult,
        tags=["data"],
        responses=ERRORS,
        dependencies=[Depends(require_writer)],
        openapi_extra={"requestBody": UPLOAD_BODY},
    )
    async def ingest(request: Request, table: models.TableName, mode: models.IngestMode = models.IngestMode.replace):
        """Load a CSV or Parquet upload (multipart field `file`) into a table, replace or append, rebuild
        the derived tables and publish the new version atomically. Needs X-API-Key when the server has a key."""
        from starlette.concurrency import run_in_threadpool

        from app.ingest import ingest as run_ingest

        settings: Settings = request.app.state.settings
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


UPLOAD_BODY = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["file"],
                "properties": {
                    "file": {
                        "type": "string",
                        "format": "binary",
                        "description": "A CSV file with a header row, or a Parquet file.",
                    }
                },
            }
        }
    },
}


class Upload:
    def __init__(self, path, name: str):
        self.path = path
        self.name = name


async def receive_upload(request: Request, directory) -> Upload:
    """Stream the multipart field ``file`` straight into a file under ``directory`` (never into memory
    or /tmp); the size limit is enforced by the middleware while the bytes arrive. The caller removes
    ``directory``."""
    from pathlib import Path as FsPath

    from python_multipart import FormParser
    from python_multipart.exceptions import FormParserError
    from python_multipart.multipart import parse_options_header

    content_type, options = parse_options_header(request.headers.get("content-type", ""))
    if content_type != b"multipart/form-data" or not options.get(b"boundary"):
        raise AppError(400, "bad_upload", "send the file as multipart/form-data in a field named 'file'")
    directory.mkdir(parents=True, exist_ok=True)
    files = []
    parser = FormParser(
        "multipart/form-data",
        None,
        files.append,
        boundary=options[b"boundary"],
        config={
            "UPLOAD_DIR": str(directory),
            "MAX_MEMORY_FILE_SIZE": 0,
            "UPLOAD_DELETE_TMP": False,
            "UPLOAD_KEEP_FILENAME": False,
            "UPLOAD_KEEP_EXTENSIONS": False,
        },
    )

    try:
        async for chunk in request.stream():
            parser.write(chunk)
        parser.finalize()
    except FormParserError as exc:
        raise AppError(400, "bad_upload", f"malformed multipart body: {exc}") from None
    chosen = [f for f in files if f.field_name == b"file"]
    if len(chosen) != 1:
        raise AppError(400, "bad_upload", "the multipart body needs exactly one file field named 'file'")
    upload = chosen[0]
    upload.flush_to_disk()  # an empty part never reached the disk
    upload.file_object.flush()
    name = os.path.basename((upload.file_name or b"upload").decode("utf-8", "replace")) or "upload"
    path = FsPath(os.fsdecode(upload.actual_file_name))
    for f in files:
        f.close()
    return Upload(path, name)


app = create_app()
