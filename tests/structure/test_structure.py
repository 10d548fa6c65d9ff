"""No import cycle among the modules of stacks/, architecture/, deploy/ and app/; no function over 100 lines.

Both read the source with ``ast`` (see ``structure.py``). There are no exceptions: a cycle is broken and a
long function split into named steps before it lands.
"""

from __future__ import annotations

from tests.structure import structure

MAX_LINES = 100


def test_no_import_cycle() -> None:
    found = [sorted(cycle) for cycle in structure.cycles(structure.import_graph())]
    assert not found, (
        f"import cycles among the source modules: {found}. Break each one: move what both sides need into a "
        "module they both import, or invert the dependency (pass a function or a registry in)."
    )


def test_no_function_over_100_lines() -> None:
    too_long = {f.where: f.lines for f in structure.functions() if f.lines > MAX_LINES}
    assert not too_long, f"functions over {MAX_LINES} lines: {too_long}. Split them into named steps."


def test_the_checks_see_what_they_claim() -> None:
    """The graph and the function walk are not vacuous: they find known edges and known functions."""
    graph = structure.import_graph()
    assert "stacks.errors" in graph["stacks.project"]
    assert structure.cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [frozenset({"a", "b", "c"})]
    names = {f.where for f in structure.functions()}
    assert "stacks.cli:command.wrapper" in names
    assert len(names) > 500
