"""The ``Store`` protocol the lake's object stores implement (``S3Store``, ``GcsStore``)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from app.lake.manifest import Snapshot

Register = Callable[[dict], dict]  # manifest -> its ``catalog`` entry (``app.catalog.versions.register``)


class Store(Protocol):
    """What the ingest job needs from one cloud's object store."""

    tag_key: str  # the consumed-source record's tag: "etag" | "generation"

    def read(self) -> Snapshot: ...
    def list_sources(self, source: str) -> dict[str, str]: ...  # uri -> tag, ingestible objects only
    def download(self, uri: str, tag: str, path: Path) -> None: ...  # SourceGone if not that upload
    def materialise(self, manifest: dict, database: Path, work: Path) -> None: ...
    def publish(
        self,
        database: Path,
        register: Register,
        *,
        sources: list[dict] | None,
        history: list[str] | None,
        expect: Snapshot | None,
    ) -> dict: ...
    def move(self, source: str, items: list[dict], version: str) -> list[str]: ...
    def delete_prefix(self, uri: str) -> int: ...
