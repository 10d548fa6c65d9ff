"""Core commands: validate, schema, build, check, init."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from stacks.cli import FileOption, JsonOption, command, err, out

if TYPE_CHECKING:
    from stacks.project import Project


def register(app: typer.Typer) -> None:
    app.command("validate")(validate)
    app.command("schema")(schema)
    app.command("build")(build)
    app.command("check")(check)
    app.command("init")(init)


@command
def validate(
    file: Annotated[Path | None, typer.Argument(help="The stacks.yaml to check (default: ./stacks.yaml).")] = None,
    file_opt: FileOption = None,
    as_json: JsonOption = False,
) -> None:
    """Check a stacks.yaml: exit 0 when it is valid, 1 with every problem located when not."""
    from stacks.project import load_project

    project = load_project(file or file_opt)
    model = project.model
    warnings = [w.format() for w in project.warnings]
    if as_json:
        out.print_json(
            json.dumps(
                {
                    "ok": True,
                    "file": str(file or file_opt or "stacks.yaml"),
                    "system": model.system.name,
                    "components": len(model.components),
                    "connections": len(model.connections),
                    "stacks": project.deployables(),
                    "warnings": warnings,
                }
            )
        )
        return
    for warning in warnings:
        err.print(f"[yellow]warning:[/] {escape(warning)}")
    out.print(
        f"[green]ok[/] {project.filename}: {model.system.name}: {len(model.components)} components, "
        f"{len(model.connections)} connections, {len(project.deployables())} deployable stacks "
        f"({', '.join(project.deployables())})"
    )


@command
def schema(
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write here instead of stdout.")] = None,
) -> None:
    """Print (or write) the JSON Schema of stacks.yaml."""
    from stacks.artifacts import write_atomic
    from stacks.schema import schema_text

    text = schema_text()
    if output is None:
        typer.echo(text, nl=False)
    else:
        write_atomic(output, text.encode())
        err.print(f"wrote {output}")


AdoptOption = Annotated[
    list[Path] | None,
    typer.Option(
        "--adopt",
        help="Replace this file although stacks did not write it (it has no generated header). Repeatable.",
        show_default=False,
    ),
]


def adopted_paths(project: Project, adopt: list[Path] | None) -> tuple[str, ...]:
    """--adopt paths as the project-relative paths artifacts use."""
    paths = []
    for given in adopt or []:
        full = given.resolve()
        try:
            paths.append(full.relative_to(project.root).as_posix())
        except ValueError:
            from stacks.errors import StacksError

            raise StacksError(f"--adopt {given}: not inside the project ({project.root})") from None
    return tuple(paths)


def run_build(
    file: Path | None, only: list[str] | None, as_json: bool, no_cache: bool = False, adopt: list[Path] | None = None
) -> None:
    """Shared by `stacks build` and every single-generator command (diagrams, compose, ...)."""
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from stacks.generators import by_name
    from stacks.pipeline import build as run
    from stacks.project import load_project

    project = load_project(file)
    generators = by_name(only)
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=as_json,
    ) as bar:
        task = bar.add_task("rendering", total=len(generators))

        def progress(name: str, event: str) -> None:
            if event == "start":
                bar.update(task, description=f"rendering {name}")
            else:
                bar.advance(task)

        result = run(project, only, use_cache=not no_cache, progress=progress, adopt=adopted_paths(project, adopt))
    if as_json:
        out.print_json(json.dumps({"ok": True, **result.to_dict()}))
        return
    for path in result.written:
        err.print(f"  wrote {path}")
    for path in result.removed:
        err.print(f"  removed {path}")
    out.print(result.summary(project.filename))


@command
def build(
    file: FileOption = None,
    only: Annotated[list[str] | None, typer.Option("--only", help="Run only these generators.")] = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Render even when nothing changed.")] = False,
    adopt: AdoptOption = None,
    as_json: JsonOption = False,
) -> None:
    """Run every generator (schema, diagrams, docs, compose, cloud configs) and write their files.

    A file without the "generated from stacks.yaml" header is never overwritten (pass --adopt FILE to
    let stacks own it); .env is written once and then left alone.
    """
    run_build(file, only, as_json, no_cache, adopt)


@command
def check(file: FileOption = None, as_json: JsonOption = False) -> None:
    """Exit 1 when a generated file is stale, missing or unexpected; 0 when everything matches."""
    from stacks.pipeline import check as run
    from stacks.project import load_project

    project = load_project(file)
    state = run(project)
    if as_json:
        out.print_json(
            json.dumps(
                {
                    "ok": state.ok,
                    "stale": state.stale,
                    "missing": state.missing,
                    "unexpected": state.unexpected,
                    "not_generated": state.foreign,
                    "leaks": state.leaks,
                }
            )
        )
    else:
        labels = (("stale", state.stale), ("missing", state.missing), ("obsolete", state.unexpected))
        for label, paths in labels:
            for path in paths:
                err.print(f"{label}: {path}")
        for leak in state.leaks:
            err.print(f"leak: {leak} (a generated file must never hold a secret: fix stacks.yaml)")
        for path in state.foreign:
            err.print(f"not generated: {path} (yours: `stacks build` will not overwrite it; --adopt it or move it)")
        if state.ok:
            out.print(f"[green]ok[/] every generated file matches {project.filename}")
        else:
            count = len(state.stale) + len(state.missing) + len(state.unexpected) + len(state.foreign)
            if count:
                err.print(f"{count} generated file{'s' if count != 1 else ''} out of date: run `stacks build`")
    if not state.ok:
        raise typer.Exit(1)


@command
def init(
    path: Annotated[Path, typer.Argument(help="Where to write the starter file.")] = Path("stacks.yaml"),
    name: Annotated[str, typer.Option("--name", help="The system's name.")] = "my-system",
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write a commented starter stacks.yaml for a new project."""
    from stacks.starter import write_starter

    written = write_starter(path, name, force=force)
    out.print(
        f"wrote {' and '.join(map(str, written))}: edit {path} (your editor completes it from the schema), "
        "then run `stacks validate` and `stacks build`"
    )
