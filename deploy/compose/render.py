"""Render the local stack: Dockerfiles, .dockerignore, docker-compose.yml, .env and .env.example.

Every file comes from a Jinja2 template in ``templates/``; values that land in YAML
go through one ``to_yaml`` filter (PyYAML, block style) so quoting is never hand-made.
"""

from __future__ import annotations

import functools
import json
from typing import TYPE_CHECKING, Any

from deploy.compose import local
from stacks.artifacts import Artifact, header
from stacks.bundle import TEMPLATES
from stacks.generators import Rendered
from stacks.project import Project

if TYPE_CHECKING:
    import jinja2
    import yaml

NAME = "compose"


@functools.cache
def _dumper() -> type[yaml.SafeDumper]:
    import yaml

    class Dumper(yaml.SafeDumper):  # pure Python on purpose: libyaml lays lists out differently
        def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
            return super().increase_indent(flow, False)  # indent list items under their key

        def ignore_aliases(self, data: Any) -> bool:
            return True  # a shared value is written out each time, never as a &anchor

    def short_lists_inline(dumper: yaml.SafeDumper, data: list[Any]) -> yaml.Node:
        # A command or a capability list reads best on one line, like an exec-form CMD.
        inline = all(isinstance(v, str | int | float) for v in data) and len(repr(data)) < 100
        return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=inline)

    Dumper.add_representer(list, short_lists_inline)
    return Dumper


def _to_yaml(value: Any) -> str:
    import yaml

    text: str = yaml.dump(
        value, Dumper=_dumper(), sort_keys=False, default_flow_style=False, width=4096, allow_unicode=True
    )
    return text.rstrip("\n")


def _environment() -> jinja2.Environment:
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    env = Environment(
        loader=FileSystemLoader(TEMPLATES), undefined=StrictUndefined, keep_trailing_newline=True, autoescape=False
    )
    env.filters["to_yaml"] = _to_yaml
    env.globals["max"] = max
    return env


def dockerfile_text(project: Project, build: local.ImageBuild, jinja: jinja2.Environment | None = None) -> str:
    jinja = jinja or _environment()
    health = None
    if build.health:
        port, path = build.health
        health = json.dumps(local._python_probe(port, path)[1:])
    return jinja.get_template("Dockerfile.j2").render(
        header=header(),
        build=build,
        python_image=local.PYTHON_IMAGE,
        requirements=build.requirements,
        source=build.source,
        workdir=local.WORKDIR,
        uid=build.uid,
        healthcheck=health,
        command=json.dumps(list(build.command)),
    )


def compose_text(project: Project, plan: local.ComposePlan, jinja: jinja2.Environment | None = None) -> str:
    jinja = jinja or _environment()
    doc = plan.document()
    order = [plan.default_environment] + [e for e in plan.environments if e != plan.default_environment]
    groups = [(env, [s for s in plan.services if s.environment == env]) for env in order]
    jobs = [
        s.name
        for s in plan.services
        if s.environment == plan.default_environment and s.body.get("profiles", [""])[0].endswith("-jobs")
    ]
    return jinja.get_template("docker-compose.yml.j2").render(
        header=header(),
        title=project.model.system.title,
        stack=plan.stack,
        default=plan.default_environment,
        others=order[1:],
        dev_envs=local.DEV_ENVIRONMENTS,
        jobs=jobs,
        secrets_dir=local.SECRETS_DIR,
        name=plan.name,
        groups=groups,
        volumes=doc["volumes"],
        secrets=doc["secrets"],
        configs=doc.get("configs"),
    )


def env_example_text(plan: local.ComposePlan, jinja: jinja2.Environment | None = None) -> str:
    jinja = jinja or _environment()
    users: dict[str, list[str]] = {}
    for svc in plan.services:
        for name in svc.body.get("secrets", []):
            users.setdefault(name, [])
            if svc.component not in users[name]:
                users[name].append(svc.component)
    readers = {}
    for name in sorted(plan.secrets):
        ref = plan.secrets[name]
        readers[name] = (
            plan.secret_bytes.get(name, 32),
            f"secret '{ref}', read by {', '.join(sorted(users.get(name, [])))}",
        )
    return jinja.get_template("env.example.j2").render(
        header=header(),
        compose_file=plan.path,
        default=plan.default_environment,
        host_ports=plan.host_ports,
        example_var=next(iter(plan.host_ports), "API_PORT"),
        dev_envs=[e for e in plan.environments if e in local.DEV_ENVIRONMENTS],
        secrets=readers,
        secrets_dir=local.SECRETS_DIR,
        uid=local.APP_UID,
        width=max((len(n) for n in readers), default=0) + 1,
    )


def render(project: Project) -> Rendered:
    """The compose generator: every file of the local stack, in memory."""
    jinja = _environment()
    artifacts: list[Artifact] = []
    # Only a Dockerfile the model asks stacks to generate is written; the user's own is used as is.
    generated = [b for b in local.image_builds(project) if b.generate]
    for build in generated:
        artifacts.append(Artifact.text(build.path, dockerfile_text(project, build, jinja), NAME))
    ignores = {b.dockerignore: b.source for b in generated}
    for path, source in sorted(ignores.items()):
        text = jinja.get_template("dockerignore.j2").render(header=header(), source=source)
        artifacts.append(Artifact.text(path, text, NAME))
    plans = local.plan(project)
    for plan in plans:
        artifacts.append(Artifact.text(plan.path, compose_text(project, plan, jinja), NAME))
    if plans:
        first = plans[0]
        artifacts.append(Artifact.text(".env.example", env_example_text(first, jinja), NAME))
        artifacts.append(
            Artifact.text(
                ".env",
                jinja.get_template("env.j2").render(
                    header=header(), default=first.default_environment, secrets_dir=local.SECRETS_DIR
                ),
                NAME,
                once=True,  # it holds local values: seeded once, never overwritten
            )
        )
    return Rendered(artifacts)
