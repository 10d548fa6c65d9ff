"""Fixtures for the dashboard's browser tests: the real API and the built dashboard on
127.0.0.1, and Debian's Chromium driven by Playwright (no browser download)."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from tests.app.conftest import API_KEY, Server, free_port

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "web"
DIST = WEB / "dist"
VITE = WEB / "node_modules" / "vite" / "bin" / "vite.js"  # run directly: an npx wrapper would outlive terminate()
ORDERS = 20_000
SEED = 11
INSTALL_HINT = "run `make web` (installs Node's packages, builds web/dist and installs Debian's chromium)"


def chromium_path() -> str:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    raise AssertionError(f"Chromium is not installed: {INSTALL_HINT}")


@pytest.fixture(scope="session")
def seeded_db(tmp_path_factory) -> Path:
    from app.seed import seed

    path = tmp_path_factory.mktemp("web") / "shop.duckdb"
    seed(path, ORDERS, SEED)
    return path


@pytest.fixture(scope="session")
def api(seeded_db) -> Iterator[Server]:
    server = Server(seeded_db, workers=1)
    yield server
    server.stop()


@dataclass
class Dashboard:
    url: str
    api_url: str
    proc: subprocess.Popen = field(repr=False)

    def api_get(self, path: str, **params) -> dict:
        response = httpx.get(f"{self.api_url}/api/v1/{path}", params=params, timeout=30)
        response.raise_for_status()
        return response.json()


@pytest.fixture(scope="session")
def dashboard(api) -> Iterator[Dashboard]:
    """The production build served by `vite preview`, which proxies /api to the API like every target does."""
    assert (DIST / "index.html").is_file(), f"web/dist is missing: {INSTALL_HINT}"
    port = free_port()
    proc = subprocess.Popen(
        ["node", str(VITE), "preview", "--host", "127.0.0.1", "--port", str(port), "--strictPort"],
        cwd=WEB,
        env={**os.environ, "STACKS_API_URL": api.url},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"vite preview exited: {proc.stderr.read().decode()[-2000:] if proc.stderr else ''}")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.2)
    else:
        proc.kill()
        raise RuntimeError("vite preview did not answer within 30 s")
    yield Dashboard(url=url, api_url=api.url, proc=proc)
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(scope="session")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as missing:  # pragma: no cover - the dev requirements install it
        raise AssertionError("playwright is not installed: make setup-dev installs it") from missing
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path(), headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        yield browser
        browser.close()


@dataclass
class Tab:
    """A page plus every console error and uncaught exception it produced."""

    page: object
    errors: list[str]


@pytest.fixture()
def tab(browser) -> Iterator[Tab]:
    context = browser.new_context(locale="en-US", timezone_id="UTC", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield Tab(page, errors)
    context.close()


__all__ = ["API_KEY", "Dashboard", "Tab"]
