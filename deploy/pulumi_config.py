"""Generator: a runnable Pulumi project in ``deploy/``: Pulumi.yaml, one ``Pulumi.<stack>.yaml`` per cloud
deployable, the program (``__main__.py``) and its dependencies (``requirements.txt``).

Stack config carries what the providers need (region, default tags) so that
``pulumi up -s aws-prod`` needs no ``pulumi config set`` first. In a user's project the
program's virtualenv is ``deploy/.venv`` with ``stacks[deploy]`` from requirements.txt;
in the stacks repository it is the checkout's ``.venv``.
"""

from __future__ import annotations

from typing import Any

import yaml

from stacks import bundle
from stacks.artifacts import Artifact, header
from stacks.generators import Rendered
from stacks.plan import Plans, cloud_deployables
from stacks.plan.core import Plan
from stacks.project import Project


def _yaml(data: dict[str, Any]) -> str:
    return header() + yaml.safe_dump(data, sort_keys=True, default_flow_style=False, width=100)


PROGRAM = '''"""The Pulumi program (`pulumi up -s <stack>-<environment>` here): the plan of ../stacks.yaml."""

from stacks.runner import main

main()
'''


def _in_checkout(project: Project) -> bool:
    """The project is the stacks repository itself (its deploy/ runs on the checkout's .venv)."""
    checkout = bundle.source_checkout()
    return checkout is not None and project.root == checkout


def project_file(project: Project) -> str:
    model = project.model
    venv = "../.venv" if _in_checkout(project) else ".venv"
    return _yaml(
        {
            "name": model.system.name,
            "description": f"{model.system.title}: cloud stacks planned from stacks.yaml",
            "runtime": {"name": "python", "options": {"toolchain": "pip", "virtualenv": venv}},
            "main": "__main__.py",
        }
    )


def requirements_file(project: Project) -> str:
    if _in_checkout(project):
        return header() + "# this repository's own stacks, with the Pulumi providers\n-e ..[deploy]\n"
    return (
        header()
        + "# the program's dependencies: `pulumi install` puts them into deploy/.venv\n"
        + f"stacks[deploy]=={bundle.version()}\n"
    )


def stack_file(plan: Plan) -> str:
    config: dict[str, Any] = {}
    for provider, settings in plan.providers.items():
        for key, value in settings.items():
            if key == "default_tags":  # already the provider's shape: {"tags": {...}}
                config[f"{provider}:defaultTags"] = value
            elif key == "default_labels":  # the gcp provider's labels on every resource that takes labels
                config[f"{provider}:defaultLabels"] = value
            else:
                config[f"{provider}:{key}"] = value
    return _yaml({"config": config})


def render(project: Project, plans: Plans | None = None) -> Rendered:
    """Generator: Pulumi.yaml, the program and a Pulumi.<stack>.yaml per cloud deployable, from the build's plans."""
    plans = plans if plans is not None else Plans(project)
    artifacts = [
        Artifact.text("deploy/Pulumi.yaml", project_file(project), "pulumi"),
        Artifact.text("deploy/__main__.py", header() + PROGRAM, "pulumi"),
        Artifact.text("deploy/requirements.txt", requirements_file(project), "pulumi"),
    ]
    for name in cloud_deployables(project):
        artifacts.append(Artifact.text(f"deploy/Pulumi.{name}.yaml", stack_file(plans[name]), "pulumi"))
    return Rendered(artifacts, owns=["deploy/Pulumi.*.yaml"])
