"""`stacks app seed|serve|ingest`: run the bundled analytics app against a local DuckDB file.

The app is imported lazily inside each command, so `stacks validate` never loads
DuckDB or FastAPI, and the app itself knows nothing about stacks.
"""

from __future__ import annotations

import json
import os
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from stacks.cli import JsonOption, command, err, out
from stacks.errors import StacksError

if TYPE_CHECKING:
    from app.settings import Settings

DatabaseOption = Annotated[
    Path | None,
    typer.Option(
        "--database",
        "-d",
        help="The DuckDB database file (default: $STACKS_APP_DATABASE or data/shop.duckdb).",
        show_default=False,
    ),
]

group = typer.Typer(name="app", help="Seed, ingest into and serve the bundled analytics app.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    group.command("seed")(seed)
    group.command("ingest")(ingest)
    group.command("serve")(serve)
    app.add_typer(group, name="app")


def _settings() -> Settings:
    from app.settings import Settings

    try:
        return Settings()
    except Exception as exc:  # pydantic's ValidationError: a bad STACKS_APP_* variable
        raise StacksError(f"invalid app settings: {exc}") from None


def _database(database: Path | None) -> Path:
    return database.absolute() if database is not None else _settings().database_path


def _build_options() -> dict[str, Any]:
    """DuckDB threads and memory for building a version, as the app's settings give them."""
    settings = _settings()
    return {"threads": settings.threads, "memory_limit": settings.ingest_memory_limit}


def _spinner(text: str, enabled: bool) -> AbstractContextManager[object]:
    from rich.status import Status

    return Status(text, console=err) if enabled else nullcontext()


@command
def seed(
    orders: Annotated[
        int, typer.Option("--orders", "-n", min=1, max=200_000_000, help="Orders to generate.")
    ] = 100_000,
    seed_value: Annotated[int, typer.Option("--seed", "-s", min=0, help="Random seed.")] = 42,
    database: DatabaseOption = None,
    parquet: Annotated[Path | None, typer.Option("--parquet", help="Also write <table>.parquet files here.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Generate a deterministic dataset (same seed, same data) and publish it into the database."""
    from app.seed import seed as run

    path = _database(database)
    with _spinner(f"generating {orders:,} orders", not as_json):
        result = run(path, orders, seed_value, parquet=parquet, **_build_options())
    if as_json:
        out.print_json(json.dumps({"ok": True, **result}))
        return
    rows = result["rows"]
    out.print(
        f"[green]ok[/] seeded {rows['orders']:,} orders, {rows['customers']:,} customers, "
        f"{rows['products']:,} products into {path} in {result['seconds']:.1f} s"
    )


@command
def ingest(
    source: Annotated[
        Path, typer.Option("--source", help="Directory with customers/products/orders .csv or .parquet files.")
    ],
    mode: Annotated[str, typer.Option("--mode", help="replace or append.")] = "replace",
    database: DatabaseOption = None,
    as_json: JsonOption = False,
) -> None:
    """Load CSV/Parquet exports atomically (validated row by row) and rebuild the derived tables."""
    from app.errors import AppError
    from app.ingest import find_sources
    from app.ingest import ingest as run

    path = _database(database)
    try:
        with _spinner(f"ingesting {source}", not as_json):
            result = run(path, find_sources(source), mode, source_label=str(source), **_build_options())
    except AppError as exc:
        raise StacksError(exc.format(), hint="nothing was changed: the published data is as it was") from None
    if as_json:
        out.print_json(json.dumps({"ok": True, "database": str(path), **result.to_dict()}))
        return
    loaded = ", ".join(f"{name} {rows:,} rows" for name, rows in result.tables.items())
    out.print(f"[green]ok[/] ingested {loaded} ({result.mode}) into {path} in {result.seconds:.1f} s")


@command
def serve(
    host: Annotated[str, typer.Option("--host", help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", "-p", min=1, max=65535)] = 8000,
    workers: Annotated[int, typer.Option("--workers", "-w", min=1, max=64, help="uvicorn worker processes.")] = 1,
    reload: Annotated[bool, typer.Option("--reload", help="Restart on code changes (development).")] = False,
    database: DatabaseOption = None,
) -> None:
    """Serve the API with uvicorn (uvloop, httptools); docs at http://HOST:PORT/docs."""
    import uvicorn

    path = _database(database)
    if not path.exists():
        err.print(f"note: {path} does not exist yet: /ready answers 503 until you run `stacks app seed`")
    # Settings are read from the environment by every worker process.
    os.environ["STACKS_APP_DATABASE"] = str(path)
    out.print(f"serving {path} on http://{host}:{port} (docs at /docs)")
    uvicorn.run(
        "app.main:app",
        host=host,
        port=port,
        workers=None if reload else workers,
        reload=reload,
        loop="uvloop",
        http="httptools",
        log_level="info",
        access_log=False,
    )
