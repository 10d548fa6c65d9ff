"""`stacks diagrams`: render the architecture views (PNG + SVG) and the docs page."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from stacks.cli import FileOption, JsonOption, command, err, out


def register(app: typer.Typer) -> None:
    app.command("diagrams")(diagrams)


@command
def diagrams(
    file: FileOption = None,
    view: Annotated[list[str] | None, typer.Option("--view", help="Render only this view (repeatable).")] = None,
    fmt: Annotated[str, typer.Option("--format", help="Comma-separated formats: png, svg.")] = "png,svg",
    force: Annotated[
        bool,
        typer.Option(
            "--force", help="Run Graphviz even when a file's source key matches (e.g. after upgrading Graphviz)."
        ),
    ] = False,
    list_views: Annotated[bool, typer.Option("--list", help="List the views and exit.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Draw the architecture views of stacks.yaml into <views.output>/diagrams/ and write the docs page."""
    formats = [f.strip().lower() for f in fmt.split(",") if f.strip()]
    if list_views:
        _list(file, as_json)
        return
    if not view and sorted(formats) == ["png", "svg"] and not force:
        from stacks.commands.core import run_build

        run_build(file, ["diagrams", "docs"], as_json)
        return
    _write(file, view, formats, force, as_json)


def _list(file: Path | None, as_json: bool) -> None:
    from architecture.registry import VIEWS, included
    from stacks.project import load_project

    project = load_project(file)
    chosen = set(included(project))
    rows = [
        {"view": v.name, "title": v.title, "included": v.name in chosen, "summary": v.summary} for v in VIEWS.values()
    ]
    if as_json:
        out.print_json(json.dumps({"ok": True, "views": rows}))
        return
    for row in rows:
        mark = "[green]*[/]" if row["included"] else " "
        out.print(f"{mark} [bold]{row['view']:<12}[/] {row['summary']}")
    out.print("(* included by views.include in the model)")


def _write(file: Path | None, view: list[str] | None, formats: list[str], force: bool, as_json: bool) -> None:
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from architecture.generate import write_diagrams
    from architecture.registry import check_names, included
    from architecture.render import FORMATS
    from stacks.errors import StacksError
    from stacks.project import load_project

    for fmt in formats:
        if fmt not in FORMATS:
            raise StacksError(f"unknown diagram format '{fmt}'", hint=f"Use one or more of {', '.join(FORMATS)}.")
    if not formats:
        raise StacksError("--format names no format", hint="Use png, svg or png,svg.")
    project = load_project(file)
    names = check_names(view) or included(project)
    with Progress(
        TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(), console=err, transient=True, disable=as_json
    ) as bar:
        task = bar.add_task("rendering views", total=len(names))
        result = write_diagrams(
            project,
            names,
            formats,
            force=force,
            on_done=lambda r: bar.update(task, advance=1, description=f"rendered {r.name}"),
        )
    if as_json:
        out.print_json(json.dumps({"ok": True, **result.to_dict()}))
        return
    for path in result.written:
        err.print(f"  wrote {path}")
    out.print(result.summary())
