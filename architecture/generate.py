"""The `diagrams` and `docs` generators, and `stacks diagrams` with a chosen view or format.

``render_diagrams`` returns ``<views.output>/diagrams/<view>.png`` and ``.svg`` for
every included view and owns that directory (a view dropped from the model
leaves stale files that `stacks check` reports and `stacks build` removes).
Current files are passed to the renderer as ``previous``: a file whose source key
matches is reused instead of re-running Graphviz (see ``architecture.render``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from architecture.registry import project_views
from architecture.render import FORMATS, Rendering, render_specs
from stacks.artifacts import Artifact, file_digest, write_atomic
from stacks.errors import StacksError
from stacks.generators import Rendered
from stacks.plan import Plans
from stacks.project import Project


def output_dir(project: Project) -> str:
    out = project.model.views.output.strip().strip("/")
    if not out or out.startswith("..") or "/../" in f"/{out}/" or Path(out).is_absolute():
        raise StacksError(
            f"views.output '{project.model.views.output}' must be a folder inside the project",
            hint="Use a relative path such as docs/architecture.",
        )
    return out


def diagrams_dir(project: Project) -> str:
    return f"{output_dir(project)}/diagrams"


def _previous(project: Project) -> Callable[[str, str], bytes | None]:
    base = project.root / diagrams_dir(project)

    def read(name: str, fmt: str) -> bytes | None:
        try:
            return (base / f"{name}.{fmt}").read_bytes()
        except OSError:
            return None

    return read


def render_views(
    project: Project,
    names: list[str] | None = None,
    formats: Iterable[str] = FORMATS,
    *,
    reuse: bool = True,
    on_done: Callable[[Rendering], None] | None = None,
    plans: Plans | None = None,
) -> list[Rendering]:
    specs = project_views(project, names, plans)
    return render_specs(specs, formats, previous=_previous(project) if reuse else None, on_done=on_done)


def render_diagrams(project: Project, plans: Plans | None = None) -> Rendered:
    """Generator entry: every included view as PNG and SVG, drawn from the build's plans."""
    out = diagrams_dir(project)
    artifacts = [
        Artifact(f"{out}/{r.name}.{fmt}", data, "diagrams")
        for r in render_views(project, plans=plans)
        for fmt, data in sorted(r.outputs.items())
    ]
    return Rendered(artifacts, owns=[out])


@dataclass
class DiagramsResult:
    written: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    views: dict[str, float] = field(default_factory=dict)  # view -> seconds
    reused: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def summary(self) -> str:
        return (
            f"{len(self.views)} view{'s' if len(self.views) != 1 else ''}: {len(self.written)} written, "
            f"{len(self.unchanged)} unchanged in {self.seconds:.2f}s"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "written": self.written,
            "unchanged": self.unchanged,
            "reused": self.reused,
            "views": {k: round(v, 3) for k, v in self.views.items()},
            "seconds": round(self.seconds, 3),
        }


def write_diagrams(
    project: Project,
    names: list[str] | None,
    formats: list[str],
    *,
    force: bool = False,
    on_done: Callable[[Rendering], None] | None = None,
) -> DiagramsResult:
    """Render the chosen views and formats and write them (the whole generator runs via `stacks build`)."""
    started = time.perf_counter()
    result = DiagramsResult()
    renderings = render_views(project, names, tuple(formats), reuse=not force, on_done=on_done)
    out = diagrams_dir(project)
    for rendering in renderings:
        result.views[rendering.name] = rendering.seconds
        if rendering.reused:
            result.reused.append(rendering.name)
        for fmt, data in sorted(rendering.outputs.items()):
            rel = f"{out}/{rendering.name}.{fmt}"
            target = project.root / rel
            if file_digest(target) == Artifact(rel, data).digest:
                result.unchanged.append(rel)
            else:
                write_atomic(target, data)
                result.written.append(rel)
    result.seconds = time.perf_counter() - started
    return result
