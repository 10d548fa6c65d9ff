"""The app's layout: no import cycle among its modules, no function over 100 lines, nothing from the tool."""

from __future__ import annotations

import ast
from pathlib import Path

APP = Path(__file__).resolve().parents[2] / "app"
TOOL_PACKAGES = ("stacks", "deploy", "architecture")


def _modules() -> dict[str, Path]:
    out = {}
    for path in APP.rglob("*.py"):
        parts = list(path.relative_to(APP.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _imports(module: str, path: Path, known: dict[str, Path]) -> tuple[set[str], set[str]]:
    """(app modules imported anywhere in the file, including inside functions; top-level packages)."""
    edges: set[str] = set()
    roots: set[str] = set()
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            for alias in node.names:
                roots.add(alias.name.split(".")[0])
                if alias.name in known:
                    edges.add(alias.name)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, *([node.module] if node.module else [])])
            roots.add(base.split(".")[0])
            for alias in node.names:
                if f"{base}.{alias.name}" in known:
                    edges.add(f"{base}.{alias.name}")
                elif base in known:
                    edges.add(base)
    edges.discard(module)
    return edges, roots


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_cycle_among_app_modules_and_nothing_from_the_tool():
    known = _modules()
    graph: dict[str, set[str]] = {}
    leaks = []
    for module, path in known.items():
        graph[module], roots = _imports(module, path, known)
        leaks += [f"{module} imports {r}" for r in sorted(roots & set(TOOL_PACKAGES))]
    assert len(known) > 30  # the walk found the package
    assert _cycles(graph) == []
    assert leaks == []


def test_no_function_in_the_app_is_over_100_lines():
    long = []
    for path in APP.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > 100:
                    long.append(f"{path.relative_to(APP.parent)}:{node.lineno} {node.name} ({length} lines)")
    assert long == []


def test_the_layout_routers_per_resource_and_stores_side_by_side():
    from app.api.routes import analytics, customers, data, health, orders, products
    from app.lake.stores.base import Store
    from app.lake.stores.gcs import GcsStore
    from app.lake.stores.s3 import S3Store

    prefixes = {m.router.prefix for m in (analytics, customers, data, orders, products)}
    assert prefixes == {"/api/v1"} and health.router.prefix == ""
    for store in (S3Store, GcsStore):
        missing = [
            name
            for name in ("read", "list_sources", "download", "materialise", "publish", "move", "delete_prefix")
            if not callable(getattr(store, name, None))
        ]
        assert missing == [] and store.tag_key in ("etag", "generation")
    assert Store.__name__ == "Store"
