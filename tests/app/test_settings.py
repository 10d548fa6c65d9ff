"""Settings come from STACKS_APP_* variables and Docker-style secret files."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from app.settings import Settings


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
