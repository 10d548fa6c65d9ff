"""Run the real Pulumi program offline under ``pulumi.runtime.set_mocks`` and record what it registers.

This is what ``stacks plan`` shows and what the tests inspect: every resource the
program registers with the engine (type token, logical name, parent component,
inputs as the engine received them). The mocks answer like AWS would, with an
``id``, ``name``, ``arn`` and the other attributes later resources read
(``dnsName``, ``repositoryUrl``, ``url``, ...): a missing one would make the
inputs that depend on it silently vanish.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pulumi
from pulumi.runtime import mocks as pmocks
from pulumi.runtime import rpc
from pulumi.runtime import settings as psettings
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from stacks.plan.core import Plan

ACCOUNT = "123456789012"


@dataclass
class Recorded:
    type: str
    name: str
    component: str | None  # the model component id, None for the baseline
    inputs: dict[str, Any]
    custom: bool
    urn: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"type": self.type, "name": self.name, "component": self.component, "inputs": self.inputs}


@dataclass
class Recording:
    stack: str
    resources: list[Recorded] = field(default_factory=list)  # custom resources, in registration order
    components: list[Recorded] = field(default_factory=list)  # the ComponentResources
    outputs: dict[str, Any] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"stack": self.stack, "resources": [r.to_json() for r in self.resources], "outputs": self.outputs}


class AwsMocks(pmocks.Mocks):
    """Answers as AWS would: ids, names, ARNs and the computed attributes plans refer to."""

    def __init__(self, region: str):
        self.region = region

    def new_resource(self, args: pmocks.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        inputs = dict(args.inputs)
        if not args.custom:
            return f"{args.name}-component", inputs
        module = args.typ.split(":")[1].split("/")[0]
        name = inputs.get("name") or inputs.get("bucket") or args.name
        if not isinstance(name, str):
            name = args.name
        arn = f"arn:aws:{module}:{self.region}:{ACCOUNT}:{args.name}"
        state = {
            "id": f"{args.name}-id",
            "name": name,
            "arn": arn,
            "arnSuffix": f"app/{args.name}/0123456789abcdef",
            "arnWithoutRevision": arn,
            "dnsName": f"{args.name}.{self.region}.elb.amazonaws.com",
            "zoneId": "Z32O12XQLNTSW2",
            "hostedZoneId": "Z2FDTNDATAQYW2",
            "domainName": inputs.get("domainName", f"d{zlib.crc32(args.name.encode()):08x}.cloudfront.net"),
            "bucketDomainName": f"{name}.s3.amazonaws.com",
            "bucketRegionalDomainName": f"{name}.s3.{self.region}.amazonaws.com",  # a CloudFront S3 origin
            "repositoryUrl": f"{ACCOUNT}.dkr.ecr.{self.region}.amazonaws.com/{name}",
            "registryId": ACCOUNT,
            "url": f"https://sqs.{self.region}.amazonaws.com/{ACCOUNT}/{name}",
            "keyId": "0a1b2c3d-4e5f-6789-abcd-ef0123456789",
            "bucket": name,
            "family": inputs.get("family", name),
            "fqdn": f"{args.name}.example.com",
            "certificateArn": inputs.get("certificateArn", arn),
            "domainValidationOptions": [
                {
                    "domainName": domain,
                    "resourceRecordName": f"_x.{domain}.",
                    "resourceRecordType": "CNAME",
                    "resourceRecordValue": "_y.acm-validations.aws.",
                }
                for domain in sorted(
                    [inputs.get("domainName", "example.com"), *inputs.get("subjectAlternativeNames", [])]
                )
            ],
            "ref": f"{ACCOUNT}.dkr.ecr.{self.region}.amazonaws.com/{args.name}@sha256:{'0' * 64}",
            "serviceNamespace": inputs.get("serviceNamespace", "ecs"),
            "scalableDimension": inputs.get("scalableDimension", "ecs:service:DesiredCount"),
            "resourceId": inputs.get(
                "resourceId",
                f"db-{zlib.crc32(args.name.encode()):08X}" if module == "rds" else "service/cluster/service",
            ),
            "address": f"{name}.c0ffee.{self.region}.rds.amazonaws.com",  # RDS endpoint
            "primaryEndpointAddress": f"master.{args.name}.c0ffee.euw1.cache.amazonaws.com",
            "clusterAddress": f"{args.name}.c0ffee.cfg.euw1.cache.amazonaws.com",
            "functionName": inputs.get("name", args.name),  # Lambda
            "invokeArn": f"arn:aws:apigateway:{self.region}:lambda:path/functions/{arn}/invocations",
            "apiEndpoint": f"https://{zlib.crc32(args.name.encode()):08x}.execute-api.{self.region}.amazonaws.com",
            "executionArn": f"arn:aws:execute-api:{self.region}:{ACCOUNT}:{zlib.crc32(args.name.encode()):08x}",
            "userId": inputs.get("userId", args.name),
            "userGroupId": inputs.get("userGroupId", args.name),
            "masterUserSecrets": [
                {
                    "secretArn": f"arn:aws:secretsmanager:{self.region}:{ACCOUNT}:secret:rds!{name}",
                    "kmsKeyId": "0a1b2c3d",
                    "secretStatus": "active",
                }
            ],
        }
        return f"{args.name}-id", {**state, **inputs}

    def answer(self, args: pmocks.MockCallArgs) -> dict[str, Any]:
        """What the provider function ``args.token`` returns."""
        token = args.token
        if token.endswith("getCallerIdentity"):
            return {"accountId": ACCOUNT, "arn": f"arn:aws:iam::{ACCOUNT}:user/stacks", "userId": "AIDA", "id": ACCOUNT}
        if token.endswith("getAvailabilityZones"):
            names = [f"{self.region}{letter}" for letter in "abcdef"]
            return {"names": names, "zoneIds": [f"az{i}" for i in range(6)], "id": self.region}
        if token.endswith("getServiceAccount"):
            return {"arn": "arn:aws:iam::156460612806:root", "id": "156460612806"}
        if token.endswith("getManagedPrefixList"):
            return {"id": "pl-4fa04526", "name": args.args.get("name", ""), "arn": "arn:aws:ec2:prefix-list"}
        if token.endswith("getZone"):
            return {"zoneId": "Z0123456789ABCDEFGHIJ", "name": args.args.get("name", ""), "id": "Z0123456789"}
        if token.endswith("getAuthorizationToken"):
            return {
                "userName": "AWS",
                "password": "mock-token",
                "proxyEndpoint": "https://registry",
                "authorizationToken": "bW9jaw==",
                "id": ACCOUNT,
            }
        return {"id": "mock"}

    def call(self, args: pmocks.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        return self.answer(args), []


class RecordingMonitor(pmocks.MockMonitor):
    """The mock engine, keeping each registration's parent so components can be reconstructed."""

    def __init__(self, mocks: pmocks.Mocks):
        super().__init__(mocks)
        self.registrations: list[tuple[Any, str]] = []
        self.invokes: list[str] = []

    def RegisterResource(self, request: Any) -> Any:
        response = super().RegisterResource(request)
        # Explicit providers (an aliased region) are configuration, not planned resources.
        if request.type != "pulumi:pulumi:Stack" and not request.type.startswith("pulumi:providers:"):
            self.registrations.append((request, response.urn))
        return response

    def Invoke(self, request: Any) -> Any:
        self.invokes.append(request.tok)
        return super().Invoke(request)


