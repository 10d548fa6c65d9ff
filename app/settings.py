"""Settings from the environment (prefix ``STACKS_APP_``) and Docker-style secret files."""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class Settings(BaseSettings):
    """Every knob of the app. ``STACKS_APP_<NAME>`` sets ``<name>``."""

    model_config = SettingsConfigDict(env_prefix="STACKS_APP_", extra="ignore")

    database: Path = Field(Path("data/shop.duckdb"), description="The published DuckDB database file.")
    engine: Literal["duckdb"] = Field(
        "duckdb", description="Query engine. Reserved: 'lake', 'athena' and 'bigquery' come later."
    )
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
    def database_path(self) -> Path:
        return Path(os.path.abspath(self.database))


@functools.lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
