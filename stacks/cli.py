"""The `stacks` command line: thin Typer commands over library functions.

Each command declares its options and calls one library function. Library code
raises ``StacksError``; ``command`` prints it with Rich and exits 1. A missing
optional extra (``stacks[deploy]``...) is a ``StacksError`` too, naming the install
command. Anything else is a bug: a short message and exit 2 (the traceback with
``--debug``). Usage errors (unknown option or command, missing argument) are
click's: a short usage message and exit 2.
"""

from __future__ import annotations

import functools
import importlib
import json
import typing
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
    add_completion=True,
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
            _report(exc, as_json)
            raise typer.Exit(1) from None
        except ModuleNotFoundError as exc:
            failure = missing_module_error(exc)
            if failure is None:
                if _state["debug"]:
                    raise
                _internal_error(exc)
            _report(failure, as_json)
            raise typer.Exit(1) from None
        except KeyboardInterrupt:
            err.print("interrupted")
            raise typer.Exit(130) from None
        except Exception as exc:
            if _state["debug"]:
                raise
            _internal_error(exc)

    return wrapper


def _report(exc: StacksError, as_json: bool) -> None:
    if as_json:
        out.print_json(json.dumps({"ok": False, **exc.to_dict()}))
    else:
        err.print(f"[bold red]error:[/] {escape(exc.format())}", markup=True, highlight=False)


def _internal_error(exc: BaseException) -> typing.NoReturn:
    err.print(f"[bold red]internal error:[/] {escape(f'{type(exc).__name__}: {exc}')}", markup=True)
    err.print("This is a bug in stacks. Re-run with --debug for the traceback and report it.")
    raise typer.Exit(2) from None


def missing_module_error(exc: ModuleNotFoundError) -> StacksError | None:
    """The StacksError for an optional extra (or the bundled app) that is not installed; None when unexpected."""
    from stacks.bundle import missing_extra

    return missing_extra(exc.name or "")


def _print_version(value: bool) -> None:
    if value:
        from stacks.bundle import version

        typer.echo(f"stacks {version()}")
        raise typer.Exit()


@app.callback()
def _root(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks of internal errors.")] = False,
    show_version: Annotated[
        bool,
        typer.Option("--version", callback=_print_version, is_eager=True, help="Print the version and exit."),
    ] = False,
) -> None:
    _state["debug"] = debug


for _name in COMMAND_MODULES:
    importlib.import_module(_name).register(app)


def main() -> None:
    """The `stacks` console script: click's standalone mode turns usage errors into a short message and exit 2."""
    app(prog_name="stacks")
