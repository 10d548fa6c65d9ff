"""The ``gateway`` kind on AWS: an API Gateway HTTP API in front of services and functions.

Built in two steps. Before the workloads (phase 1): the API, its ``$default`` stage
(auto-deployed, access logs in a KMS-encrypted log group, the model's ``throttling``
as the default route's rate and burst), the JWT authorizer for ``auth: {type: jwt}``,
and for routes to services a VPC link in the private subnets with its own security
group (each routed service has a Cloud Map entry in the stack's private DNS namespace,
``stacks.plan.aws._discovery_services``, where its ECS service registers its tasks). The gateway's
``url`` output is known then, so workloads can read ``${gateway.url}``.

After the workloads (``AwsPlanner.later``): per route an integration (``HTTP_PROXY``
over the VPC link to the Cloud Map service, or ``AWS_PROXY`` to the Lambda function),
the routes ``ANY <path>`` and ``ANY <path>/{proxy+}`` (``$default`` for ``/``), the
routed service's security group opened to the VPC link's group on its port only,
and a Lambda permission limited to this API and the route's path.

HTTP APIs take no WAF web ACL and have no API keys: validation refuses ``api_key``
on aws (the kind rule's ``unsupported``) and the docs say the WAF is not there.
"""

from __future__ import annotations

from typing import Any

from stacks.model import Gateway
from stacks.plan.aws import AwsPlanner, name_prefix, open_port
from stacks.plan.core import Json, Ref, concat
from stacks.project import DeployedComponent

ACCESS_LOG_FORMAT = {
    "requestId": "$context.requestId",
    "ip": "$context.identity.sourceIp",
    "requestTime": "$context.requestTime",
    "httpMethod": "$context.httpMethod",
    "routeKey": "$context.routeKey",
    "status": "$context.status",
    "responseLength": "$context.responseLength",
    "integrationError": "$context.integrationErrorMessage",
    "authorizerError": "$context.authorizer.error",
}


def _routed(p: AwsPlanner, gateway: Gateway) -> tuple[list[str], list[str]]:
    """(services, functions) the gateway routes to, each once, in route order."""
    kinds = p.project.model.components
    services = [r.to for r in gateway.routes if kinds[r.to].kind != "function"]
    functions = [r.to for r in gateway.routes if kinds[r.to].kind == "function"]
    return list(dict.fromkeys(services)), list(dict.fromkeys(functions))


def _vpc_link(p: AwsPlanner, cid: str) -> str:
    """The VPC link in the private subnets and its security group (the routed services' Cloud Map entries are
    the stack's, ``stacks.plan.aws._discovery_services``)."""
    sg = f"{cid}-vpclink-sg"
    p.add(
        "aws:ec2/securityGroup:SecurityGroup",
        sg,
        {
            "name_prefix": name_prefix(p.name(cid, "vpclink")),
            "description": f"VPC link of the gateway {cid}: to its routed services only",
            "vpc_id": Ref("vpc"),
        },
        cid,
        group="vpc",
    )
    link = f"{cid}-vpclink"
    p.add(
        "aws:apigatewayv2/vpcLink:VpcLink",
        link,
        {
            "name": p.name(cid),
            "subnet_ids": [Ref(s) for s in p.facts["private_subnets"]],
            "security_group_ids": [Ref(sg)],
        },
        cid,
        group="vpc",
    )
    return link


