"""The AWS plan of the bundled stacks: the resources the issue lists exist with the right properties."""

from __future__ import annotations

import pytest

from stacks.plan.core import Concat, Json, Ref, concat, walk

from .conftest import variant


def one(plan, name):
    return plan.resource(name)


def test_network_spans_the_environments_azs_with_private_egress(plans):
    prod, dev = plans["aws-prod"], plans["aws-dev"]
    assert len(prod.by_type("aws:ec2/subnet:Subnet")) == 6  # 3 AZs x public/private
    assert len(dev.by_type("aws:ec2/subnet:Subnet")) == 4
    assert len(prod.by_type("aws:ec2/natGateway:NatGateway")) == 3  # nat: per_az
    assert len(dev.by_type("aws:ec2/natGateway:NatGateway")) == 1  # nat: single
    endpoint = one(prod, "s3-endpoint").inputs
    assert endpoint["vpc_endpoint_type"] == "Gateway" and endpoint["service_name"] == "com.amazonaws.eu-west-1.s3"
    assert {r.name for r in endpoint["route_table_ids"]} == {"private-rt-1", "private-rt-2", "private-rt-3"}
    flow = one(prod, "vpc-flow-log").inputs
    assert flow["traffic_type"] == "ALL" and flow["log_destination"] == Ref("flow-logs", "arn")
    azs = {Ref("azs", f"names[{i}]") for i in range(3)}
    assert {s.inputs["availability_zone"] for s in prod.by_type("aws:ec2/subnet:Subnet")} == azs


def test_load_balancer_https_with_certificate_dns_and_redirect_in_prod(plans):
    prod = plans["aws-prod"]
    alb = one(prod, "api-alb").inputs
    assert alb["drop_invalid_header_fields"] is True and alb["enable_deletion_protection"] is True
    assert alb["access_logs"]["enabled"] is True and alb["access_logs"]["bucket"] == Ref("access-logs", "id")
    assert one(prod, "api-tg").inputs["health_check"]["path"] == "/health"  # liveness: /ready is 503 until data
    https = one(prod, "api-https").inputs
    assert https["protocol"] == "HTTPS" and https["certificate_arn"] == Ref(
        "api-certificate-validation", "certificate_arn"
    )
    redirect = one(prod, "api-http-redirect").inputs["default_actions"][0]
    assert redirect["redirect"] == {"port": "443", "protocol": "HTTPS", "status_code": "HTTP_301"}
    assert one(prod, "api-certificate").inputs["domain_name"] == "analytics.shop.example.com"
    dns = one(prod, "api-dns").inputs
    assert dns["name"] == "analytics.shop.example.com" and dns["aliases"][0]["name"] == Ref("api-alb", "dns_name")
    ports = sorted(
        r.inputs["from_port"]
        for r in prod.by_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
        if r.inputs.get("cidr_ipv4") == "0.0.0.0/0"
    )
    assert ports == [80, 443]


def test_dev_without_domain_serves_http_and_says_why(plans):
    dev = plans["aws-dev"]
    names = {r.name for r in dev.resources}
    assert "api-http" in names and "api-https" not in names and "api-certificate" not in names
    assert "no domain" in one(dev, "api-alb").waivers["CKV2_AWS_20"]
    assert "no domain" in one(dev, "api-http").waivers["CKV_AWS_2"]
    assert one(dev, "api-alb").inputs["enable_deletion_protection"] is False


def _container(plan, cid):
    return one(plan, f"{cid}-task").inputs["container_definitions"].value[0]


def test_fargate_task_is_hardened_and_sized_per_environment(plans):
    prod, dev = plans["aws-prod"], plans["aws-dev"]
    task = one(prod, "api-task").inputs
    assert (task["cpu"], task["memory"]) == ("2048", "4096")
    assert (one(dev, "api-task").inputs["cpu"], one(dev, "api-task").inputs["memory"]) == ("512", "1024")
    assert task["requires_compatibilities"] == ["FARGATE"] and task["network_mode"] == "awsvpc"
    container = _container(prod, "api")
    assert container["readonlyRootFilesystem"] is True
    assert container["user"] not in ("root", "0", "0:0")
    assert container["logConfiguration"]["logDriver"] == "awslogs"
    assert container["portMappings"] == [{"containerPort": 8000, "protocol": "tcp"}]
    env = {e["name"]: e["value"] for e in container["environment"]}
    assert env["STACKS_APP_DATABASE"] == "/data/shop.duckdb"
    assert env["STACKS_APP_ATHENA_WORKGROUP"] == Ref("warehouse-workgroup", "name")
    assert env["STACKS_APP_GLUE_DATABASE"] == Ref("warehouse-database", "name")
    assert isinstance(env["STACKS_APP_LAKE_URI"], Concat)
    [secret] = container["secrets"]
    assert secret["name"] == "STACKS_APP_API_KEY"
    assert "STACKS_APP_API_KEY" not in env
    parts = secret["valueFrom"].parts
    assert parts[0] == "arn:aws:ssm:eu-west-1:" and parts[-1] == ":parameter/shop/api-key"
    assert {m["containerPath"] for m in container["mountPoints"]} == {"/tmp", "/data"}
    assert container["image"] == Ref("api-image", "ref")


