"""The Pulumi program's body: stacks.yaml -> the plan of the selected stack -> resources.

``deploy/__main__.py`` calls ``main()``; the Pulumi stack name is the deployable
(``aws-prod``). The image tag defaults to a hash of the build context's files, so
an unchanged context never pushes a new (immutable) tag and a changed one always does.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

HERE = Path(__file__).resolve().parent
SKIP_DIRS = {"__pycache__", "node_modules"}


def context_hash(context: Path) -> str:
    digest = hashlib.sha256()
    for dirpath, dirnames, filenames in os.walk(context):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d not in SKIP_DIRS)
        for name in sorted(filenames):
            if name.startswith("."):
                continue
            path = Path(dirpath) / name
            digest.update(path.relative_to(context).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def main() -> None:
    import pulumi

    from deploy.realize import realize
    from stacks.plan import build_plan
    from stacks.project import load_project

    project = load_project(os.environ.get("STACKS_FILE") or HERE.parent / "stacks.yaml")
    plan = build_plan(project, pulumi.get_stack())
    variables = {}
    images = [r for r in plan.resources if r.type == "docker-build:index:Image"]
    if images and not pulumi.Config().get("image_tag"):
        contexts = sorted({(HERE / r.inputs["context"]["location"]).resolve() for r in images})
        variables["image_tag"] = (
            "ctx-" + hashlib.sha256("".join(context_hash(c) for c in contexts).encode()).hexdigest()[:12]
        )
    realize(plan, variables)
