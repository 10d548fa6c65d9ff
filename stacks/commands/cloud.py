"""Cloud commands: plan (offline, under Pulumi mocks), preview, up, terraform."""

from __future__ import annotations

import json
from contextlib import nullcontext
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from stacks.cli import FileOption, JsonOption, command, err, out

PIPED_WIDTH = 1000
StackArg = Annotated[str, typer.Argument(help="The deployable: <stack>-<environment>, e.g. aws-prod.")]


def register(app: typer.Typer) -> None:
    app.command("plan")(plan)
    app.command("preview")(preview)
    app.command("up")(up)
    app.command("terraform")(terraform)


@command
def plan(stack: StackArg, file: FileOption = None, as_json: JsonOption = False) -> None:
    """Run the stack's real Pulumi program offline (mocked cloud) and show every resource by component."""
    from stacks.project import load_project

    project = load_project(file)
    for warning in project.warnings_for(stack):
        err.print(f"[yellow]warning:[/] {escape(warning.format())}")
    with err.status(f"planning {stack} (Pulumi program under mocks)", spinner="dots") if not as_json else nullcontext():
        from deploy.cloud import plan_offline

        run = plan_offline(project, stack)
    if as_json:
        out.print_json(json.dumps(run.to_json(), sort_keys=True))
        return
    from deploy.cloud import plan_tree

    # Piped (no terminal width): lay the tree out wide rather than cut names at 80 columns.
    out.print(plan_tree(run), width=None if out.is_terminal else PIPED_WIDTH)
    out.print(run.summary())


@command
def preview(stack: StackArg, file: FileOption = None, as_json: JsonOption = False) -> None:
    """`pulumi preview` of the stack through the Automation API (needs the pulumi CLI and credentials)."""
    _pulumi(stack, file, as_json, preview=True)


@command
def up(stack: StackArg, file: FileOption = None, as_json: JsonOption = False) -> None:
    """`pulumi up` of the stack through the Automation API (needs the pulumi CLI and credentials)."""
    _pulumi(stack, file, as_json, preview=False)


def _pulumi(stack: str, file: Path | None, as_json: bool, preview: bool) -> None:
    from deploy.cloud import pulumi_up
    from stacks.project import load_project

    result = pulumi_up(load_project(file), stack, preview, on_output=(lambda _line: None) if as_json else err.print)
    if as_json:
        out.print_json(json.dumps(result, sort_keys=True))
    else:
        out.print(f"{result['action']} {stack}: done")


@command
def terraform(
    stack: StackArg,
    init: Annotated[bool, typer.Option("--init", help="Run `terraform init` (downloads providers).")] = False,
    plan_: Annotated[bool, typer.Option("--plan", help="Run `terraform plan`.")] = False,
    apply: Annotated[bool, typer.Option("--apply", help="Run `terraform apply`.")] = False,
    file: FileOption = None,
    as_json: JsonOption = False,
) -> None:
    """Write deploy/terraform/STACK/main.tf.json from the same plan; optionally init/plan/apply it."""
    from deploy.cloud import terraform as run
    from stacks.project import load_project

    actions = [a for a, on in (("init", init), ("plan", plan_), ("apply", apply)) if on]
    path, outputs = run(load_project(file), stack, actions)
    if as_json:
        out.print_json(json.dumps({"ok": True, "file": str(path), "ran": actions}))
        return
    for text in outputs:
        err.print(text, markup=False)
    out.print(f"wrote {path}" + (f"; ran terraform {', '.join(actions)}" if actions else ""))
