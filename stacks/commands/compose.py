"""`stacks compose`: write the local stack (Dockerfiles, docker-compose.yml, .env files) and lint it."""

from __future__ import annotations

import json
from contextlib import nullcontext
from pathlib import Path
from typing import Annotated

import typer

from stacks.cli import FileOption, JsonOption, command, err, out


def register(app: typer.Typer) -> None:
    app.command("compose")(compose)


@command
def compose(
    file: FileOption = None,
    lint: Annotated[
        bool,
        typer.Option(
            "--lint",
            help="Then validate the files: compose-spec schema, `docker-compose config` per profile, "
            "hadolint and checkov on each Dockerfile. Exit 1 on any finding.",
        ),
    ] = False,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Render even when nothing changed.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Write the Dockerfile, .dockerignore, docker-compose.yml (one profile per environment), .env and .env.example."""
    from stacks.commands.core import run_build

    if not lint:
        run_build(file, ["compose"], as_json, no_cache)
        return
    from deploy.compose.lint import lint as run_lint
    from stacks.pipeline import build
    from stacks.project import load_project

    project = load_project(file)
    result = build(project, ["compose"], use_cache=not no_cache)
    with err.status("linting the local stack", spinner="dots") if not as_json else nullcontext():
        findings = run_lint(Path(project.root), stacks_file=project.file)
    if as_json:
        out.print_json(json.dumps({"ok": not findings, **result.to_dict(), "findings": [f.__dict__ for f in findings]}))
    else:
        for path in result.written:
            err.print(f"  wrote {path}")
        for finding in findings:
            err.print(finding.format(), markup=False)
        out.print(
            result.summary(project.filename)
            + (f"; lint: {len(findings)} finding{'s' if len(findings) != 1 else ''}" if findings else "; lint: ok")
        )
    if findings:
        raise typer.Exit(1)
