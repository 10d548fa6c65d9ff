"""`stacks init`: a commented starter stacks.yaml, validated before it is written, and its JSON Schema.

The starter's first line points editors (yaml-language-server) at ``stacks.schema.json`` next to it,
which ``init`` writes too: completion and checking work offline, before the first `stacks build`.
"""

from __future__ import annotations

import re
from pathlib import Path

from stacks.artifacts import carries_header, write_atomic
from stacks.bundle import TEMPLATES
from stacks.errors import StacksError
from stacks.schema import SCHEMA_FILE


def starter_text(name: str) -> str:
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    if not re.fullmatch(r"[a-z][a-z0-9-]{0,38}[a-z0-9]", name):
        raise StacksError(
            f"invalid system name '{name}'", hint="use 2-40 lowercase letters, digits and '-', starting with a letter"
        )
    env = Environment(loader=FileSystemLoader(TEMPLATES), undefined=StrictUndefined, keep_trailing_newline=True)
    return env.get_template("stacks.init.yaml.j2").render(name=name, schema_file=SCHEMA_FILE)


def write_starter(path: Path, name: str, *, force: bool = False) -> list[Path]:
    """Write the starter at ``path`` and the schema next to it (unless a schema of the user's is there)."""
    if path.exists() and not force:
        raise StacksError(f"{path} already exists", hint="pass --force to overwrite it, or choose another path")
    from stacks.project import project_from_text
    from stacks.schema import schema_text

    text = starter_text(name)
    project_from_text(text, path.parent, path.name)  # never hand a user a file that does not validate
    write_atomic(path, text.encode())
    written = [path]
    schema = path.parent / SCHEMA_FILE
    if not schema.exists() or carries_header(schema):
        write_atomic(schema, schema_text().encode())
        written.append(schema)
    return written
