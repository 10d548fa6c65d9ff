"""Settings from the environment (prefix ``STACKS_APP_``) and Docker-style secret files."""

from __future__ import annotations

import datetime as dt
import functools
import os
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from app.schema import DateBounds


class Settings(BaseSettings):
    """Every knob of the app. ``STACKS_APP_<NAME>`` sets ``<name>``."""

    # validate_by_name: aws_region is also set by its name (Settings(aws_region=...), STACKS_APP_AWS_REGION), not only
    # through its alias AWS_REGION, the variable every AWS SDK reads.
    model_config = SettingsConfigDict(env_prefix="STACKS_APP_", extra="ignore", validate_by_name=True)

    database: Path = Field(Path("data/shop.duckdb"), description="The published DuckDB database file.")
    engine: Literal["duckdb", "lake", "athena", "bigquery"] = Field(
        "duckdb",
        description="Query engine: 'duckdb' (local file), 'lake' (DuckDB over the lake's Parquet), "
        "'athena' (Glue tables) or 'bigquery'. Every engine but duckdb is read-only: the ingest job writes.",
    )
    lake_uri: str | None = Field(
        None, pattern=r"^(s3|gs)://[a-z0-9][a-z0-9._-]{1,62}/([^\s]*/)?$", description="Lake root: s3://b/tables/"
    )
    lake_refresh_seconds: float = Field(5.0, ge=0, le=3600, description="How often the lake manifest is re-read.")
    lake_memory_rows: int = Field(
        200_000, ge=0, description="lake: tables with at most this many rows are loaded into memory per version."
    )
    lake_keep_versions: int = Field(
        3, ge=2, le=1000, description="The ingest job keeps this many published versions (files and catalog tables)."
    )
    lake_ingest_attempts: int = Field(
        5, ge=1, le=50, description="Attempts of an ingest job whose manifest publish lost a race to another job."
    )
    s3_endpoint: str | None = Field(None, description="host:port of an S3-compatible server (MinIO, tests).")
    s3_use_ssl: bool = Field(True, description="HTTPS to s3_endpoint.")
    s3_access_key_id: SecretStr | None = Field(None, description="Static S3/GCS HMAC key id (else the AWS chain).")
    s3_secret_access_key: SecretStr | None = Field(None, description="Static S3/GCS HMAC secret.")
    aws_region: str = Field("us-east-1", validation_alias="AWS_REGION", description="AWS region (AWS_REGION).")
    athena_workgroup: str | None = Field(None, description="Athena workgroup (the aws stack sets it).")
    glue_database: str | None = Field(None, description="Glue database holding the lake's tables.")
    athena_output_uri: str | None = Field(None, description="Athena query results location.")
    bigquery_project: str | None = Field(None, description="GCP project of the BigQuery dataset.")
    bigquery_dataset: str | None = Field(None, description="BigQuery dataset holding the lake's tables.")
    bigquery_location: str | None = Field(None, description="BigQuery location (EU, US, europe-west1, ...).")
    bigquery_connection: str | None = Field(None, description="BigLake connection for the ingest's external tables.")
    bigquery_lake_uri: str | None = Field(
        None,
        pattern=r"^gs://[a-z0-9][a-z0-9._-]{1,62}/([^\s]*/)?$",
        description="Where BigQuery reads an s3:// lake: its GCS mirror's root (the hybrid stack's transfer).",
    )
    bigquery_verify_seconds: float = Field(
        60.0, ge=0, le=86400, description="bigquery on a mirror: how often a version not yet complete is re-checked."
    )
    gcp_credential_parameter: str | None = Field(None, description="SSM parameter with the WIF credential config.")
    log_level: Literal["debug", "info", "warning", "error", "critical"] = "info"
    api_key: SecretStr | None = Field(None, description="Required in X-API-Key by write endpoints when set.")
    api_key_file: Path | None = Field(None, description="Read api_key from this file (Docker secrets).")
    read_only: bool = Field(False, description="Refuse every write (ingest) request.")
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Origins allowed by CORS (JSON list or a,b)."
    )
    max_upload_bytes: int = Field(1024**3, ge=1, description="Largest accepted upload, in bytes.")
    threads: int | None = Field(None, ge=1, le=256, description="DuckDB threads per process (default: cores).")
    memory_limit: str = Field("1GB", pattern=r"^\d+(\.\d+)?\s*[KMGT]i?B$", description="DuckDB memory per process.")
    ingest_memory_limit: str = Field(
        "2GB",
        pattern=r"^\d+(\.\d+)?\s*[KMGT]i?B$",
        description="DuckDB memory for building a new version (ingest, seed); beyond it DuckDB spills to disk.",
    )

    min_date: dt.date = Field(
        dt.date(1990, 1, 1), description="Ingest refuses order and signup dates before this day (YYYY-MM-DD)."
    )
    max_future_days: int = Field(
        366, ge=0, le=36_500, description="Ingest refuses dates more than this many days after today."
    )
    response_cache_bytes: int = Field(
        64 * 1024**2, ge=0, description="Per-worker cache of GET responses per data version (0 turns it off)."
    )

    @field_validator("log_level", mode="before")
    @classmethod
    def _lower(cls, value):
        return value.lower() if isinstance(value, str) else value

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split(cls, value):
        if isinstance(value, str) and not value.strip().startswith("["):
            return [v.strip() for v in value.split(",") if v.strip()]
        return value

    @model_validator(mode="after")
    def _engine_needs(self):
        needs = {
            "lake": ("lake_uri",),
            "athena": ("lake_uri", "athena_workgroup", "glue_database"),
            "bigquery": ("lake_uri", "bigquery_project", "bigquery_dataset"),
        }.get(self.engine, ())
        missing = [f"STACKS_APP_{n.upper()}" for n in needs if getattr(self, n) is None]
        if missing:
            raise ValueError(f"STACKS_APP_ENGINE={self.engine} needs {', '.join(missing)}")
        if self.engine != "duckdb":
            # The lake is written by the ingest job only: the API serves reads.
            self.read_only = True
        return self

    @model_validator(mode="after")
    def _read_secret_file(self):
        if self.api_key_file is not None:
            try:
                key = self.api_key_file.read_text().strip()
            except OSError as exc:
                raise ValueError(f"cannot read STACKS_APP_API_KEY_FILE {self.api_key_file}: {exc.strerror}") from None
            if not key:
                raise ValueError(f"STACKS_APP_API_KEY_FILE {self.api_key_file} is empty")
            self.api_key = SecretStr(key)
        return self

    @property
    def date_bounds(self) -> DateBounds:
        return DateBounds(self.min_date, self.max_future_days)

    @property
    def database_path(self) -> Path:
        return Path(os.path.abspath(self.database))

    @property
    def query_threads(self) -> int:
        """DuckDB threads for serving queries: ``threads`` when set, else this process's share of the
        cores. Several uvicorn workers each running as many threads as there are cores would make
        every query wait for the others' threads (measured in bench/app_bench.py: p50 of the
        heavier endpoints 30-40 % lower with 2 workers x 1 thread than 2 x 2 on 2 cores)."""
        if self.threads:
            return self.threads
        return max(1, available_cores() // server_workers())


def available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def server_workers() -> int:
    """How many server processes share the cores: ``WEB_CONCURRENCY`` (uvicorn's own default for
    --workers), else the ``--workers`` (``-w``) of the supervisor this worker was spawned by (uvicorn,
    ``stacks app serve``), else 1."""
    value = os.environ.get("WEB_CONCURRENCY", "")
    if value.isdigit() and int(value) > 0:
        return int(value)
    import multiprocessing

    if multiprocessing.parent_process() is None:
        return 1  # uvicorn runs a single worker in its own process
    try:
        with open(f"/proc/{os.getppid()}/cmdline", "rb") as handle:
            args = handle.read().decode(errors="replace").split("\0")
    except OSError:
        return 1
    for i, arg in enumerate(args):
        if arg in ("--workers", "-w") and i + 1 < len(args) and args[i + 1].isdigit():
            return max(1, int(args[i + 1]))
        if arg.startswith("--workers=") and arg[10:].isdigit():
            return max(1, int(arg[10:]))
    return 1


@functools.lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
