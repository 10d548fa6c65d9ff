"""The cloud ingest job and the operator's publish, on any lake store (S3 or GCS).

``ingest`` (``python -m app.lake ingest --source s3://.../incoming/``): the published version + the
fresh objects under the source -> a new version, published by compare-and-swap on the manifest. The
loser of a race deletes the version it wrote and starts again from the new manifest (``run_job``), so
no ingested row is ever dropped by a later PUT. Consumed objects move to ``processed/<version>/``.

``publish_database`` (``python -m app.lake publish``): export a local DuckDB file and replace the
manifest (the operator's explicit choice).
"""

from __future__ import annotations

import logging
import random
import tempfile
import time
from pathlib import Path
from typing import Any

import duckdb

from app.catalog import versions as catalog_versions
from app.catalog import views as catalog_views
from app.errors import AppError
from app.ingest.load import ingest as run_ingest
from app.lake.manifest import (
    LAKE_TABLES,
    VERSION_RE,
    ManifestConflict,
    Snapshot,
    carry_sources,
    consumed,
    history_of,
    root,
    slash,
    source_table,
    table_prefix,
    tag_of,
)
from app.lake.stores import Register, Store, open_store
from app.settings import Settings

log = logging.getLogger("app.lake")

# A conflict's retry waits a random time in [0, min(MAX, BASE * 2**attempt)] (full jitter), so jobs
# that collided do not collide again in lockstep.
CONFLICT_BACKOFF_BASE = 0.5
CONFLICT_BACKOFF_MAX = 8.0


def default_register(settings: Settings) -> Register:
    """Register a version in the catalogs the settings name (Glue, BigQuery)."""
    return lambda manifest: catalog_versions.register(manifest, settings)


def publish_database(
    database: Path,
    settings: Settings,
    register: Register | None = None,
    *,
    store: Store | None = None,
    sources: list[dict] | None = None,
    history: list[str] | None = None,
    expect: Snapshot | None = None,
) -> dict:
    """Export a local DuckDB database file (a seed or an ingest) to the lake, register it in the
    catalogs the settings name and publish it.

    ``expect=None`` replaces whatever manifest is published (``python -m app.lake publish``).
    ``expect=snapshot`` publishes only if the manifest is still the one in the snapshot and raises
    ``ManifestConflict`` (409) otherwise, leaving the version's files and catalog tables for the caller
    to discard (``run_job`` does)."""
    store = store or open_store(settings)
    return store.publish(
        database, register or default_register(settings), sources=sources, history=history, expect=expect
    )


def _backoff(attempt: int) -> float:
    return random.uniform(0, min(CONFLICT_BACKOFF_MAX, CONFLICT_BACKOFF_BASE * 2**attempt))


def run_job(store: Store, source: str, mode: str, settings: Settings, register: Register | None = None) -> dict:
    """The cloud ingest job on any store.

    A conflict (another job published first, or consumed a listed object) costs one retry from the
    top: the version written is deleted (prefixes and catalog tables), the manifest re-read, only the
    objects still fresh re-ingested. Up to ``lake_ingest_attempts`` attempts with jittered backoff,
    then ``AppError(409, "conflict")`` with the published manifest untouched and the objects left in
    ``source`` for the next run. A retry that finds its objects consumed by the winner returns
    ``superseded_by`` (success: nothing is lost, nothing left to do)."""
    source = slash(source)
    started = time.perf_counter()
    attempts = max(1, int(getattr(settings, "lake_ingest_attempts", 5)))
    for attempt in range(1, attempts + 1):
        try:
            out = _attempt(store, source, mode, settings, register, retry=attempt > 1)
        except ManifestConflict as exc:
            log.warning(
                "lake ingest conflict",
                extra={"fields": {"source": source, "attempt": attempt, "attempts": attempts, "reason": exc.message}},
            )
            if attempt == attempts:
                raise AppError(
                    409,
                    "conflict",
                    f"gave up after {attempts} attempts: other ingest jobs kept "
                    f"publishing first ({exc.message}); the published manifest is untouched and the "
                    f"objects stay under {source} for the next run",
                ) from None
            time.sleep(_backoff(attempt))
            continue
        out["attempts"] = attempt
        out["seconds"] = round(time.perf_counter() - started, 3)
        return out
    raise AssertionError("unreachable")  # pragma: no cover


def _finish_moves(store: Store, source: str, listed: dict[str, str], record: dict) -> list[str]:
    """Objects consumed by a published version but still listed: a job died between its publish and
    its move (or is moving them right now; moving is idempotent). Each goes to its version's folder."""
    leftover: dict[str, list[dict]] = {}
    for uri, tag in listed.items():
        if (uri, tag) in record:
            entry = record[(uri, tag)]
            leftover.setdefault(entry["version"], []).append(entry)
    return [m for version, items in leftover.items() for m in store.move(source, items, version)]


def _nothing_fresh(snapshot: Snapshot, source: str, finished: list[str], *, retry: bool) -> dict:
    current = snapshot.version
    out: dict[str, Any] = {"version": current, "previous": current, "tables": {}, "totals": {}, "moved": len(finished)}
    if retry:
        log.info("lake ingest superseded", extra={"fields": {"source": source, "version": current}})
        return {**out, "superseded_by": current}
    if finished:
        return out
    log.info("nothing to ingest", extra={"fields": {"source": source, "version": current}})
    message = f"nothing to ingest: no new customers/products/orders objects under {source}"
    return {**out, "ingested": False, "message": message}


