"""Settings come from STACKS_APP_* variables and Docker-style secret files."""

from __future__ import annotations

import os

import pytest
from pydantic import ValidationError

from app.settings import Settings
from tests.app.conftest import ROOT_DIR


def test_environment_and_secret_file(monkeypatch, tmp_path):
    secret = tmp_path / "api-key"
    secret.write_text("s3cret-from-file\n")
    monkeypatch.setenv("STACKS_APP_DATABASE", str(tmp_path / "x.duckdb"))
    monkeypatch.setenv("STACKS_APP_API_KEY_FILE", str(secret))
    monkeypatch.setenv("STACKS_APP_CORS_ORIGINS", "https://a.example, https://b.example")
    monkeypatch.setenv("STACKS_APP_READ_ONLY", "true")
    monkeypatch.setenv("STACKS_APP_LOG_LEVEL", "WARNING")
    monkeypatch.setenv("STACKS_APP_MAX_UPLOAD_BYTES", "1000")
    s = Settings()
    assert s.api_key.get_secret_value() == "s3cret-from-file"
    assert "s3cret" not in repr(s)
    assert s.cors_origins == ["https://a.example", "https://b.example"]
    assert (s.read_only, s.log_level, s.max_upload_bytes, s.engine) == (True, "warning", 1000, "duckdb")
    assert s.database_path == tmp_path / "x.duckdb"


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("STACKS_APP_API_KEY_FILE", "/nonexistent/key", "cannot read"),
        ("STACKS_APP_ENGINE", "oracle", "engine"),
        ("STACKS_APP_MAX_UPLOAD_BYTES", "0", "max_upload_bytes"),
    ],
)
def test_bad_settings_are_reported(monkeypatch, name, value, message):
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError, match=message):
        Settings()


def test_query_threads_share_the_cores_between_server_workers(monkeypatch):
    from app.settings import available_cores

    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    assert Settings(threads=3).query_threads == 3
    assert Settings().query_threads == available_cores()  # one process: every core
    monkeypatch.setenv("WEB_CONCURRENCY", str(available_cores() * 2))
    assert Settings().query_threads == 1  # never below one thread
    monkeypatch.setenv("WEB_CONCURRENCY", "1")
    assert Settings().query_threads == available_cores()


def test_a_spawned_worker_reads_workers_from_its_supervisor(tmp_path):
    """uvicorn --workers N spawns N processes: each finds N on its parent's command line."""
    import subprocess
    import sys

    script = tmp_path / "supervisor.py"
    script.write_text(
        "import multiprocessing as mp, sys\n"
        "def child(q):\n"
        "    from app.settings import server_workers\n"
        "    q.put(server_workers())\n"
        "if __name__ == '__main__':\n"
        "    ctx = mp.get_context('spawn'); q = ctx.Queue(); p = ctx.Process(target=child, args=(q,))\n"
        "    p.start(); print(q.get(timeout=60)); p.join()\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "WEB_CONCURRENCY"}
    env["PYTHONPATH"] = str(ROOT_DIR)
    for args, expected in ((["--workers", "3"], "3"), (["--workers=4"], "4"), (["-w", "2"], "2"), ([], "1")):
        out = subprocess.run([sys.executable, str(script), *args], capture_output=True, text=True, env=env, timeout=120)
        assert out.returncode == 0, out.stderr
        assert out.stdout.strip() == expected
