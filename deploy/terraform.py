"""Render a ``Plan`` as Terraform JSON and drive Terraform through ``python-terraform``.

The same plan the Pulumi program realizes becomes ``deploy/terraform/<stack>/main.tf.json``:
``TF_TYPES`` maps each Pulumi type token to its Terraform resource type (read from the
provider catalogs, ``stacks/catalog``), and
``TF_BLOCKS`` lists the few nested blocks whose Pulumi name is the plural of
Terraform's (``default_actions`` -> ``default_action``), ``TF_ARGS`` the top-level
arguments named differently (``name`` -> ``alarm_name``) and ``TF_ATTRS`` the
attribute paths refs read. Refs become
``${type.name.attr}`` interpolations; literal ``${`` is escaped. Resources only
Pulumi can create (the image build) become Terraform variables, and a resource's
checkov waivers become a ``"//"`` comment inside it, with the written reason.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from stacks import catalog
from stacks.artifacts import GENERATED, Artifact
from stacks.errors import StacksError
from stacks.generators import Rendered
from stacks.plan import Plans, cloud_deployables
from stacks.plan.core import Concat, Json, Plan, Ref, Resource, Var

OUT_DIR = "deploy/terraform"
PROVIDERS = {"aws": {"source": "hashicorp/aws", "version": "~> 6.0"}}

# Pulumi type token -> Terraform resource type: from the provider catalogs (stacks/catalog).
TF_TYPES: dict[str, str] = {t: f.tf for t, f in catalog.aws.TYPES.items() if f.tf}

TF_DATA: dict[str, str] = {
    "aws:index/getCallerIdentity:getCallerIdentity": "aws_caller_identity",
    "aws:index/getAvailabilityZones:getAvailabilityZones": "aws_availability_zones",
    "aws:elb/getServiceAccount:getServiceAccount": "aws_elb_service_account",
    "aws:route53/getZone:getZone": "aws_route53_zone",
    "aws:ec2/getManagedPrefixList:getManagedPrefixList": "aws_ec2_managed_prefix_list",
}

# Pulumi names a repeatable nested block in the plural; Terraform names each block.
TF_BLOCKS: dict[str, dict[str, str]] = {
    "aws:lb/listener:Listener": {"default_actions": "default_action"},
    "aws:ecs/service:Service": {"load_balancers": "load_balancer"},
    "aws:ecs/cluster:Cluster": {"settings": "setting"},
    "aws:ecs/taskDefinition:TaskDefinition": {"volumes": "volume"},
    "aws:rds/parameterGroup:ParameterGroup": {"parameters": "parameter"},
    "aws:ecr/repository:Repository": {"encryption_configurations": "encryption_configuration"},
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": {"rules": "rule"},
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": {"rules": "rule"},
    "aws:cloudwatch/metricAlarm:MetricAlarm": {"metric_queries": "metric_query"},
    "aws:route53/record:Record": {"aliases": "alias"},
    "aws:cloudfront/distribution:Distribution": {
        "origins": "origin",
        "ordered_cache_behaviors": "ordered_cache_behavior",
        "function_associations": "function_association",
    },
    # Not a block: the one argument Pulumi names differently (``function`` for Terraform's ``function_name``).
    "aws:lambda/permission:Permission": {"function": "function_name"},
    "aws:lambda/function:Function": {"name": "function_name", "commands": "command"},  # image_config.command
    "aws:wafv2/webAcl:WebAcl": {"rules": "rule", "rule_action_overrides": "rule_action_override"},
}

# Top-level arguments Pulumi names differently from Terraform (the Pulumi name is the key).
TF_ARGS: dict[str, dict[str, str]] = {
    "aws:cloudwatch/metricAlarm:MetricAlarm": {"name": "alarm_name"},
    "aws:sns/topicSubscription:TopicSubscription": {"topic": "topic_arn"},
}

# The GCP and hybrid plans' types, lookups, blocks and attribute paths (deploy/terraform_gcp.py).
from deploy.terraform_gcp import (  # noqa: E402
    GCP_ATTRS,
    GCP_BLOCKS,
    GCP_DATA,
    GCP_PROVIDER,
    GCP_TYPES,
    PROVIDER_NAMES,
)

PROVIDERS.update(GCP_PROVIDER)
TF_TYPES.update(GCP_TYPES)
TF_DATA.update(GCP_DATA)
TF_BLOCKS.update(GCP_BLOCKS)
# (type, Pulumi attribute path) -> Terraform attribute path, where they differ.
TF_ATTRS: dict[tuple[str, str], str] = {
    ("aws:rds/instance:Instance", "master_user_secrets[0].secret_arn"): "master_user_secret[0].secret_arn",
    ("aws:lambda/function:Function", "name"): "function_name",
    **GCP_ATTRS,
}


class TerraformRenderer:
    def __init__(self, plan: Plan):
        self.plan = plan
        self.resources = {r.name: r for r in plan.resources}
        self.data = {d.name: d for d in plan.data}
        self.variables: dict[str, dict[str, Any]] = {}

    def address(self, name: str) -> str:
        if name in self.data:
            return f"data.{TF_DATA[self.data[name].type]}.{name}"
        return f"{tf_type(self.resources[name].type)}.{name}"

    def expr(self, ref: Ref) -> str:
        target = self.resources.get(ref.name)
        if target is not None and "terraform" not in target.engines:
            return self.variable(target)
        out = self.address(ref.name)
        kind = target.type if target is not None else self.data[ref.name].type
        attr = TF_ATTRS.get((kind, ref.attr))
        for step in (Ref(ref.name, attr) if attr else ref).path():
            out = f"tolist({out})[{step}]" if isinstance(step, int) else f"{out}.{step}"
        return out

    def variable(self, res: Resource) -> str:
        var = res.replaces_var or res.name.replace("-", "_")
        self.variables[var] = {
            "type": "string",
            "description": (
                f"{res.type} '{res.name}' is created by the Pulumi program only: pass its result here "
                "(for an image: the pushed image reference)"
            ),
        }
        return f"var.{var}"

    def value(self, value: Any) -> Any:
        if isinstance(value, Ref):
            return "${" + self.expr(value) + "}"
        if isinstance(value, Concat):
            return "".join(self.text(p) for p in value.parts)
        if isinstance(value, Json):
            return json.dumps(self.in_json(value.value), sort_keys=True, separators=(",", ":"))
        if isinstance(value, Var):
            self.variables[value.name] = {
                "type": "string",
                "description": value.description,
                **({"default": value.default} if value.default is not None else {}),
            }
            return "${var." + value.name + "}"
        if isinstance(value, str):
            return escape(value)
        if isinstance(value, dict):
            return {k: self.value(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.value(v) for v in value]
        return value

    def text(self, part: Any) -> str:
        if isinstance(part, str):
            return escape(part)
        if isinstance(part, Ref):
            return "${" + self.expr(part) + "}"
        if isinstance(part, Var):
            return str(self.value(part))
        return str(part)

    def in_json(self, value: Any) -> Any:
        # Inside a JSON document refs are interpolated into its strings; Terraform resolves them.
        if isinstance(value, Ref | Concat | Var):
            return self.value(value)
        if isinstance(value, str):
            return escape(value)
        if isinstance(value, dict):
            return {k: self.in_json(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.in_json(v) for v in value]
        return value

    def resource_body(self, res: Resource) -> dict[str, Any]:
        body = rename_blocks(self.value(res.inputs), TF_BLOCKS.get(res.type, {}))
        body = {TF_ARGS.get(res.type, {}).get(k, k): v for k, v in body.items()}
        body = {k: v for k, v in body.items() if v is not None and v != []}
        if res.depends_on:
            body["depends_on"] = [self.address(d) for d in res.depends_on]
        lifecycle: dict[str, Any] = {}
        if res.protect:
            lifecycle["prevent_destroy"] = True
        if res.alias:
            provider, _config = self.plan.aliases[res.alias]
            body["provider"] = f"{PROVIDER_NAMES.get(provider, provider)}.{res.alias}"
        if res.create_before_destroy:
            lifecycle["create_before_destroy"] = True
        if res.ignore_changes:
            lifecycle["ignore_changes"] = list(res.ignore_changes)
        if lifecycle:
            body["lifecycle"] = lifecycle
        skips = [
            f"checkov:skip={check}:{reason}" for check, reason in sorted(res.waivers.items()) if check.startswith("CKV")
        ]
        if skips:
            body["//"] = skips[0] if len(skips) == 1 else skips
        return body

    def render(self) -> dict[str, Any]:
        resources: dict[str, dict[str, dict[str, Any]]] = {}
        for res in self.plan.resources:
            if "terraform" not in res.engines:
                continue
            resources.setdefault(tf_type(res.type), {})[res.name] = self.resource_body(res)
        data: dict[str, dict[str, dict[str, Any]]] = {}
        for d in self.plan.data:
            if "terraform" in d.engines:
                body = rename_blocks(self.value(d.args), {"filters": "filter"})
                if d.depends_on:
                    body["depends_on"] = [self.address(x) for x in d.depends_on]
                data.setdefault(TF_DATA[d.type], {})[d.name] = body
        outputs = {o.name: {"value": self.value(o.value), "description": o.description} for o in self.plan.outputs}
        provider: dict[str, Any] = {}
        for name, config in self.plan.providers.items():
            provider[PROVIDER_NAMES.get(name, name)] = dict(config)
        for alias, (name, config) in sorted(self.plan.aliases.items()):
            cfg = {"alias": alias, **config}
            key = PROVIDER_NAMES.get(name, name)
            existing = provider[key]
            provider[key] = [*(existing if isinstance(existing, list) else [existing]), cfg]
        doc: dict[str, Any] = {
            "//": f"{GENERATED}: stack {self.plan.stack}",
            # No required_version here: checkov's tf.json parser rejects attributes in the terraform block.
            "terraform": {"required_providers": {PROVIDER_NAMES.get(p, p): PROVIDERS[p] for p in self.plan.providers}},
            "provider": provider,
            "data": data,
            "resource": resources,
            "output": outputs,
        }
        if self.variables:
            doc["variable"] = self.variables
        return doc


def escape(text: str) -> str:
    """A literal string for Terraform: ``${`` and ``%{`` would start a template otherwise."""
    return text.replace("${", "$${").replace("%{", "%%{")


def tf_type(token: str) -> str:
    try:
        return TF_TYPES[token]
    except KeyError:
        raise StacksError(
            f"no Terraform resource type for {token}",
            hint="give it an entry in its provider catalog, stacks/catalog/<provider>.py",
        ) from None


def rename_blocks(value: Any, renames: dict[str, str]) -> Any:
    if not renames:
        return value
    if isinstance(value, dict):
        return {renames.get(k, k): rename_blocks(v, renames) for k, v in value.items()}
    if isinstance(value, list):
        return [rename_blocks(v, renames) for v in value]
    return value


def render_plan(plan: Plan) -> dict[str, Any]:
    return TerraformRenderer(plan).render()


def tf_json_text(plan: Plan) -> str:
    return json.dumps(render_plan(plan), indent=2, sort_keys=True) + "\n"


def tf_path(stack: str) -> str:
    return f"{OUT_DIR}/{stack}/main.tf.json"


def render(project: Any, plans: Plans | None = None) -> Rendered:
    """Generator: main.tf.json for every cloud deployable a Terraform rendering exists for, from the build's plans."""
    plans = plans if plans is not None else Plans(project)
    artifacts = []
    for name in cloud_deployables(project):
        plan = plans[name]
        if all(p in PROVIDERS for p in plan.providers):
            artifacts.append(Artifact.text(tf_path(name), tf_json_text(plan), "terraform"))
    return Rendered(artifacts, owns=[OUT_DIR])


# ---------------------------------------------------------------- driving terraform


def terraform_binary() -> str:
    exe = shutil.which("terraform")
    if exe is None:
        raise StacksError(
            "the terraform binary is not installed",
            hint="install Terraform >= 1.6 (https://developer.hashicorp.com/terraform/install, e.g. "
            "`apt-get install terraform` from HashiCorp's apt repository); the JSON is written, "
            "so `terraform -chdir=<dir> init` works once it is on PATH",
        )
    return exe


def drive(directory: Path, action: str) -> str:
    """Run ``terraform init|plan|apply`` in ``directory`` through python-terraform; return its output."""
    from python_terraform import IsFlagged, Terraform

    exe = terraform_binary()
    tf = Terraform(working_dir=str(directory), terraform_bin_path=exe)
    if action == "init":
        code, out, err = tf.init(capture_output=True, input=False)
    elif action == "plan":
        code, out, err = tf.plan(capture_output=True, input=False, detailed_exitcode=IsFlagged)
        if code == 2:  # changes present: success for `plan -detailed-exitcode`
            code = 0
    elif action == "apply":
        code, out, err = tf.apply(capture_output=True, input=False, skip_plan=True)
    else:  # pragma: no cover - the CLI only passes the three above
        raise ValueError(action)
    if code != 0:
        text = (err or out or "").strip()
        lowered = text.lower()
        hint = None
        if action == "init" and "provider" in lowered:
            hint = (
                "terraform init could not install the hashicorp/aws provider: it needs network access to "
                "registry.terraform.io or a provider mirror (provider_installation in ~/.terraformrc, "
                "https://developer.hashicorp.com/terraform/cli/config/config-file)"
            )
        elif "init" in lowered or "provider" in lowered:
            hint = "run `stacks terraform STACK --init` first: it installs the providers"
        raise StacksError(f"terraform {action} failed in {directory} (exit {code}):\n{text[-3000:]}", hint=hint)
    return out or ""
