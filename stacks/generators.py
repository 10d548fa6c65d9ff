"""The registry of generators `stacks build` and `stacks check` run, in order.

Each entry names a function ``render(project) -> Rendered`` by import path, so a
generator's heavy imports (diagrams, pulumi, jinja templates) load only when it
runs and `stacks validate` stays fast. Adding a generator is one line here.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from stacks.artifacts import Artifact

if TYPE_CHECKING:
    from stacks.plan import Plans
    from stacks.project import Project


@dataclass(frozen=True)
class Rendered:
    artifacts: list[Artifact]
    owns: list[str] = field(default_factory=list)  # directories whose every file this generator writes


@dataclass(frozen=True)
class Generator:
    name: str
    summary: str
    entry: str  # "package.module:function"
    sources: tuple[str, ...] = ()  # code and templates whose change invalidates the build cache
    uses_plans: bool = False  # reads cloud plans: gets the build's plan stage, so each deployable is planned once

    def load(self) -> Callable[..., Rendered]:
        module, _, func = self.entry.partition(":")
        function: Callable[..., Rendered] = getattr(importlib.import_module(module), func)
        return function

    def run(self, project: Project, plans: Plans) -> Rendered:
        """Render ``project``; a generator that reads plans takes them from the build's plan stage."""
        return self.load()(project, plans) if self.uses_plans else self.load()(project)


GENERATORS: tuple[Generator, ...] = (
    Generator("schema", "JSON Schema of stacks.yaml", "stacks.schema:render", ("stacks/model.py",)),
    Generator(
        "compose",
        "Dockerfile, docker-compose.yml, .env files",
        "deploy.compose.render:render",
        (
            "deploy/compose",
            "stacks/project.py",
            "templates/Dockerfile.j2",
            "templates/dockerignore.j2",
            "templates/docker-compose.yml.j2",
            "templates/env.j2",
            "templates/env.example.j2",
        ),
    ),
    Generator(
        "diagrams",
        "architecture diagrams (PNG + SVG)",
        "architecture.generate:render_diagrams",
        ("architecture", "stacks/plan", "stacks/rules"),
        uses_plans=True,
    ),
    Generator(
        "docs",
        "architecture docs page",
        "architecture.docs:render_docs",
        ("architecture", "templates/docs", "stacks/plan", "stacks/rules"),
        uses_plans=True,
    ),
    Generator(
        "pulumi",
        "Pulumi.yaml and Pulumi.<stack>.yaml per cloud stack",
        "deploy.pulumi_config:render",
        ("deploy/pulumi_config.py", "stacks/plan"),
        uses_plans=True,
    ),
    Generator(
        "terraform",
        "deploy/terraform/<stack>/main.tf.json per cloud stack",
        "deploy.terraform:render",
        ("deploy/terraform.py", "deploy/terraform_gcp.py", "stacks/plan", "stacks/naming.py"),
        uses_plans=True,
    ),
)


def by_name(names: list[str] | None) -> tuple[Generator, ...]:
    if not names:
        return GENERATORS
    from stacks.errors import StacksError, did_you_mean, one_of

    known = [g.name for g in GENERATORS]
    for name in names:
        if name not in known:
            suggestion = did_you_mean(name, known)
            raise StacksError(
                f"unknown generator '{name}'",
                hint=(suggestion + " " if suggestion else "") + f"Generators: {one_of(known)}.",
            )
    return tuple(g for g in GENERATORS if g.name in names)
