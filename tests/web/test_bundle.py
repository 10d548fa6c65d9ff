"""The dashboard's bundle: small enough, deterministic, and free of secrets."""

from __future__ import annotations

import gzip
import os
import re
import subprocess
from pathlib import Path

from tests.web.conftest import DIST, INSTALL_HINT, VITE, WEB

BUDGET_GZIP = 250_000  # bytes of JavaScript the first page load needs, gzipped


def build(out: Path, env: dict[str, str]) -> None:
    result = subprocess.run(
        ["node", str(VITE), "build", "--outDir", str(out), "--emptyOutDir", "--logLevel", "error"],
        cwd=WEB,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, f"vite build failed ({INSTALL_HINT}):\n{result.stderr[-3000:]}"


def test_the_initial_javascript_fits_the_budget():
    index = (DIST / "index.html").read_text()
    scripts = re.findall(r'<script[^>]+src="/?([^"]+\.js)"', index)
    preloads = re.findall(r'<link[^>]+rel="modulepreload"[^>]+href="/?([^"]+\.js)"', index)
    assert scripts, "index.html loads no script"
    size = sum(len(gzip.compress((DIST / path).read_bytes(), 9)) for path in scripts + preloads)
    assert size <= BUDGET_GZIP, f"initial JavaScript is {size} bytes gzipped, over the {BUDGET_GZIP} budget"


def test_no_secret_from_the_environment_reaches_the_bundle(tmp_path):
    canary = "canary-3f9c1e7a5b2d4e6f8a0b"
    env = {
        "STACKS_APP_API_KEY": canary,
        "API_KEY": canary,
        "VITE_API_KEY": canary,  # Vite inlines VITE_* by default: the config must not
        "AWS_SECRET_ACCESS_KEY": canary,
    }
    build(tmp_path / "dist", env)
    for path in (tmp_path / "dist").rglob("*"):
        if path.is_file():
            assert canary not in path.read_text(errors="ignore"), f"{path.name} contains a secret from the environment"


def test_the_build_is_deterministic(tmp_path):
    build(tmp_path / "a", {})
    build(tmp_path / "b", {})
    files_a = {p.relative_to(tmp_path / "a"): p.read_bytes() for p in (tmp_path / "a").rglob("*") if p.is_file()}
    files_b = {p.relative_to(tmp_path / "b"): p.read_bytes() for p in (tmp_path / "b").rglob("*") if p.is_file()}
    assert files_a == files_b


def test_the_dashboards_unit_tests_pass():
    """`npm test` (vitest: URL filters, the API client, formatting) runs inside `make test`."""
    result = subprocess.run(
        ["node", str(WEB / "node_modules" / "vitest" / "vitest.mjs"), "run"],
        cwd=WEB,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, f"vitest failed ({INSTALL_HINT}):\n{result.stdout[-3000:]}\n{result.stderr[-2000:]}"
    assert "passed" in result.stdout