def test_service_private_with_circuit_breaker_and_autoscaling(plans):
    prod = plans["aws-prod"]
    svc = one(prod, "api-service").inputs
    assert svc["network_configuration"]["assign_public_ip"] is False
    assert {r.name for r in svc["network_configuration"]["subnets"]} == {f"private-subnet-{i}" for i in (1, 2, 3)}
    assert svc["deployment_circuit_breaker"] == {"enable": True, "rollback": True}
    assert svc["desired_count"] == 2
    target = one(prod, "api-scaling-target").inputs
    assert (target["min_capacity"], target["max_capacity"]) == (2, 8)
    policy = one(prod, "api-scaling-cpu").inputs["target_tracking_scaling_policy_configuration"]
    assert policy["target_value"] == 60.0
    assert "api-scaling-target" not in {r.name for r in plans["aws-dev"].resources}  # dev: min == max == 1
    repo = one(prod, "api-repository").inputs
    assert repo["image_tag_mutability"] == "IMMUTABLE" and repo["image_scanning_configuration"]["scan_on_push"]
    cluster = one(prod, "cluster").inputs
    assert cluster["settings"] == [{"name": "containerInsights", "value": "enabled"}]


def test_data_lake_athena_and_glue(plans):
    prod = plans["aws-prod"]
    for bucket in ("lake-bucket", "warehouse-results"):
        sse = one(prod, f"{bucket}-encryption").inputs["rules"][0]["apply_server_side_encryption_by_default"]
        assert sse == {"sse_algorithm": "aws:kms", "kms_master_key_id": Ref("key", "arn")}
        assert one(prod, f"{bucket}-versioning").inputs["versioning_configuration"]["status"] == "Enabled"
        assert one(prod, f"{bucket}-lifecycle").inputs["rules"][0]["status"] == "Enabled"
        deny = one(prod, f"{bucket}-policy").inputs["policy"].value["Statement"][0]
        assert deny["Effect"] == "Deny" and deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert one(prod, "lake-bucket").inputs["bucket"] == concat("shop-lake-prod-", Ref("caller", "account_id"))
    assert one(prod, "lake-bucket").protect is True
    wg = one(prod, "warehouse-workgroup").inputs["configuration"]
    assert wg["enforce_workgroup_configuration"] is True and wg["bytes_scanned_cutoff_per_query"] > 0
    assert wg["result_configuration"]["encryption_configuration"]["encryption_option"] == "SSE_KMS"
    orders = one(prod, "warehouse-table-orders").inputs
    assert orders["partition_keys"] == [{"name": "order_date", "type": "date"}]
    assert "order_date" not in {c["name"] for c in orders["storage_descriptor"]["columns"]}
    assert orders["parameters"]["projection.enabled"] == "true"
    assert {c["type"] for c in one(prod, "warehouse-table-products").inputs["storage_descriptor"]["columns"]} >= {
        "bigint",
        "string",
        "decimal(18,2)",
    }


def test_observability_alarms_and_encrypted_topic(plans):
    prod = plans["aws-prod"]
    alarms = {r.name for r in prod.by_type("aws:cloudwatch/metricAlarm:MetricAlarm")}
    assert alarms == {"api-alarm-5xx", "api-alarm-unhealthy", "api-alarm-cpu", "api-alarm-memory"}
    for name in alarms:
        assert one(prod, name).inputs["alarm_actions"] == [Ref("alerts", "arn")]
    assert one(prod, "alerts").inputs["kms_master_key_id"] == Ref("key", "arn")
    assert one(prod, "alerts-email").inputs["endpoint"] == "oncall@shop.example.com"
    assert {r.inputs["retention_in_days"] for r in prod.by_type("aws:cloudwatch/logGroup:LogGroup")} == {365}
    assert {r.inputs["retention_in_days"] for r in plans["aws-dev"].by_type("aws:cloudwatch/logGroup:LogGroup")} == {14}


