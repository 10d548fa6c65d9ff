"""The documentation site: a strict MkDocs build, the generated command reference, the README's size and links."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from stacks.commands.reference import HEADER, PAGE, command_reference

ROOT = Path(__file__).resolve().parents[2]


def test_mkdocs_builds_strict(tmp_path: Path) -> None:
    """Every page in the nav, every link resolving, no warning (mkdocs --strict turns warnings into errors)."""
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, f"mkdocs build --strict failed:\n{result.stdout}\n{result.stderr}"
    assert (tmp_path / "site/index.html").is_file()
    assert (tmp_path / "site/commands/index.html").is_file()
    assert (tmp_path / "site/architecture/index.html").is_file(), "the generated architecture page is in the site"


def test_command_reference_is_current() -> None:
    committed = (ROOT / PAGE).read_text(encoding="utf-8")
    assert committed == command_reference(), "docs/commands.md is stale: run `python -m stacks.commands.reference`"


def test_command_reference_lists_every_command_and_option() -> None:
    import typer

    from stacks.cli import app

    text = command_reference()
    assert text.startswith(HEADER)
    seen = []

    def walk(command: Any, path: str) -> None:
        subcommands = getattr(command, "commands", None)
        if subcommands is None:
            seen.append(path)
            assert f"## `{path}`" in text
            for param in command.params:
                for opt in param.opts:
                    if opt.startswith("-") and opt != "--help":
                        assert f"{opt}" in text.split(f"## `{path}`")[1].split("\n## ")[0], (path, opt)
            return
        for name, sub in subcommands.items():
            walk(sub, f"{path} {name}")

    walk(typer.main.get_command(app), "stacks")
    assert {"stacks validate", "stacks build", "stacks plan", "stacks app serve"} <= set(seen)


def test_readme_is_a_short_introduction_linking_into_the_site() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) < 250
    links = re.findall(r"\]\((docs/[^)#]+)", readme)
    assert links, "the README links into the docs site"
    for link in links:
        assert (ROOT / link).exists(), f"README links to a missing page: {link}"
