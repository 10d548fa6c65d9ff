"""The Pulumi program's body: stacks.yaml -> the plan of the selected stack -> resources.

``deploy/__main__.py`` (generated) calls ``stacks.runner.main()``, which calls this ``main()``;
the Pulumi stack name is the deployable (``aws-prod``). The image tag defaults to a hash of
what the build sends (the files ``.dockerignore`` lets into the context, and the Dockerfile:
``deploy.build_context``), so an unchanged image never pushes a new (immutable) tag and a
changed one always does.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from deploy.build_context import context_hash


def main() -> None:
    import pulumi

    from deploy.realize import realize
    from stacks.plan import build_plan
    from stacks.project import load_project

    # Pulumi runs the program in the project's deploy/ folder.
    project = load_project(os.environ.get("STACKS_FILE") or Path.cwd().parent / "stacks.yaml")
    plan = build_plan(project, pulumi.get_stack())
    variables = {}
    images = [r for r in plan.resources if r.type == "docker-build:index:Image"]
    if images and not pulumi.Config().get("image_tag"):
        work_dir = project.root / "deploy"  # image contexts are relative to it
        builds = sorted(
            {
                (
                    (work_dir / r.inputs["context"]["location"]).resolve(),
                    (work_dir / r.inputs["dockerfile"]["location"]).resolve(),
                )
                for r in images
            }
        )
        variables["image_tag"] = (
            "ctx-" + hashlib.sha256("".join(context_hash(c, d) for c, d in builds).encode()).hexdigest()[:12]
        )
    realize(plan, variables)
