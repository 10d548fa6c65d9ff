"""Usage errors are short (exit 2, no traceback); --version; a missing extra names its install command."""

from __future__ import annotations

import sys

import pytest

from stacks.bundle import version
from tests.stacks.test_cli import run


def test_version():
    result = run("--version")
    assert result.returncode == 0 and result.stdout.strip() == f"stacks {version()}"


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("build", "--bogus"), "No such option: --bogus"),
        (("plan",), "Missing argument"),
        (("valdate",), "No such command"),
        (("init", "--name"), "requires an argument"),
    ],
)
def test_usage_errors_are_short_and_exit_2(args, says):
    result = run(*args)
    assert result.returncode == 2, result.stderr
    assert says in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.splitlines()) < 15


def test_completion_is_offered():
    result = run("--help")
    assert "--install-completion" in result.stdout and "--version" in result.stdout


def test_a_missing_extra_is_exit_1_with_the_install_command(monkeypatch, cli, tmp_path):
    monkeypatch.setitem(sys.modules, "diagrams", None)  # what an install without [diagrams] looks like
    from tests.conftest import ROOT

    result = cli("diagrams", "-f", ROOT / "stacks.yaml", "--view", "system", "--format", "svg")
    assert result.exit_code == 1, result.output
    assert "needs the optional 'diagrams' extra" in result.output
    assert "pipx install --force 'stacks[diagrams]'" in result.output and "internal error" not in result.output


def test_the_bundled_app_outside_the_repository_says_what_to_do(monkeypatch, cli):
    monkeypatch.setitem(sys.modules, "app", None)
    monkeypatch.setitem(sys.modules, "app.settings", None)
    result = cli("app", "serve")
    assert result.exit_code == 1
    assert "ships with the stacks repository" in result.output and "make setup" in result.output


def test_plan_output_is_not_cut_when_piped():
    result = run("plan", "aws-prod")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) > 80 and not any("…" in line for line in lines)
