"""Fixtures of the `docker` tests: one engine per session (started and stopped here), the bundled
app's local stack copied to a temp dir with its images built, and a summary of what ran for real."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.docker.engine import Engine, EngineError, session_lock, start
from tests.docker.stack import Stack, copy_project

# What a user's checkout needs for `docker compose up` of the bundled app.
BUNDLED_FILES = ["docker-compose.yml", ".env", "Dockerfile", ".dockerignore", "app"]
NOTES: list[str] = []
STARTED: list[float] = []


def note(line: str) -> None:
    if line not in NOTES:
        NOTES.append(line)


@pytest.fixture(scope="session")
def engine() -> Iterator[Engine]:
    STARTED.append(time.monotonic())
    with session_lock():
        try:
            eng = start()
        except EngineError as exc:
            failure = str(exc)
        else:
            failure = ""
        if failure:
            pytest.fail(failure, pytrace=False)
        for line in eng.notes:
            note(line)
        try:
            yield eng
        finally:
            eng.stop()
            note(f"docker tests: {time.monotonic() - STARTED[0]:.0f} s from engine start to engine stop")


@contextmanager
def bundled_stack(
    engine: Engine, tmp: Path, name: str, profiles: list[str | None], *, builds_only: bool = False
) -> Iterator[Stack]:
    """The bundled app's compose project in its own directory, images ready; `down -v` afterwards."""
    stack = Stack(engine, copy_project(ROOT, tmp, BUNDLED_FILES), name)
    stack.write_secrets()
    stack.allocate_ports()
    try:
        for line in stack.prepare(profiles, builds_only=builds_only):
            note(line)
    except EngineError as exc:
        pytest.fail(str(exc), pytrace=False)
    try:
        yield stack
    finally:
        stack.down()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if NOTES:
        terminalreporter.section("docker: what ran for real")
        for line in NOTES:
            terminalreporter.write_line(line)
