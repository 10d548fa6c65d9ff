"""The docs page's parity table: per component and stack, what it runs as and what each target gives it.

"Runs as" is the kind rule's product on that target (``stacks.rules``: the same words the
deployment view draws), with the technology or engine variant the component asks for; the
features (autoscaling, HTTPS, health checks, secrets, logs) are read from each stack's plan
for its most production environment, the plan every renderer of the build shares.
"""

from __future__ import annotations

from typing import Any

from stacks import rules
from stacks.model import WORKLOAD_KINDS
from stacks.plan import Plan, Plans, Resource

FEATURES = ("autoscaling", "HTTPS", "health checks", "secrets", "logs")


def _container(task: Resource) -> Any:
    defs = task.inputs.get("container_definitions")
    return (getattr(defs, "value", None) or [{}])[0]


def _aws_features(plan: Plan, cid: str, kind: str) -> dict[str, str]:
    mine = {r.type: r for r in plan.of_component(cid)}
    out = {f: "—" for f in FEATURES}
    scaling = mine.get("aws:appautoscaling/target:Target")
    if kind == "job":
        out["autoscaling"] = "n/a"
    elif scaling:
        policy = mine.get("aws:appautoscaling/policy:Policy")
        target = policy.inputs["target_tracking_scaling_policy_configuration"]["target_value"] if policy else "?"
        out["autoscaling"] = (
            f"target tracking {scaling.inputs['min_capacity']}-{scaling.inputs['max_capacity']} "
            f"tasks at {target:g}% CPU"
        )
    else:
        service = mine.get("aws:ecs/service:Service")
        out["autoscaling"] = f"— (fixed at {service.inputs['desired_count']})" if service else "—"
    listeners = [r for r in plan.of_component(cid) if r.type == "aws:lb/listener:Listener"]
    if any(r.inputs.get("protocol") == "HTTPS" for r in listeners):
        out["HTTPS"] = "ALB listener, ACM certificate, HTTP redirects"
    elif listeners:
        out["HTTPS"] = "— (HTTP only: no domain in this environment)"
    else:
        out["HTTPS"] = "n/a (not public)"
    tg = mine.get("aws:lb/targetGroup:TargetGroup")
    if tg:
        out["health checks"] = f"ALB target group on {tg.inputs['health_check']['path']}"
    elif kind == "job":
        out["health checks"] = "n/a"
    task = mine.get("aws:ecs/taskDefinition:TaskDefinition")
    secrets = _container(task).get("secrets", []) if task else []
    out["secrets"] = f"{len(secrets)} from SSM by reference" if secrets else "none declared"
    logs = mine.get("aws:cloudwatch/logGroup:LogGroup")
    out["logs"] = f"CloudWatch, {logs.inputs['retention_in_days']} days" if logs else "—"
    return out


def _gcp_features(plan: Plan, cid: str, kind: str) -> dict[str, str]:
    mine = {r.type: r for r in plan.of_component(cid)}
    out = {f: "—" for f in FEATURES}
    service = mine.get("gcp:cloudrunv2/service:Service")
    job = mine.get("gcp:cloudrunv2/job:Job")
    if service:
        scaling = service.inputs["template"]["scaling"]
        out["autoscaling"] = (
            f"Cloud Run {scaling['min_instance_count']}-{scaling['max_instance_count']} "
            f"instances, {service.inputs['template']['max_instance_request_concurrency']} "
            "requests each"
        )
        container = service.inputs["template"]["containers"][0]
        if "gcp:compute/targetHttpsProxy:TargetHttpsProxy" in mine:
            out["HTTPS"] = "HTTPS load balancer, managed certificate, Cloud Armor, HTTP redirects"
        elif service.inputs["ingress"] == "INGRESS_TRAFFIC_ALL":
            out["HTTPS"] = "run.app URL (Google-managed TLS)"
        else:
            out["HTTPS"] = "n/a (not public)"
        probes = [  # an HTTP probe names its path; a TCP probe (a service without one) has none
            container[p].get("http_get", {}).get("path", "TCP")
            for p in ("startup_probe", "liveness_probe")
            if p in container
        ]
        out["health checks"] = ("startup + liveness probes on " + ", ".join(dict.fromkeys(probes))) if probes else "—"
    elif job:
        container = job.inputs["template"]["template"]["containers"][0]
        out.update({"autoscaling": "n/a", "HTTPS": "n/a", "health checks": "n/a"})
    else:
        container = {}
    secrets = [e for e in container.get("envs", []) if "value_source" in e]
    out["secrets"] = f"{len(secrets)} from Secret Manager by reference" if secrets else "none declared"
    logs = next((r for r in plan.resources if r.type == "gcp:logging/projectBucketConfig:ProjectBucketConfig"), None)
    out["logs"] = f"Cloud Logging, {logs.inputs['retention_days']} days" if logs else "—"
    return out


def _compose_features(comp: Any, kind: str) -> dict[str, str]:
    from deploy.compose.local import compose_probe

    model = comp.component
    port = getattr(model, "port", None)
    # The same probe the compose plan writes: what the table says is what compose runs.
    probe = compose_probe(model)
    if kind == "job" or not probe:
        health = "n/a" if kind == "job" else "—"
    elif probe[0] == "CMD-SHELL":
        health = f"container healthcheck `{probe[1]}`"
    else:
        health = f"container healthcheck on {getattr(model, 'ready', None) or model.health}"
    return {
        "autoscaling": "n/a" if kind == "job" else "— (one container)",
        "HTTPS": "— (plain HTTP on localhost)" if port else "n/a",
        "health checks": health,
        "secrets": "compose secret files" if getattr(model, "secrets", None) else "none declared",
        "logs": "docker logs (local, no retention)",
    }


