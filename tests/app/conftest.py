"""Fixtures for the app tests: seeded databases, app clients, a real uvicorn on 127.0.0.1."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import httpx
import pytest

API_KEY = "test-key-0123456789"
SMALL_ORDERS = 3000
SMALL_SEED = 7
DATA = Path(__file__).parent / "data"
ROOT_DIR = Path(__file__).resolve().parents[2]


def make_settings(database: Path, **overrides):
    from app.settings import Settings

    values = {
        "database": database,
        "api_key": API_KEY,
        "log_level": "warning",
        "threads": 2,
        "max_upload_bytes": 2_000_000,
    }
    values.update(overrides)
    return Settings(**values)


def make_client(database: Path, **overrides):
    from fastapi.testclient import TestClient

    from app.api.factory import create_app

    return TestClient(create_app(make_settings(database, **overrides)))


@pytest.fixture(scope="session")
def small_db(tmp_path_factory) -> Path:
    """A read-only seeded database (3,000 orders, seed 7) shared by the read tests."""
    from app.seed import seed

    path = tmp_path_factory.mktemp("small") / "shop.duckdb"
    seed(path, SMALL_ORDERS, SMALL_SEED)
    return path


@pytest.fixture()
def db_copy(small_db, tmp_path) -> Path:
    """A private copy of the small database for tests that write."""
    path = tmp_path / "shop.duckdb"
    shutil.copy(small_db, path)
    return path


@pytest.fixture(scope="session")
def client(small_db):
    with make_client(small_db) as c:
        yield c


@pytest.fixture()
def sql(small_db):
    """Run independent SQL over the small database's base tables."""
    con = duckdb.connect(str(small_db), read_only=True)

    def run(query: str, params=None) -> list[tuple]:
        return con.execute(query, params).fetchall()

    yield run
    con.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, database: Path, workers: int = 2, env: dict | None = None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        environ = {
            **os.environ,
            "STACKS_APP_DATABASE": str(database),
            "STACKS_APP_API_KEY": API_KEY,
            "STACKS_APP_LOG_LEVEL": "warning",
            **(env or {}),
        }
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "app.main:app",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--workers",
                str(workers),
                "--loop",
                "uvloop",
                "--http",
                "httptools",
                "--log-level",
                "warning",
            ],
            env=environ,
            cwd=Path(__file__).resolve().parents[2],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 120  # a loaded shared machine imports FastAPI slowly
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"uvicorn exited: {self.proc.stderr.read().decode()[-2000:]}")
            try:
                if httpx.get(self.url + "/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("uvicorn did not answer /health within 120 s")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture()
def server_factory():
    servers: list[Server] = []

    def start(database: Path, workers: int = 2, env: dict | None = None) -> Server:
        server = Server(database, workers, env)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()
