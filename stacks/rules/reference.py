"""The reference tables of ``docs/outputs.md`` and ``docs/extending.md``, written from the kind rules.

Each page keeps hand-written prose around a section between ``<!-- name:begin -->`` and
``<!-- name:end -->`` markers; ``python -m stacks.rules.reference`` rewrites those sections
from the rules and ``tests/stacks/test_kind_rules.py`` fails when a page is out of date.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from stacks.rules import TARGETS, table
from stacks.rules.contract import OUTPUTS, is_secret

PAGES = {"docs/outputs.md": ("outputs",), "docs/extending.md": ("kinds",)}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("<", "&lt;").replace("\n", " ")


def outputs_section() -> str:
    """Per kind: each output, what it means, and what it resolves to on each target."""
    lines: list[str] = []
    for kind, outputs in OUTPUTS.items():
        if not outputs:
            continue
        lines += [f"### {kind}", "", "| output | meaning | " + " | ".join(TARGETS) + " |"]
        lines.append("| --- | --- | " + " | ".join("---" for _ in TARGETS) + " |")
        for name, meaning in outputs.items():
            secret = " (secret)" if is_secret(kind, name) else ""
            cells = [f"`{name}`{secret}", meaning]
            for target in TARGETS:
                rule = table(target).get(kind)
                cells.append(rule.outputs.get(name, "—") if rule else "not hosted")
            lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
        lines.append("")
    quiet = [kind for kind, outputs in OUTPUTS.items() if not outputs]
    if quiet:
        lines.append("Kinds with no outputs yet: " + ", ".join(f"`{k}`" for k in quiet) + ".")
    return "\n".join(lines).rstrip() + "\n"


def kinds_section() -> str:
    """Per kind and target: what it runs as, its drawn product and what a connected workload is granted."""
    kinds = sorted({kind for target in TARGETS for kind in table(target)})
    lines = ["| kind | " + " | ".join(TARGETS) + " |", "| --- | " + " | ".join("---" for _ in TARGETS) + " |"]
    for kind in kinds:
        cells = [f"`{kind}`"]
        for target in TARGETS:
            rule = table(target).get(kind)
            cells.append(f"{rule.runs_as}" if rule else "not hosted: validation refuses it")
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return "\n".join(lines) + "\n"


SECTIONS = {"outputs": outputs_section, "kinds": kinds_section}


def refreshed(text: str, name: str) -> str:
    """``text`` with its ``name`` section replaced by the current rendering."""
    pattern = re.compile(rf"(<!-- {name}:begin -->\n).*?(<!-- {name}:end -->)", re.S)
    if not pattern.search(text):
        raise ValueError(f"no <!-- {name}:begin --> ... <!-- {name}:end --> section")
    return pattern.sub(lambda m: m.group(1) + SECTIONS[name]() + m.group(2), text)


def main(root: Path) -> int:
    for page, names in PAGES.items():
        path = root / page
        text = path.read_text()
        for name in names:
            text = refreshed(text, name)
        path.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path.cwd()))
