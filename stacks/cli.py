"""The `stacks` command line: thin Typer commands over library functions.

Each command declares its options and calls one library function. Library code
raises ``StacksError``; ``command`` prints it with Rich and exits 1. Anything else
is a bug: a short message and exit 2 (the traceback with ``--debug``).
"""

from __future__ import annotations

import functools
import importlib
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from stacks.errors import StacksError

app = typer.Typer(
    name="stacks",
    help="One stacks.yaml: architecture diagrams, cloud stacks, compose profiles and the bundled app.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)
_state = {"debug": False}
P = ParamSpec("P")
R = TypeVar("R")

FileOption = Annotated[
    Path | None,
    typer.Option("--file", "-f", help="The stacks.yaml to read (default: ./stacks.yaml).", show_default=False),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Machine-readable JSON on stdout.")]

# Modules that add commands: each defines ``register(app)``. Adding a command group is one line.
COMMAND_MODULES = (
    "stacks.commands.core",
    "stacks.commands.diagrams",
    "stacks.commands.compose",
    "stacks.commands.cloud",
    "stacks.commands.app",
    "stacks.commands.diff",
)


def command(func: Callable[P, R]) -> Callable[P, R]:
    """Run a command body, turning errors into a message and an exit code."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        as_json = bool(kwargs.get("as_json"))
        try:
            return func(*args, **kwargs)
        except typer.Exit:
            raise
        except StacksError as exc:
            if as_json:
                out.print_json(json.dumps({"ok": False, **exc.to_dict()}))
            else:
                err.print(f"[bold red]error:[/] {escape(exc.format())}", markup=True, highlight=False)
            raise typer.Exit(1) from None
        except KeyboardInterrupt:
            err.print("interrupted")
            raise typer.Exit(130) from None
        except Exception as exc:
            if _state["debug"]:
                raise
            err.print(f"[bold red]internal error:[/] {escape(f'{type(exc).__name__}: {exc}')}", markup=True)
            err.print("This is a bug in stacks. Re-run with --debug for the traceback and report it.")
            raise typer.Exit(2) from None

    return wrapper


@app.callback()
def _root(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks of internal errors.")] = False,
) -> None:
    _state["debug"] = debug


for _name in COMMAND_MODULES:
    importlib.import_module(_name).register(app)


def main() -> None:
    try:
        code = app(standalone_mode=False)
    except typer.Exit as exc:  # pragma: no cover - click usually returns these as codes
        sys.exit(exc.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        err.print("aborted")
        sys.exit(130)
    except Exception as exc:
        import click

        if isinstance(exc, click.exceptions.ClickException):
            exc.show()
            sys.exit(1 if isinstance(exc, click.exceptions.UsageError) else exc.exit_code)
        raise
    sys.exit(code if isinstance(code, int) else 0)