def test_iam_roles_are_scoped_to_the_stacks_own_resources(plans):
    prod = plans["aws-prod"]
    task = one(prod, "api-task-policy").inputs["policy"].value["Statement"]
    refs = {r.name for stmt in task for r in walk(stmt["Resource"]) if isinstance(r, Ref)}
    assert {"warehouse-workgroup", "lake-bucket", "warehouse-results", "key"} <= refs
    execution = one(prod, "api-execution-policy").inputs["policy"].value["Statement"]
    star = [s for s in execution if s["Resource"] == ["*"]]
    assert [s["Action"] for s in star] == [["ecr:GetAuthorizationToken"]]
    secrets = next(s for s in execution if s.get("Sid") == "Secrets")
    assert secrets["Action"] == ["ssm:GetParameters"] and len(secrets["Resource"]) == 1


def test_outputs(plans):
    names = {o.name for o in plans["aws-prod"].outputs}
    assert {"url", "lake_bucket", "workgroup", "api_repository_url", "cluster_name", "api_service_name"} <= names
    url = next(o for o in plans["aws-prod"].outputs if o.name == "url")
    assert url.value == "https://analytics.shop.example.com"


def test_plans_are_deterministic(bundled, plans):
    from stacks.plan import build_plan

    assert build_plan(bundled, "aws-prod").to_json() == plans["aws-prod"].to_json()


def test_json_markers_serialise(plans):
    data = plans["aws-prod"].to_json()
    task = next(r for r in data["resources"] if r["name"] == "api-task")
    assert "$json" in task["inputs"]["container_definitions"]
    assert isinstance(plans["aws-prod"].resource("api-task").inputs["container_definitions"], Json)


def test_non_cloud_stack_and_unknown_stack_are_clear_errors(bundled):
    from stacks.errors import StacksError
    from stacks.plan import build_plan

    with pytest.raises(StacksError, match="compose stack, which has no cloud plan"):
        build_plan(bundled, "compose-dev")
    with pytest.raises(StacksError, match="unknown stack 'aws-prd'") as info:
        build_plan(bundled, "aws-prd")
    assert "did you mean 'aws-prod'" in info.value.hint


def test_adding_a_kind_is_one_registry_entry(bundled):
    """A queue component planned through the registry: SQS with a dead-letter queue, KMS-encrypted."""
    from stacks.plan import build_plan
    from stacks.plan.aws import KINDS

    assert set(KINDS) >= {"service", "job", "bucket", "warehouse", "queue"}
    project = variant(("  lake:\n", "  events:\n    kind: queue\n    label: Events\n\n  lake:\n"))
    plan = build_plan(project, "aws-dev")
    queue = plan.resource("events-queue")
    assert queue.component == "events" and queue.inputs["kms_master_key_id"] == Ref("key", "arn")
    assert plan.resource("events-dlq").type == "aws:sqs/queue:Queue"


def test_without_nat_tasks_reach_aws_through_interface_endpoints():
    from stacks.plan import build_plan

    project = variant(("      dev:\n        nat: single\n", "      dev:\n        nat: none\n"))
    plan = build_plan(project, "aws-dev")
    assert not plan.by_type("aws:ec2/natGateway:NatGateway")
    assert not [r for r in plan.by_type("aws:ec2/route:Route") if r.name.startswith("private-rt")]
    endpoints = {r.inputs["service_name"] for r in plan.by_type("aws:ec2/vpcEndpoint:VpcEndpoint")}
    assert {
        "com.amazonaws.eu-west-1.ecr.dkr",
        "com.amazonaws.eu-west-1.logs",
        "com.amazonaws.eu-west-1.ssm",
        "com.amazonaws.eu-west-1.s3",
    } <= endpoints
    rule = plan.resource("endpoints-in-https").inputs
    assert rule["cidr_ipv4"] == "10.0.0.0/16" and rule["from_port"] == 443


def test_tasks_run_as_the_images_user():
    """The task's uid is the one the generated Dockerfile creates and owns /data with."""
    from deploy.compose.local import APP_UID
    from stacks.plan.aws import TASK_USER

    assert f"{APP_UID}:{APP_UID}" == TASK_USER
