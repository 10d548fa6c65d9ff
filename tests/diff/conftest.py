"""Fixtures for `stacks diff`: a small git repository in a temp folder, committed twice."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

BASE_YAML = """\
version: 1
system: {name: demo}
environments: [dev, prod]
components:
  users: {kind: user}
  web:
    kind: service
    image: ghcr.io/example/web:1.0
    port: 8000
    env: {LOG_LEVEL: info}
  files:
    kind: bucket
    purpose: assets
  db:
    kind: database
    engine: postgres
connections:
  - {from: users, to: web, label: browses, protocol: https, port: 443}
  - {from: web, to: files, label: uploads, protocol: s3}
  - {from: web, to: db, label: queries, protocol: sql}
stacks:
  aws:
    target: aws
    region: eu-west-1
    environments:
      dev: {}
      prod:
        deletion_protection: true
        domain: app.example.com
        dns_zone: example.com
views:
  include: [containers]
"""


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.email=t@example.com", "-c", "user.name=t", *args],
        cwd=repo,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    """A repository with BASE_YAML committed on main and a `feature` branch checked out."""
    git(tmp_path, "init", "-q", "-b", "main")
    (tmp_path / "stacks.yaml").write_text(BASE_YAML)
    git(tmp_path, "add", "stacks.yaml")
    git(tmp_path, "commit", "-q", "-m", "base")
    git(tmp_path, "checkout", "-q", "-b", "feature")
    return tmp_path


@pytest.fixture()
def commit(repo: Path) -> Callable[..., str]:
    """commit(old, new, ...) -> the new commit's sha, after replacing old with new in stacks.yaml."""

    def make(*pairs: str, message: str = "change") -> str:
        path = repo / "stacks.yaml"
        text = path.read_text()
        for old, new in zip(pairs[::2], pairs[1::2], strict=True):
            assert old in text, f"the test's edit does not apply: {old!r}"
            text = text.replace(old, new)
        path.write_text(text)
        git(repo, "commit", "-q", "-am", message)
        return git(repo, "rev-parse", "HEAD").strip()

    return make


@pytest.fixture()
def run_diff(repo: Path, cli):
    """run_diff(*args) -> (exit code, parsed --json output) for `stacks diff main HEAD ... --json`."""

    def run(*args: str, json_out: bool = True):
        extra = ["--json"] if json_out else []
        result = cli("diff", *(args or ("main", "HEAD")), "-f", repo / "stacks.yaml", "--no-diagrams", *extra)
        return result.exit_code, (json.loads(result.stdout) if json_out else result.stdout)

    return run
