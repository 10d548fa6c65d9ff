"""Generator: the Pulumi project file and one ``Pulumi.<stack>.yaml`` per cloud deployable.

Stack config carries what the providers need (region, default tags) so that
``pulumi up -s aws-prod`` needs no ``pulumi config set`` first.
"""

from __future__ import annotations

import yaml

from stacks.artifacts import Artifact, header
from stacks.generators import Rendered
from stacks.plan import build_plan, cloud_deployables


def _yaml(data: dict) -> str:
    return header() + yaml.safe_dump(data, sort_keys=True, default_flow_style=False, width=100)


def project_file(project) -> str:
    model = project.model
    return _yaml(
        {
            "name": model.system.name,
            "description": f"{model.system.title}: cloud stacks planned from stacks.yaml",
            "runtime": {"name": "python", "options": {"toolchain": "pip", "virtualenv": "../.venv"}},
            "main": "__main__.py",
        }
    )


def stack_file(plan) -> str:
    config: dict = {}
    for provider, settings in plan.providers.items():
        for key, value in settings.items():
            if key == "default_tags":
                config[f"{provider}:defaultTags"] = {"tags": value}
            elif key == "default_labels":  # the gcp provider's labels on every resource that takes labels
                config[f"{provider}:defaultLabels"] = value
            else:
                config[f"{provider}:{key}"] = value
    return _yaml({"config": config})


def render(project) -> Rendered:
    artifacts = [Artifact.text("deploy/Pulumi.yaml", project_file(project), "pulumi")]
    for name in cloud_deployables(project):
        artifacts.append(Artifact.text(f"deploy/Pulumi.{name}.yaml", stack_file(build_plan(project, name)), "pulumi"))
    return Rendered(artifacts)