def _gateway_features(plan: Plan | None, cid: str, target: str) -> dict[str, str]:
    """A gateway's HTTPS, logs and rate limiting (in the autoscaling column: what bounds its load) per target."""
    out = {f: "n/a" for f in FEATURES}
    mine = {r.type: r for r in plan.of_component(cid)} if plan is not None else {}
    if target == "aws":
        stage = mine["aws:apigatewayv2/stage:Stage"].inputs
        limits = stage["default_route_settings"]
        out["autoscaling"] = f"managed; throttled at {limits['throttling_rate_limit']:g}/s (burst "
        out["autoscaling"] += f"{limits['throttling_burst_limit']}), no WAF (HTTP APIs take none)"
        out["HTTPS"] = "execute-api endpoint (TLS by AWS)"
        logs = mine["aws:cloudwatch/logGroup:LogGroup"].inputs
        out["logs"] = f"access logs in CloudWatch, {logs['retention_in_days']} days"
    elif target == "gcp":
        out["autoscaling"] = "managed; Cloud Armor per-IP rate limit and OWASP rules"
        cert = mine.get("gcp:compute/managedSslCertificate:ManagedSslCertificate")
        out["HTTPS"] = "managed certificate, HTTP redirects" if cert else "— (HTTP only: no domain in this environment)"
        out["logs"] = "load balancer request logs (Cloud Logging)"
    else:
        out["autoscaling"] = "one nginx container; limit_req per client IP"
        out["HTTPS"] = "— (plain HTTP locally)"
        out["logs"] = "container stdout"
    return out


def _static_features(plan: Plan | None, cid: str, target: str) -> dict[str, str]:
    """A static site: the CDN scales it, nothing runs to probe, and no secret reaches its files."""
    out = {"autoscaling": "n/a (CDN edge)", "health checks": "n/a (object storage)", "secrets": "none (public files)"}
    mine = {r.type: r for r in plan.of_component(cid)} if plan is not None else {}
    if target == "aws":
        dist = mine["aws:cloudfront/distribution:Distribution"].inputs
        policy = dist["default_cache_behavior"]["viewer_protocol_policy"]
        out["HTTPS"] = f"CloudFront ({policy}), {'its own certificate' if dist['aliases'] else 'cloudfront.net'}"
        out["logs"] = "S3 server access logs" if "aws:s3/bucketLogging:BucketLogging" in mine else "—"
    elif target == "gcp":
        cert = mine.get("gcp:compute/managedSslCertificate:ManagedSslCertificate")
        out["HTTPS"] = "managed certificate, HTTP redirects" if cert else "— (HTTP only: no domain in this environment)"
        out["logs"] = "bucket usage logs" if "logging" in mine["gcp:storage/bucket:Bucket"].inputs else "—"
    else:
        out |= {"autoscaling": "— (one nginx container)", "health checks": "container healthcheck on /healthz"}
        out |= {"HTTPS": "— (plain HTTP on localhost)", "logs": "docker logs (local, no retention)"}
    return out


def runs_as(component: Any, target: str) -> str:
    """What ``component`` is on ``target`` (compose, aws or gcp), from its kind rule."""
    rule = rules.rule_for(target, component)
    return rule.look_for(component).product if rule else "not hosted"


def parity_rows(project: Any, plans: Plans | None = None) -> list[dict[str, str]]:
    """One row per component of each stack's most production environment."""
    plans = plans if plans is not None else Plans(project)
    rows = []
    for sid, stack in sorted(project.model.stacks.items()):
        envs = [e for e in project.model.environments if e in stack.environments] or list(stack.environments)
        dep = project.deployment(f"{sid}-{envs[-1]}")
        plan = plans[dep.name] if stack.target != "compose" else None
        for comp in dep.components:
            target = comp.cloud if stack.target == "hybrid" else stack.target
            row = {"component": comp.id, "kind": comp.kind, "stack": dep.name, "target": target}
            row["runs as"] = runs_as(comp.component, target)
            if comp.kind == "gateway":
                row.update(_gateway_features(plan, comp.id, target))
            elif comp.component.mode == "static":
                row.update(_static_features(plan, comp.id, target))
            elif comp.kind not in WORKLOAD_KINDS:
                row.update({f: "n/a" for f in FEATURES})
            elif plan is None:
                row.update(_compose_features(comp, comp.kind))
            else:
                row.update((_aws_features if target == "aws" else _gcp_features)(plan, comp.id, comp.kind))
            rows.append(row)
    return rows


def parity_section(doc: Any) -> str | None:
    """Docs page section: per component and target, what it gets and what the target drops (—)."""
    from architecture.docs import cell

    rows = parity_rows(doc.project, getattr(doc, "plans", None))
    if not rows:
        return None
    head = ["component", "stack", "runs as", *FEATURES]
    lines = [
        '"Runs as" is each kind\'s rule on that target (`stacks/rules/`); the features are read from each '
        "stack's plan for its most production environment (the same plan `stacks plan`, Pulumi and Terraform "
        "use; compose from the model). `—` marks what a target drops; `n/a` what does not apply to the kind.",
        "",
        "| " + " | ".join(head) + " |",
        "| " + " | ".join("---" for _ in head) + " |",
    ]
    for row in sorted(rows, key=lambda r: (r["component"], r["stack"])):
        cells = [
            f"`{row['component']}` ({row['kind']})",
            f"`{row['stack']}` ({row['target']})",
            row["runs as"],
            *(row[f] for f in FEATURES),
        ]
        lines.append("| " + " | ".join(cell(c) for c in cells) + " |")
    return "\n".join(lines)
