"""The command reference page (``docs/commands.md``), generated from the Typer app by introspection.

``python -m stacks.commands.reference`` rewrites the page; ``--check`` exits 1 when the committed page
differs from what the CLI says today (the test suite runs the same comparison), so the reference cannot
drift from the commands. Each option's line is the one ``stacks COMMAND --help`` prints.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from pathlib import Path

import typer
from typer.core import TyperGroup

PAGE = Path("docs/commands.md")
HEADER = "<!-- generated from the stacks CLI by `python -m stacks.commands.reference`, do not edit -->"


def leaf_contexts(ctx: typer.Context) -> Iterator[typer.Context]:
    """A context for every runnable command under ``ctx``, depth first, in the CLI's own order."""
    command = ctx.command
    if not isinstance(command, TyperGroup):
        yield ctx
        return
    for name in command.list_commands(ctx):
        sub = command.get_command(ctx, name)
        if sub is not None and not sub.hidden:
            yield from leaf_contexts(typer.Context(sub, info_name=name, parent=ctx))


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _rows(ctx: typer.Context) -> list[str]:
    rows = []
    for param in ctx.command.get_params(ctx):
        record = param.get_help_record(ctx)
        if record is None or param.name == "help":
            continue
        name, help_text = record
        rows.append(f"| `{_cell(name)}` | {_cell(help_text)} |")
    return rows


def _section(ctx: typer.Context) -> list[str]:
    command = ctx.command
    lines = [f"## `{ctx.command_path}`", ""]
    if command.help:
        lines += [command.help.strip(), ""]
    lines += ["```", " ".join([ctx.command_path, *command.collect_usage_pieces(ctx)]), "```", ""]
    rows = _rows(ctx)
    if rows:
        lines += ["| argument / option | meaning |", "| --- | --- |", *rows, ""]
    return lines


def command_reference() -> str:
    """The Markdown page: one section per command with its usage line and every argument and option."""
    from stacks.cli import app

    root = typer.main.get_command(app)
    root_ctx = typer.Context(root, info_name="stacks")
    lines = [
        HEADER,
        "# Commands",
        "",
        (root.help or "").strip(),
        "",
        "Every command that reads a model takes `-f/--file` (default: `./stacks.yaml`). Exit codes: `0` ok, "
        "`1` your input is wrong (or a generated file is stale), `2` an internal error (re-run with "
        "`stacks --debug ...` for the traceback). `stacks --help` and `stacks COMMAND --help` print what this "
        "page says: it is generated from them.",
        "",
    ]
    global_rows = _rows(root_ctx)
    if global_rows:
        lines += ["Options of `stacks` itself, before the command:", "", "| option | meaning |", "| --- | --- |"]
        lines += [*global_rows, ""]
    for ctx in leaf_contexts(root_ctx):
        lines += _section(ctx)
    return "\n".join(lines).rstrip() + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write docs/commands.md from the stacks CLI.")
    parser.add_argument("--check", action="store_true", help="exit 1 when the page is stale instead of writing it")
    parser.add_argument("--output", type=Path, default=PAGE)
    args = parser.parse_args(argv)
    text = command_reference()
    current = args.output.read_text(encoding="utf-8") if args.output.exists() else None
    if args.check:
        if current != text:
            print(f"{args.output} is stale: run `make docs`", file=sys.stderr)
            return 1
        return 0
    if current != text:
        args.output.write_text(text, encoding="utf-8")
        print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