def _plain(value: Any) -> Any:
    """Engine values as JSON data (secrets and unknowns shown as markers)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in sorted(value.items())}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


def run_offline(plan: Plan, variables: dict[str, str] | None = None) -> Recording:
    """Run the Pulumi program for ``plan`` against the mock engine and record every registration."""
    from deploy.realize import realize

    def program() -> dict[str, Any]:
        realizer = realize(plan, {"image_tag": "planned", **(variables or {})}, export=False)
        return realizer.outputs

    region = plan.providers.get("aws", {}).get("region", "eu-west-1")
    from deploy.offline_gcp import cloud_mocks  # GCP and hybrid plans: answers by provider

    recording = record(plan.stack, region, program, cloud_mocks(plan, AwsMocks(region)))
    # Registration order depends on when outputs resolve; plan order is deterministic.
    order = {r.name: i for i, r in enumerate(plan.resources)}
    recording.resources.sort(key=lambda r: order.get(r.name, len(order)))
    return recording


def record(
    stack: str, region: str, program: Callable[[], dict[str, Any] | None], mocks: pmocks.Mocks | None = None
) -> Recording:
    """Run ``program`` (a Pulumi program body) as stack ``stack`` on the mock engine; record what it registers."""
    monitor = RecordingMonitor(mocks or AwsMocks(region))
    # pulumi types the root as a Resource, but None is how a fresh run starts without the previous stack.
    psettings.set_root_resource(None)  # type: ignore[arg-type]
    pmocks.set_mocks(monitor.mocks, project="stacks", stack=stack, preview=False, monitor=monitor)
    psettings.SETTINGS.rpc_manager.clear()
    psettings.SETTINGS.outputs.clear()
    recording = Recording(stack)
    holder: dict[str, Any] = {}

    def run() -> None:
        outputs = program() or {}
        holder["resolved"] = _sync_await(pulumi.Output.all(**outputs).future()) if outputs else {}

    _sync_await(run_pulumi_func(run))
    components: dict[str, str | None] = {}
    for request, urn in monitor.registrations:
        if not request.custom:
            cid = request.name
            components[urn] = None if cid == "baseline" else cid
            recording.components.append(Recorded(request.type, request.name, components[urn], {}, False, urn))
    for request, urn in monitor.registrations:
        if request.custom:
            inputs = _plain(rpc.deserialize_properties(request.object))
            recording.resources.append(
                Recorded(request.type, request.name, components.get(request.parent), inputs, True, urn)
            )
    recording.outputs = _plain(holder.get("resolved") or {})
    recording.calls = list(monitor.invokes)
    return recording
