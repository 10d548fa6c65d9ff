"""The app's layout: routers per resource, the lake's stores side by side, nothing imported from the tool."""

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


def test_the_app_imports_nothing_from_the_tool():
    """Cycles and function lengths are tests/structure's; this is the app's own boundary."""
    known = _modules()
    leaks = []
    for module, path in known.items():
        edges, roots = _imports(module, path, known)
        assert edges <= set(known)
        leaks += [f"{module} imports {r}" for r in sorted(roots & set(TOOL_PACKAGES))]
    assert len(known) > 30  # the walk found the package
    assert leaks == []


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
