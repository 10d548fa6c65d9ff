"""The versioned database: build a complete new version in a new file, publish it atomically.

Writers (seed, ingest) take an exclusive lock, write the next version into a
fresh file next to the database (base tables, derived tables, the ingest log),
checkpoint and fsync it, then ``os.replace`` it over the published path. Readers
hold a read-only connection to the file they opened and reopen when the path
points at a new inode, so a reader sees the old version or the new one, never a
mix; a failed build deletes its file and the published version is untouched.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import duckdb

BASE_CONFIG = {"preserve_insertion_order": True}


class StoreError(Exception):
    """A problem with the database files themselves (missing directory, lock held too long)."""


def connect(
    path: Path | str, *, read_only: bool, threads: int | None = None, memory_limit: str | None = None
) -> duckdb.DuckDBPyConnection:
    config: dict = dict(BASE_CONFIG)
    if threads:
        config["threads"] = threads
    if memory_limit:
        config["memory_limit"] = memory_limit
    con = duckdb.connect(os.fspath(path), read_only=read_only, config=config)
    # A session setting: the progress bar would write to stdout from a server or a job.
    con.execute("SET enable_progress_bar = false")
    return con


def file_key(path: Path) -> tuple[int, int, int] | None:
    """Identity of the file the path points at now; changes on every publish."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return (st.st_dev, st.st_ino, st.st_mtime_ns)


@contextlib.contextmanager
def writer_lock(database: Path, timeout: float = 600.0) -> Iterator[None]:
    """Serialise writers across processes (several uvicorn workers, CLI jobs)."""
    database.parent.mkdir(parents=True, exist_ok=True)
    lock_path = database.with_name(database.name + ".lock")
    with open(lock_path, "a+") as handle:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise StoreError(f"another ingest holds {lock_path} for more than {timeout:.0f} s") from None
                time.sleep(0.05)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


class VersionBuilder:
    """A new database version being written; ``publish()`` makes it the current one."""

    def __init__(self, database: Path, *, threads: int | None = None, memory_limit: str | None = None):
        self.database = database
        self.path = database.with_name(f".{database.name}.{uuid.uuid4().hex}.building")
        self.con = connect(self.path, read_only=False, threads=threads, memory_limit=memory_limit)
        self.has_previous = file_key(database) is not None
        if self.has_previous:
            # The published file is only ever opened read-only: it is immutable once published.
            self.con.execute(f"ATTACH '{sql_path(database)}' AS previous (READ_ONLY)")

    def publish(self) -> None:
        if self.has_previous:
            self.con.execute("DETACH previous")
        self.con.execute("CHECKPOINT")
        self.con.close()
        with open(self.path, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(self.path, self.database)
        dir_fd = os.open(self.database.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)

    def discard(self) -> None:
        with contextlib.suppress(Exception):
            self.con.close()
        for leftover in (self.path, self.path.with_name(self.path.name + ".wal")):
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()


def sql_path(path: Path) -> str:
    return os.fspath(path).replace("'", "''")


@contextlib.contextmanager
def new_version(
    database: Path, *, threads: int | None = None, memory_limit: str | None = None
) -> Iterator[VersionBuilder]:
    """Lock, build, publish; on any exception discard the build and re-raise."""
    with writer_lock(database):
        builder = VersionBuilder(database, threads=threads, memory_limit=memory_limit)
        try:
            yield builder
        except BaseException:
            builder.discard()
            raise
        try:
            builder.publish()
        except BaseException:
            builder.discard()
            raise