def _materialise(store: Store, snapshot: Snapshot, database: Path, work: Path) -> None:
    try:
        store.materialise(snapshot.manifest or {}, database, work)
    except (duckdb.Error, AppError) as exc:
        # The version read may have been pruned by jobs that published since: a conflict.
        if store.read().token != snapshot.token:
            raise ManifestConflict(f"version {snapshot.version} changed while it was read") from None
        if isinstance(exc, AppError):
            raise
        raise AppError(503, "lake", f"cannot read version {snapshot.version}: {str(exc).splitlines()[0]}") from None


def _attempt(store: Store, source: str, mode: str, settings: Settings, register, *, retry: bool) -> dict:
    snapshot = store.read()
    manifest = snapshot.manifest
    listed = store.list_sources(source)
    record = {(e["name"], tag_of(e)): e for e in consumed(manifest)}
    fresh = {uri: tag for uri, tag in sorted(listed.items()) if (uri, tag) not in record}
    finished = _finish_moves(store, source, listed, record)
    if not fresh:
        return _nothing_fresh(snapshot, source, finished, retry=retry)
    with tempfile.TemporaryDirectory(prefix="lake-ingest-") as tmp:
        work = Path(tmp)
        database = work / "shop.duckdb"
        (work / "in").mkdir()
        found: dict[str, list[tuple[Path, str]]] = {}
        for i, (uri, tag) in enumerate(fresh.items()):
            path = work / "in" / f"{i}-{uri.rsplit('/', 1)[-1]}"
            store.download(uri, tag, path)
            found.setdefault(source_table(source, uri) or "", []).append((path, uri))
        if manifest is not None:
            _materialise(store, snapshot, database, work)
        result = run_ingest(
            database,
            found,
            mode,
            source_label=source,
            threads=settings.threads,
            memory_limit=settings.ingest_memory_limit,
            bounds=settings.date_bounds,
        )
        mine = [{"name": uri, store.tag_key: tag} for uri, tag in fresh.items()]
        sources = carry_sources(mine, result.version, manifest)
        published = _publish(
            store, database, register, sources, history_of(manifest), snapshot, result.version, settings
        )
    moved = store.move(source, [{**e, "version": published["version"]} for e in mine], published["version"])
    prune(published, settings, store.delete_prefix)
    return {
        "version": published["version"],
        "previous": snapshot.version,
        "tables": result.tables,
        "totals": result.totals,
        "moved": len(moved) + len(finished),
    }


def _publish(
    store: Store,
    database: Path,
    register: Register | None,
    sources: list[dict],
    history: list[str],
    snapshot: Snapshot,
    version: str,
    settings: Settings,
) -> dict:
    """Publish by compare-and-swap; on any failure discard the version written, unless the manifest
    names it after all (a PUT that landed but whose answer was lost, then retried into a 412)."""
    try:
        return publish_database(
            database, settings, register, store=store, sources=sources, history=history, expect=snapshot
        )
    except Exception as failure:
        try:
            now = store.read()
        except Exception:  # cannot tell whether it was published: leave the files, never delete live ones
            log.warning("lake version left in place", extra={"fields": {"version": version}})
            raise failure from None
        if now.version == version and now.manifest is not None:
            return now.manifest
        discard(store, version, settings)
        raise


def discard(store: Store, version: str, settings: Settings) -> None:
    """Delete an unpublished version: its table prefixes and its catalog tables (best effort)."""
    lake_uri = settings.lake_uri or ""
    try:
        deleted = sum(store.delete_prefix(table_prefix(lake_uri, name, version)) for name in LAKE_TABLES)
        catalog_versions.drop_versions([version], settings)
    except Exception as exc:  # the original failure matters more; a stray prefix is only storage
        log.warning("lake version not discarded", extra={"fields": {"version": version, "error": str(exc)}})
        return
    log.info("lake version discarded", extra={"fields": {"version": version, "objects": deleted}})


def prune(manifest: dict, settings: Settings, delete_prefix) -> list[str]:
    """After a successful publish, delete the versions beyond the newest ``lake_keep_versions``: their
    table prefixes and their catalog tables. Never the published version or the one before it."""
    keep = max(2, settings.lake_keep_versions)
    history = manifest.get("history") or []
    old = [v for v in history[keep:] if v not in history[:2] and VERSION_RE.match(v)]
    for version in old:
        for name in LAKE_TABLES:
            delete_prefix(table_prefix(settings.lake_uri or "", name, version))
    if old:
        catalog_versions.drop_versions(old, settings)
        log.info("lake versions pruned", extra={"fields": {"versions": old}})
    return old


def ingest(
    source: str, mode: str, settings: Settings, register: Register | None = None, store: Store | None = None
) -> dict:
    """The cloud ingest job: ``run_job`` on the lake's store. Any failure before the manifest's
    compare-and-swap leaves the published version as it was. After a publish into the settings' own
    catalogs, the warehouse's stable views follow the new version."""
    scheme = root(settings.lake_uri or "").split(":", 1)[0]
    if not source.startswith(f"{scheme}://"):
        raise AppError(
            422, "bad_source", f"a {scheme}:// lake ingests {scheme}://bucket/prefix/ objects, not {source!r}"
        )
    out = run_job(store or open_store(settings), source, mode, settings, register)
    if register is None and out.get("tables"):
        out["views"] = catalog_views.point_views(settings)  # reads the published manifest itself and never raises
    return out
