"""`stacks diff`: what a change to stacks.yaml does to the architecture and every cloud plan."""

from __future__ import annotations

import json
from contextlib import nullcontext
from pathlib import Path
from typing import Annotated

import typer

from stacks.cli import FileOption, JsonOption, command, err, out

DIAGRAMS_DIR = ".stacks-cache/diff"


def register(app: typer.Typer) -> None:
    app.command("diff")(diff)


@command
def diff(
    base: Annotated[
        str | None,
        typer.Argument(help="The git revision to compare against (default: the merge-base with the default branch)."),
    ] = None,
    head: Annotated[str | None, typer.Argument(help="The git revision to compare (default: the working tree).")] = None,
    file: FileOption = None,
    fmt: Annotated[
        str, typer.Option("--format", help="text (terminal) or markdown (a pull-request comment).")
    ] = "text",
    diagrams_dir: Annotated[
        Path | None,
        typer.Option("--diagrams", help=f"Where change diagrams go (default: {DIAGRAMS_DIR} next to stacks.yaml)."),
    ] = None,
    no_diagrams: Annotated[bool, typer.Option("--no-diagrams", help="Skip drawing the change diagrams.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Compare stacks.yaml at two git revisions: risks, model, plans, diagrams.

    Exit 0 when nothing changed, 3 when something did, 1 on invalid input.
    """
    from stacks.diff import EXIT_CHANGED, diff_revisions
    from stacks.diff.report import markdown, rich_lines
    from stacks.errors import StacksError

    if fmt not in ("text", "markdown"):
        raise StacksError(f"unknown format '{fmt}'", hint="use --format text or --format markdown (or --json)")
    quiet = as_json or not err.is_terminal
    with err.status("reading, validating and planning both revisions", spinner="dots") if not quiet else nullcontext():
        result = diff_revisions(file, base, head)
    paths: list[str] = []
    if result.changed and not no_diagrams:
        from architecture.change import write_change_diagrams

        folder = diagrams_dir or result.head_project.root / DIAGRAMS_DIR
        with err.status("drawing the views that changed", spinner="dots") if not quiet else nullcontext():
            paths = write_change_diagrams(result, folder)
        if not as_json:
            err.print(f"wrote {len(paths)} change diagram files to {folder}")
    if as_json:
        out.print_json(json.dumps({"ok": True, **result.to_json(), "diagrams": paths}))
    elif fmt == "markdown":
        typer.echo(markdown(result, paths))
    else:
        for line in rich_lines(result, paths):
            out.print(line)
    if result.changed:
        raise typer.Exit(EXIT_CHANGED)
