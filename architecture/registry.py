"""The view registry: view name -> the projection that draws it.

``VIEWS`` maps a name to a ``View``: a title, a one-line summary for the docs page
and the import path of a projection ``(ViewContext) -> GraphSpec | None`` (None
when the model has nothing to draw, e.g. no compose stack). ``project_views``
runs the projections a model asks for (``views.include``, in registry order),
with per-view settings (title, direction, exclude) already resolved.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

from architecture.spec import GraphSpec
from stacks.errors import StacksError, did_you_mean, one_of
from stacks.model import AnyComponent, Connection, Gateway, StacksFile
from stacks.plan import Plans
from stacks.project import Project


@dataclass(frozen=True)
class View:
    name: str
    title: str  # "Containers": the picture's title is "<system>: <title>" unless the model sets one
    summary: str  # what the view shows, one sentence (docs page, `stacks diagrams --list`)
    entry: str  # "module:function" taking a ViewContext, returning GraphSpec | None
    uses_ranks: bool = False  # whether `views.rank` applies to this view
    direction: str | None = None  # this view's own layout direction, unless views.settings.<view> sets one

    def load(self) -> Callable[[ViewContext], GraphSpec | None]:
        module, _, func = self.entry.partition(":")
        project: Callable[[ViewContext], GraphSpec | None] = getattr(importlib.import_module(module), func)
        return project


VIEWS: dict[str, View] = {
    view.name: view
    for view in (
        View(
            "system",
            "System context",
            "The people and external systems around the system, drawn as one box.",
            "architecture.logical:system_view",
        ),
        View(
            "containers",
            "Containers",
            "Every component with its technology, grouped by tier, and each connection with its protocol and port.",
            "architecture.logical:containers_view",
            uses_ranks=True,
        ),
        View(
            "dataflow",
            "Data flow",
            "Only the data flows: where data comes from, where it lands and who reads it, labelled with what flows.",
            "architecture.logical:dataflow_view",
        ),
        View(
            "development",
            "Local development",
            "The local compose stack as a developer sees it: containers, volumes, hot reload, the seed "
            "job and the test runner.",
            "architecture.logical:development_view",
        ),
        View(
            "deployment",
            "Deployment",
            "Every stack side by side: which component runs where, and as what, on each target.",
            "architecture.logical:deployment_view",
            direction="TB",
        ),
        View(
            "aws",
            "AWS",
            "Every resource the aws stack deploys (the plan behind `stacks plan`, Pulumi and Terraform), "
            "in its region, VPC and subnets, grouped by component.",
            "architecture.aws_view:aws_view",
            direction="TB",
        ),
        View(
            "gcp",
            "GCP",
            "Every resource the gcp stack deploys (the same plan as `stacks plan`, Pulumi and Terraform), "
            "in its project, region and global edge, grouped by component.",
            "architecture.gcp_view:gcp_view",
            direction="TB",
        ),
        View(
            "hybrid",
            "Hybrid",
            "The hybrid stack on both clouds, each a boundary, with every cross-cloud edge labelled with "
            "what carries it and the keyless identity that secures it.",
            "architecture.gcp_view:hybrid_view",
            direction="TB",
        ),
    )
}


def routed_connections(model: StacksFile) -> list[Connection]:
    """A gateway's routes drawn as requests to the components they reach (unless the model connects them already)."""
    declared = {(c.from_, c.to) for c in model.connections}
    drawn: list[Connection] = []
    for cid, comp in sorted(model.components.items()):
        if not isinstance(comp, Gateway):
            continue
        targets: dict[str, list[str]] = {}
        for route in comp.routes:
            targets.setdefault(route.to, []).append(route.path)
        for target, paths in targets.items():
            if (cid, target) not in declared:
                drawn.append(Connection.model_validate({"from": cid, "to": target, "label": " ".join(paths)}))
    return drawn


@dataclass(frozen=True)
class ViewContext:
    """What a projection gets: the validated project plus this view's resolved settings."""

    project: Project
    name: str
    title: str
    direction: str
    exclude: frozenset[str]
    ranks: tuple[tuple[str, ...], ...]
    plans: Plans  # the build's plan stage: each cloud deployable planned once, shared by every view

    @property
    def model(self) -> StacksFile:
        return self.project.model

    @cached_property
    def components(self) -> dict[str, AnyComponent]:
        """The model's components minus the excluded ones, sorted by id."""
        return {cid: c for cid, c in sorted(self.model.components.items()) if cid not in self.exclude}

    @cached_property
    def connections(self) -> list[Connection]:
        """Connections whose two ends are both shown, sorted."""
        shown = self.components
        conns = [c for c in self.model.connections if c.from_ in shown and c.to in shown]
        conns += [c for c in routed_connections(self.model) if c.from_ in shown and c.to in shown]
        return sorted(conns, key=lambda c: (c.from_, c.to, c.label, c.protocol, c.flow))

    def label(self, cid: str) -> str:
        comp = self.model.components[cid]
        return comp.label or cid

    def ranks_for(self, shown: set[str]) -> tuple[tuple[str, ...], ...]:
        groups = tuple(tuple(m for m in group if m in shown) for group in self.ranks)
        return tuple(g for g in groups if g)


def included(project: Project) -> list[str]:
    """Registered views the model includes, in registry order."""
    wanted = set(project.model.views.include)
    return [name for name in VIEWS if name in wanted]


def context(project: Project, name: str, plans: Plans | None = None) -> ViewContext:
    view = VIEWS[name]
    views = project.model.views
    settings = next((s for view_name, s in views.settings.items() if view_name == name), None)
    title = settings.title if settings and settings.title else f"{project.model.system.title}: {view.title}"
    direction = settings.direction if settings and settings.direction else view.direction or views.direction
    exclude = frozenset(settings.exclude) if settings else frozenset()
    ranks = tuple(tuple(g) for g in views.rank) if view.uses_ranks else ()
    return ViewContext(project, name, title, direction, exclude, ranks, plans if plans is not None else Plans(project))


def check_names(names: list[str] | None) -> list[str] | None:
    if not names:
        return None
    for name in names:
        if name not in VIEWS:
            suggestion = did_you_mean(name, VIEWS)
            raise StacksError(
                f"unknown view '{name}'", hint=(suggestion + " " if suggestion else "") + f"Views: {one_of(VIEWS)}."
            )
    return [n for n in VIEWS if n in names]


def project_views(project: Project, names: list[str] | None = None, plans: Plans | None = None) -> list[GraphSpec]:
    """The graph spec of each view (the included ones by default); views with nothing to draw are left out.

    ``plans`` is the build's plan stage (one per build, shared with the other renderers); a new one otherwise.
    """
    chosen = check_names(names) or included(project)
    plans = plans if plans is not None else Plans(project)
    specs = []
    for name in chosen:
        spec = VIEWS[name].load()(context(project, name, plans))
        if spec is not None:
            specs.append(spec.normalized())
    return specs
