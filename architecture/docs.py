"""The generated docs page ``<views.output>/README.md`` and its registry of sections.

The page is ``templates/docs/page.md.j2`` around a list of sections. Each section is
a ``DocSection`` in ``SECTIONS``: an id, a heading, an order and the import path of
a function ``(DocContext) -> str | None`` returning the section's Markdown (None
leaves it out). Adding a section, e.g. a cloud resource inventory or a parity
table, is one entry here plus its function; the template needs no change.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

from architecture.nodes import look
from architecture.registry import VIEWS, project_views
from architecture.spec import GraphSpec
from stacks.artifacts import GENERATED, Artifact
from stacks.bundle import TEMPLATES
from stacks.generators import Rendered
from stacks.model import StacksFile
from stacks.plan import Plans
from stacks.project import Deployment, Project

if TYPE_CHECKING:
    import jinja2

PAGE = "docs/page.md.j2"


@dataclass(frozen=True)
class DocSection:
    id: str
    title: str
    order: int  # sections appear by order, then id
    entry: str  # "module:function" taking a DocContext, returning Markdown or None

    def load(self) -> Callable[[DocContext], str | None]:
        module, _, func = self.entry.partition(":")
        section: Callable[[DocContext], str | None] = getattr(importlib.import_module(module), func)
        return section


SECTIONS: list[DocSection] = [
    DocSection("views", "Views", 10, "architecture.docs:views_section"),
    DocSection("stacks", "Stacks", 15, "architecture.docs:stacks_section"),
    DocSection("components", "Components", 20, "architecture.docs:components_section"),
    DocSection("connections", "Connections", 30, "architecture.docs:connections_section"),
    DocSection("aws-inventory", "AWS resource inventory", 40, "architecture.aws_view:inventory_section"),
    DocSection("parity", "Parity across targets", 45, "architecture.parity:parity_section"),
]


@dataclass
class DocContext:
    """What a section function gets: the project, the view specs and template rendering."""

    project: Project
    specs: list[GraphSpec]
    output: str  # the page's folder, relative to the project root
    built_plans: Plans | None = None  # the build's plans (the inventory and parity sections read them)

    @cached_property
    def plans(self) -> Plans:
        """The build's plans; a page rendered on its own plans for itself."""
        return Plans(self.project) if self.built_plans is None else self.built_plans

    @property
    def model(self) -> StacksFile:
        return self.project.model

    def image(self, view: str, fmt: str = "svg") -> str:
        """A diagram's path relative to the page."""
        return f"diagrams/{view}.{fmt}"

    @cached_property
    def env(self) -> jinja2.Environment:
        from jinja2 import Environment, FileSystemLoader, StrictUndefined

        env = Environment(
            loader=FileSystemLoader(str(TEMPLATES)),
            undefined=StrictUndefined,
            autoescape=False,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )
        env.filters["cell"] = cell
        return env

    def render(self, template: str, **values: Any) -> str:
        text: str = self.env.get_template(template).render(ctx=self, model=self.model, **values)
        return text

    @cached_property
    def deployments(self) -> dict[str, list[Deployment]]:
        """Stack id -> its deployments (one per environment), from ``Project.deployment``."""
        return {
            sid: [self.project.deployment(f"{sid}-{env}") for env in stack.environments]
            for sid, stack in sorted(self.model.stacks.items())
        }


def cell(value: object) -> str:
    """A value made safe for a Markdown table cell."""
    text = "" if value is None else str(value)
    return text.replace("|", "\\|").replace("\n", " ").strip() or "—"


# ---------------------------------------------------------------- the built-in sections


def views_section(ctx: DocContext) -> str:
    return ctx.render("docs/views.md.j2", specs=ctx.specs, views=VIEWS)


def stacks_section(ctx: DocContext) -> str | None:
    from architecture.logical import TARGET_NAMES

    rows = []
    for sid, deployments in ctx.deployments.items():
        stack = ctx.model.stacks[sid]
        where = TARGET_NAMES[stack.target]
        if stack.target == "hybrid":
            where = f"AWS {stack.aws.region} + GCP {stack.gcp.project} {stack.gcp.region}"
        elif stack.target == "gcp":
            where += f" {stack.project} {stack.region}"
        elif stack.target == "aws":
            where += f" {stack.region}"
        deployed = sorted({c.id for dep in deployments for c in dep.components})
        rows.append(
            {
                "id": sid,
                "target": stack.target,
                "where": where,
                "environments": list(stack.environments),
                "components": deployed,
                "description": stack.description,
            }
        )
    return ctx.render("docs/stacks.md.j2", rows=rows) if rows else None


def where_it_runs(ctx: DocContext, cid: str) -> dict[str, str]:
    """Stack id -> what the component runs as there, with the environments when not all."""
    comp = ctx.model.components[cid]
    cells = {}
    for sid, deployments in ctx.deployments.items():
        found: dict[str, list[str]] = {}  # cloud -> environments
        for dep in deployments:
            for deployed in dep.components:
                if deployed.id == cid:
                    found.setdefault(deployed.cloud, []).append(dep.environment)
        parts = []
        stack = ctx.model.stacks[sid]
        for cloud, envs in sorted(found.items()):
            text = look(cloud, comp).product
            if stack.target == "hybrid":
                text = f"{cloud.upper()}: {text}"
            if len(envs) < len(deployments):
                text += f" ({', '.join(envs)})"
            parts.append(text)
        cells[sid] = "; ".join(parts)
    return cells


def components_section(ctx: DocContext) -> str:
    rows = []
    for cid, comp in sorted(ctx.model.components.items()):
        rows.append(
            {
                "id": cid,
                "label": comp.label or cid,
                "kind": comp.kind,
                "technology": comp.technology,
                "description": comp.description,
                "where": where_it_runs(ctx, cid),
            }
        )
    return ctx.render("docs/components.md.j2", rows=rows, stacks=sorted(ctx.model.stacks))


def connections_section(ctx: DocContext) -> str:
    conns = sorted(ctx.model.connections, key=lambda c: (c.from_, c.to, c.label, c.protocol, c.flow))
    return ctx.render("docs/connections.md.j2", connections=conns)


# ---------------------------------------------------------------- the page


def page(project: Project, output: str, specs: list[GraphSpec] | None = None, plans: Plans | None = None) -> str:
    plans = plans if plans is not None else Plans(project)
    ctx = DocContext(project, specs if specs is not None else project_views(project, plans=plans), output, plans)
    sections = []
    for section in sorted(SECTIONS, key=lambda s: (s.order, s.id)):
        body = section.load()(ctx)
        if body and body.strip():
            sections.append({"id": section.id, "title": section.title, "body": body.strip() + "\n"})
    return ctx.render(PAGE, sections=sections, generated=GENERATED)


def render_docs(project: Project, plans: Plans | None = None) -> Rendered:
    """Generator entry: the docs page, from the build's plans."""
    from architecture.generate import output_dir

    out = output_dir(project)
    return Rendered([Artifact.text(f"{out}/README.md", page(project, out, plans=plans), "docs")])
