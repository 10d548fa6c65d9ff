"""A ``Diff`` written for people: Rich text for a terminal, Markdown for a pull-request comment.

Both put the risk highlights first, then the model changes (with their lines in
HEAD), then each deployable's resource changes grouped by component, then the
change diagrams. Pure functions from a ``Diff`` to text; the CLI prints them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from rich.markup import escape

from stacks.diff import Diff
from stacks.diff.model import ABSENT, FieldChange
from stacks.diff.plan import ResourceChange

SIGN = {"added": "+", "removed": "-", "changed": "~", "replaced": "±"}
COLOUR = {"added": "green", "removed": "red", "changed": "yellow", "replaced": "magenta"}
PLAN_KINDS = ("added", "removed", "replaced", "changed")
MAX_VALUE = 90
MAX_FIELDS = 12  # per item in the terminal; Markdown and JSON list them all
SHARED = "(shared)"  # resources of no component: network, keys, alerting
SINGULAR = {"components": "component", "connections": "connection", "stacks": "stack", "settings": "setting"}


def value_text(value: Any, limit: int = MAX_VALUE) -> str:
    if value is ABSENT:
        return "(absent)"
    text = json.dumps(value, sort_keys=True) if not isinstance(value, str) else json.dumps(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def field_text(fld: FieldChange) -> str:
    at = f"  (line {fld.line})" if fld.line else ""
    if fld.old is ABSENT:
        return f"{fld.path}: + {value_text(fld.new)}{at}"
    if fld.new is ABSENT:
        return f"{fld.path}: - {value_text(fld.old)}{at}"
    return f"{fld.path}: {value_text(fld.old)} -> {value_text(fld.new)}{at}"


def summary(diff: Diff) -> str:
    if not diff.changed:
        return f"no changes between {diff.base} and {diff.head}"
    touched = sum(1 for counts in diff.plan_counts().values() if counts)
    risks = f"{len(diff.risks)} risk{'s' if len(diff.risks) != 1 else ''}"
    return (
        f"{risks}, {len(diff.model)} model change{'s' if len(diff.model) != 1 else ''}, "
        f"{len(diff.plans)} resource change{'s' if len(diff.plans) != 1 else ''} in {touched} of "
        f"{len(diff.deployables)} deployables ({diff.base} -> {diff.head})"
    )


def by_component(changes: list[ResourceChange]) -> dict[str, list[ResourceChange]]:
    grouped: dict[str, list[ResourceChange]] = {}
    for change in changes:
        grouped.setdefault(change.component or SHARED, []).append(change)
    return dict(sorted(grouped.items(), key=lambda kv: (kv[0] == SHARED, kv[0])))


def count(changes: list[ResourceChange]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for change in changes:
        counts[change.change] = counts.get(change.change, 0) + 1
    return counts


def counts_text(counts: dict[str, int]) -> str:
    return ", ".join(f"{counts[k]} {k}" for k in PLAN_KINDS if counts.get(k)) or "no changes"


# ---------------------------------------------------------------- terminal


def _fields_rich(fields: tuple[FieldChange, ...], indent: str) -> Iterator[str]:
    for fld in fields[:MAX_FIELDS]:
        yield f"{indent}[dim]{escape(field_text(fld))}[/]"
    if len(fields) > MAX_FIELDS:
        yield f"{indent}[dim]... and {len(fields) - MAX_FIELDS} more (--json lists them all)[/]"


def rich_lines(diff: Diff, diagrams: list[str]) -> Iterator[str]:
    """The terminal report, one Rich-markup line at a time."""
    yield f"[bold]stacks diff[/] {escape(diff.base)} -> {escape(diff.head)}"
    if diff.risks:
        yield f"\n[bold red]Risks ({len(diff.risks)})[/]"
        for risk in diff.risks:
            where = escape(", ".join(risk.where))
            yield f"  [red]![/] [bold]{risk.rule}[/] {escape(risk.subject)}: {escape(risk.message)} [dim]({where})[/]"
    if diff.model:
        yield f"\n[bold]Model ({len(diff.model)} change{'s' if len(diff.model) != 1 else ''})[/]"
        for m in diff.model:
            colour, sign = COLOUR[m.change], SIGN[m.change]
            kind = f" ({m.kind})" if m.kind else ""
            what = f"{SINGULAR.get(m.section, m.section)} {escape(m.key)}{kind}"
            yield f"  [{colour}]{sign} {what}[/] [dim]{escape(m.location)}[/]"
            if m.change == "changed":
                yield from _fields_rich(m.fields, "      ")
    groups = diff.plan_groups()
    if groups:
        yield "\n[bold]Plans[/] [dim](deployables with the same changes are listed together)[/]"
    for deployables, changes in groups:
        yield f"  [bold]{', '.join(deployables)}[/]: {counts_text(count(changes))}"
        for component, items in by_component(changes).items():
            yield f"    [bold]{escape(component)}[/]"
            for res in items:
                why = f" [magenta](replaced: {', '.join(res.replaced_by)})[/]" if res.replaced_by else ""
                yield f"      [{COLOUR[res.change]}]{SIGN[res.change]} {res.type} {escape(res.name)}[/]{why}"
                if res.change in ("changed", "replaced"):
                    yield from _fields_rich(res.fields, "          ")
    if diagrams:
        yield "\n[bold]Diagrams[/]"
        yield from (f"  {escape(path)}" for path in diagrams)
    yield "\n" + escape(summary(diff))


# ---------------------------------------------------------------- Markdown


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _md_fields(fields: tuple[FieldChange, ...]) -> list[str]:
    return [f"    {field_text(f)}" for f in fields]


def _md_risks(diff: Diff) -> list[str]:
    if not diff.risks:
        return ["**No risk highlights.**", ""]
    lines = [f"### ⚠️ Risks ({len(diff.risks)})", "", "| Risk | What | Where |", "|---|---|---|"]
    lines += [
        f"| {r.rule} | `{_cell(r.subject)}`: {_cell(r.message)} | {_cell(', '.join(r.where))} |" for r in diff.risks
    ]
    return [*lines, ""]


def _md_summary(diff: Diff) -> list[str]:
    lines = ["| Deployable | " + " | ".join(PLAN_KINDS) + " |", "|---|" + "---:|" * len(PLAN_KINDS)]
    for deployable, counts in diff.plan_counts().items():
        lines.append(f"| {deployable} | " + " | ".join(str(counts.get(k, 0)) for k in PLAN_KINDS) + " |")
    return [*lines, ""]


def _md_model(diff: Diff) -> list[str]:
    if not diff.model:
        return []
    lines = [f"<details><summary>Model changes ({len(diff.model)})</summary>", "", "```diff"]
    for m in diff.model:
        kind = f" ({m.kind})" if m.kind else ""
        sign = SIGN[m.change] if m.change != "changed" else "!"
        lines.append(f"{sign} {SINGULAR.get(m.section, m.section)} {m.key}{kind}  {m.location}")
        if m.change == "changed":
            lines += _md_fields(m.fields)
    return [*lines, "```", "</details>", ""]


def _md_plan(deployables: list[str], changes: list[ResourceChange]) -> list[str]:
    lines = [f"<details><summary>{', '.join(deployables)}: {counts_text(count(changes))}</summary>", ""]
    for component, items in by_component(changes).items():
        lines += [f"**{component}**", "", "```diff"]
        for res in items:
            why = f"  (replaced: {', '.join(res.replaced_by)})" if res.replaced_by else ""
            sign = SIGN[res.change] if res.change in ("added", "removed") else "!"
            lines.append(f"{sign} {res.change} {res.type} {res.name}{why}")
            if res.change in ("changed", "replaced"):
                lines += _md_fields(res.fields)
        lines += ["```", ""]
    return [*lines, "</details>", ""]


def markdown(diff: Diff, diagrams: list[str]) -> str:
    """A pull-request comment: risks, a summary table, collapsible details, the diagrams as files."""
    lines = [f"## stacks diff: `{diff.base}` → `{diff.head}`", "", summary(diff), ""]
    if not diff.changed:
        return "\n".join(lines)
    lines += _md_risks(diff) + _md_summary(diff) + _md_model(diff)
    for deployables, changes in diff.plan_groups():
        lines += _md_plan(deployables, changes)
    if diagrams:
        lines += ["### Diagrams of the change", "", "Added in green, changed in amber, removed as grey ghosts.", ""]
        views: dict[str, list[str]] = {}
        for path in diagrams:
            views.setdefault(path.rsplit("/", 1)[-1].rsplit(".", 1)[0], []).append(path)
        lines += [f"- {view}: " + ", ".join(f"`{p}`" for p in paths) for view, paths in views.items()]
        lines.append("")
    return "\n".join(lines)