def build_gateway(p: AwsPlanner, comp: DeployedComponent[Gateway]) -> None:
    cid, gateway = comp.id, comp.component
    api = f"{cid}-api"
    p.add(
        "aws:apigatewayv2/api:Api",
        api,
        {"name": p.name(cid), "protocol_type": "HTTP", "description": gateway.description or f"the gateway {cid}"},
        cid,
        group="region",
    )
    logs = p.log_group(f"{cid}-access-logs", f"/aws/apigateway/{p.name(cid)}", cid)
    stage = f"{cid}-stage"
    p.add(
        "aws:apigatewayv2/stage:Stage",
        stage,
        {
            "api_id": Ref(api),
            "name": "$default",
            "auto_deploy": True,
            "access_log_settings": {"destination_arn": Ref(logs, "arn"), "format": Json(ACCESS_LOG_FORMAT)},
            "default_route_settings": {
                "throttling_rate_limit": float(gateway.throttling.rate),
                "throttling_burst_limit": gateway.throttling.burst,
                "detailed_metrics_enabled": True,
            },
        },
        cid,
        group="region",
    )
    authorizer = None
    if gateway.auth.type == "jwt":
        authorizer = f"{cid}-authorizer"
        p.add(
            "aws:apigatewayv2/authorizer:Authorizer",
            authorizer,
            {
                "api_id": Ref(api),
                "name": p.name(cid, "jwt"),
                "authorizer_type": "JWT",
                "identity_sources": ["$request.header.Authorization"],
                "jwt_configuration": {"issuer": gateway.auth.issuer, "audiences": list(gateway.auth.audience)},
            },
            cid,
            group="region",
        )
    services, _ = _routed(p, gateway)
    link = _vpc_link(p, cid) if services else None
    url = Ref(api, "api_endpoint")  # the $default stage answers at the API's endpoint, no stage path
    p.provide(cid, {"url": url})
    p.output(f"{cid.replace('-', '_')}_url", url, f"URL of the gateway {cid}")
    p.later.append(lambda: _routes(p, cid, gateway, link, authorizer))


def _routes(p: AwsPlanner, cid: str, gateway: Gateway, link: str | None, authorizer: str | None) -> None:
    """Per route: its integration, its two route keys, and the network path or invoke permission it needs."""
    api = f"{cid}-api"
    components = p.project.model.components
    for i, route in enumerate(gateway.routes):
        integration = f"{cid}-to-{route.to}-{i}"
        if components[route.to].kind == "function":
            fn = p.facts["functions"][route.to]
            inputs: dict[str, Any] = {
                "integration_type": "AWS_PROXY",
                "integration_uri": Ref(fn, "arn"),
                "payload_format_version": "2.0",
            }
            _lambda_permission(p, cid, route.to, fn, route.path, i)
        else:
            inputs = {
                "integration_type": "HTTP_PROXY",
                "integration_method": "ANY",
                "connection_type": "VPC_LINK",
                "connection_id": Ref(link or ""),
                "integration_uri": Ref(f"{route.to}-discovery", "arn"),
                "payload_format_version": "1.0",
            }
            _open_service(p, cid, route.to)
        p.add(
            "aws:apigatewayv2/integration:Integration",
            integration,
            {"api_id": Ref(api), "description": f"{route.path} -> {route.to}", **inputs},
            cid,
            group="region",
        )
        keys = ["$default"] if route.path == "/" else [f"ANY {route.path}", f"ANY {route.path}/{{proxy+}}"]
        for j, key in enumerate(keys):
            route_inputs: dict[str, Any] = {
                "api_id": Ref(api),
                "route_key": key,
                "target": concat("integrations/", Ref(integration)),
                "authorization_type": "JWT" if authorizer else "NONE",
            }
            waivers = {}
            if authorizer:
                route_inputs["authorizer_id"] = Ref(authorizer)
            else:
                waivers["CKV_AWS_309"] = f"components.{cid}.auth is none in stacks.yaml: the model opens this route"
            p.add(
                "aws:apigatewayv2/route:Route",
                f"{integration}-route-{j}",
                route_inputs,
                cid,
                group="region",
                waivers=waivers,
            )


def _lambda_permission(p: AwsPlanner, cid: str, function: str, fn: str, path: str, i: int) -> None:
    """This API may invoke the function, on this route's paths only (any stage, any method)."""
    source = concat(Ref(f"{cid}-api", "execution_arn"), "/*/*" + ("/*" if path == "/" else f"{path}*"))
    p.add(
        "aws:lambda/permission:Permission",
        f"{cid}-invokes-{function}-{i}",
        {
            "action": "lambda:InvokeFunction",
            "function": Ref(fn, "name"),
            "principal": "apigateway.amazonaws.com",
            "source_arn": source,
        },
        function,
        group="region",
    )


def _open_service(p: AwsPlanner, cid: str, service: str) -> None:
    """The routed service's tasks accept the VPC link on the service's port only, and the link may send there."""
    port = int(getattr(p.project.model.components[service], "port", 8000))
    open_port(p, cid, f"{cid}-vpclink-sg", service, port)
