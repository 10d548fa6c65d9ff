"""`stacks init`: a commented starter stacks.yaml, validated before it is written."""

from __future__ import annotations

import re
from pathlib import Path

from stacks.artifacts import write_atomic
from stacks.errors import StacksError

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def starter_text(name: str) -> str:
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    if not re.fullmatch(r"[a-z][a-z0-9-]{0,38}[a-z0-9]", name):
        raise StacksError(
            f"invalid system name '{name}'", hint="use 2-40 lowercase letters, digits and '-', starting with a letter"
        )
    env = Environment(loader=FileSystemLoader(TEMPLATES), undefined=StrictUndefined, keep_trailing_newline=True)
    return env.get_template("stacks.init.yaml.j2").render(name=name)


def write_starter(path: Path, name: str, *, force: bool = False) -> None:
    if path.exists() and not force:
        raise StacksError(f"{path} already exists", hint="pass --force to overwrite it, or choose another path")
    from stacks.project import project_from_text

    text = starter_text(name)
    project_from_text(text, path.parent, path.name)  # never hand a user a file that does not validate
    write_atomic(path, text.encode())
