"""The AWS catalog: every resource type the AWS and hybrid plans use, with its provider facts.

Terraform types are those of hashicorp/aws 6.x (checked against the real schema by
tests/deploy/test_terraform_schemas.py); icons are ``diagrams`` node classes.
"""

from __future__ import annotations

from stacks.catalog.base import D, ResourceType, attached, has_input, is_true
from stacks.plan.core import Plan, Resource


def s3_bucket_encrypted(plan: Plan, res: Resource) -> bool:
    return bool(
        attached(
            plan, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", res.name
        )
    )


def redis_encrypted(plan: Plan, res: Resource) -> bool:
    return res.inputs.get("at_rest_encryption_enabled") is True and res.inputs.get("transit_encryption_enabled") is True


def rds_encrypted(plan: Plan, res: Resource) -> bool:
    inputs = res.inputs
    return (
        inputs.get("storage_encrypted") is True
        and bool(inputs.get("kms_key_id"))
        and not inputs.get("publicly_accessible")
    )


def ecr_encrypted(plan: Plan, res: Resource) -> bool:
    return any(c.get("encryption_type") == "KMS" for c in res.inputs.get("encryption_configurations", []))


def athena_encrypted(plan: Plan, res: Resource) -> bool:
    return bool(res.inputs.get("configuration", {}).get("result_configuration", {}).get("encryption_configuration"))


def ecs_exec_encrypted(plan: Plan, res: Resource) -> bool:
    return bool(res.inputs.get("configuration", {}).get("execute_command_configuration", {}).get("kms_key_id"))


def ssm_encrypted(plan: Plan, res: Resource) -> bool:
    return res.inputs.get("type") == "SecureString" and bool(res.inputs.get("key_id"))


TYPES: dict[str, ResourceType] = {
    "aws:acm/certificate:Certificate": ResourceType(
        tf="aws_acm_certificate",
        icon=D + "aws.security.CertificateManager",
        replaced_by=frozenset(["domain_name", "key_algorithm", "subject_alternative_names"]),
    ),
    "aws:acm/certificateValidation:CertificateValidation": ResourceType(
        tf="aws_acm_certificate_validation",
        icon=D + "aws.security.CertificateManager",
        replaced_by=frozenset(["certificate_arn", "validation_record_fqdns"]),
    ),
    "aws:apigatewayv2/api:Api": ResourceType(
        tf="aws_apigatewayv2_api",
        icon=D + "aws.network.APIGateway",
    ),
    "aws:apigatewayv2/authorizer:Authorizer": ResourceType(
        tf="aws_apigatewayv2_authorizer",
        icon=D + "aws.network.APIGateway",
    ),
    "aws:apigatewayv2/integration:Integration": ResourceType(
        tf="aws_apigatewayv2_integration",
        icon=D + "aws.network.APIGateway",
    ),
    "aws:apigatewayv2/route:Route": ResourceType(
        tf="aws_apigatewayv2_route",
        icon=D + "aws.network.APIGateway",
    ),
    "aws:apigatewayv2/stage:Stage": ResourceType(
        tf="aws_apigatewayv2_stage",
        icon=D + "aws.network.APIGateway",
    ),
    "aws:apigatewayv2/vpcLink:VpcLink": ResourceType(
        tf="aws_apigatewayv2_vpc_link",
        icon=D + "aws.network.APIGatewayEndpoint",
    ),
    "aws:appautoscaling/policy:Policy": ResourceType(
        tf="aws_appautoscaling_policy",
        icon=D + "aws.compute.ApplicationAutoScaling",
        replaced_by=frozenset(["name", "resource_id", "scalable_dimension", "service_namespace"]),
    ),
    "aws:appautoscaling/target:Target": ResourceType(
        tf="aws_appautoscaling_target",
        icon=D + "aws.compute.ApplicationAutoScaling",
        replaced_by=frozenset(["resource_id", "scalable_dimension", "service_namespace"]),
    ),
    "aws:athena/workgroup:Workgroup": ResourceType(
        tf="aws_athena_workgroup",
        icon=D + "aws.analytics.Athena",
        holds="query results",
        encrypted=athena_encrypted,
        replaced_by=frozenset(["name"]),
    ),
    "aws:cloudfront/distribution:Distribution": ResourceType(
        tf="aws_cloudfront_distribution",
        icon=D + "aws.network.CloudFront",
    ),
    "aws:cloudfront/function:Function": ResourceType(
        tf="aws_cloudfront_function",
        icon=D + "aws.network.CloudFront",
    ),
    "aws:cloudfront/originAccessControl:OriginAccessControl": ResourceType(
        tf="aws_cloudfront_origin_access_control",
        icon=D + "aws.network.CloudFront",
    ),
    "aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy": ResourceType(
        tf="aws_cloudfront_response_headers_policy",
        icon=D + "aws.network.CloudFront",
        replaced_by=frozenset(["name"]),
    ),
    "aws:cloudwatch/eventRule:EventRule": ResourceType(
        tf="aws_cloudwatch_event_rule",
        icon=D + "aws.integration.EventbridgeRule",
        replaced_by=frozenset(["event_bus_name", "name", "name_prefix"]),
    ),
    "aws:cloudwatch/eventTarget:EventTarget": ResourceType(
        tf="aws_cloudwatch_event_target",
        icon=D + "aws.integration.EventbridgeRule",
        replaced_by=frozenset(["event_bus_name", "rule", "target_id"]),
    ),
    "aws:cloudwatch/logGroup:LogGroup": ResourceType(
        tf="aws_cloudwatch_log_group",
        icon=D + "aws.management.CloudwatchLogs",
        holds="log events",
        encrypted=has_input("kms_key_id"),
        replaced_by=frozenset(["name", "name_prefix"]),
    ),
    "aws:cloudwatch/metricAlarm:MetricAlarm": ResourceType(
        tf="aws_cloudwatch_metric_alarm",
        icon=D + "aws.management.CloudwatchAlarm",
        replaced_by=frozenset(["name"]),
    ),
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": ResourceType(
        tf="aws_default_security_group",
        icon=D + "aws.network.Nacl",
    ),
    "aws:ec2/eip:Eip": ResourceType(
        tf="aws_eip",
        icon=D + "aws.compute.EC2ElasticIpAddress",
        replaced_by=frozenset(["domain"]),
    ),
    "aws:ec2/flowLog:FlowLog": ResourceType(
        tf="aws_flow_log",
        icon=D + "aws.network.VPCFlowLogs",
        replaced_by=frozenset(["iam_role_arn", "log_destination", "log_destination_type", "traffic_type", "vpc_id"]),
    ),
    "aws:ec2/internetGateway:InternetGateway": ResourceType(
        tf="aws_internet_gateway",
        icon=D + "aws.network.InternetGateway",
    ),
    "aws:ec2/natGateway:NatGateway": ResourceType(
        tf="aws_nat_gateway",
        icon=D + "aws.network.NATGateway",
        replaced_by=frozenset(["allocation_id", "connectivity_type", "subnet_id"]),
    ),
    "aws:ec2/route:Route": ResourceType(
        tf="aws_route",
        icon=D + "aws.network.RouteTable",
        replaced_by=frozenset(["destination_cidr_block", "route_table_id"]),
    ),
    "aws:ec2/routeTable:RouteTable": ResourceType(
        tf="aws_route_table",
        icon=D + "aws.network.RouteTable",
        replaced_by=frozenset(["vpc_id"]),
    ),
    "aws:ec2/routeTableAssociation:RouteTableAssociation": ResourceType(
        tf="aws_route_table_association",
        icon=D + "aws.network.RouteTable",
        replaced_by=frozenset(["route_table_id", "subnet_id"]),
    ),
    "aws:ec2/securityGroup:SecurityGroup": ResourceType(
        tf="aws_security_group",
        icon=D + "aws.network.Nacl",
        replaced_by=frozenset(["description", "name", "name_prefix", "vpc_id"]),
    ),
    "aws:ec2/subnet:Subnet": ResourceType(
        tf="aws_subnet",
        icon=D + "aws.network.PrivateSubnet",
        replaced_by=frozenset(["availability_zone", "availability_zone_id", "cidr_block", "vpc_id"]),
    ),
    "aws:ec2/vpc:Vpc": ResourceType(
        tf="aws_vpc",
        icon=D + "aws.network.VPC",
        replaced_by=frozenset(["cidr_block", "instance_tenancy"]),
    ),
    "aws:ec2/vpcEndpoint:VpcEndpoint": ResourceType(
        tf="aws_vpc_endpoint",
        icon=D + "aws.network.Endpoint",
        replaced_by=frozenset(["service_name", "vpc_endpoint_type", "vpc_id"]),
    ),
    "aws:ecr/lifecyclePolicy:LifecyclePolicy": ResourceType(
        tf="aws_ecr_lifecycle_policy",
        icon=D + "aws.compute.EC2ContainerRegistry",
    ),
    "aws:ecr/repository:Repository": ResourceType(
        tf="aws_ecr_repository",
        icon=D + "aws.compute.EC2ContainerRegistry",
        holds="image layers",
        encrypted=ecr_encrypted,
        replaced_by=frozenset(["encryption_configurations", "name"]),
    ),
    "aws:ecs/cluster:Cluster": ResourceType(
        tf="aws_ecs_cluster",
        icon=D + "aws.compute.ElasticContainerService",
        holds="exec session logs",
        encrypted=ecs_exec_encrypted,
        replaced_by=frozenset(["name"]),
    ),
    "aws:ecs/service:Service": ResourceType(
        tf="aws_ecs_service",
        icon=D + "aws.compute.ElasticContainerServiceService",
        replaced_by=frozenset(["cluster", "launch_type", "name", "scheduling_strategy"]),
    ),
    "aws:ecs/taskDefinition:TaskDefinition": ResourceType(
        tf="aws_ecs_task_definition",
        icon=D + "aws.compute.ElasticContainerServiceTask",
        replaced_by=frozenset(
            [
                "container_definitions",
                "cpu",
                "execution_role_arn",
                "family",
                "memory",
                "network_mode",
                "requires_compatibilities",
                "runtime_platform",
                "task_role_arn",
                "volumes",
            ]
        ),
    ),
    "aws:elasticache/cluster:Cluster": ResourceType(
        tf="aws_elasticache_cluster",
        icon=D + "aws.database.ElasticacheForMemcached",
        replaced_by=frozenset(["availability_zone", "cluster_id", "engine", "port", "subnet_group_name"]),
    ),
    "aws:elasticache/replicationGroup:ReplicationGroup": ResourceType(
        tf="aws_elasticache_replication_group",
        icon=D + "aws.database.ElasticacheForRedis",
        holds="cached data",
        encrypted=redis_encrypted,
        replaced_by=frozenset(
            [
                "at_rest_encryption_enabled",
                "engine",
                "kms_key_id",
                "port",
                "replication_group_id",
                "subnet_group_name",
                "transit_encryption_mode",
            ]
        ),
    ),
    "aws:elasticache/subnetGroup:SubnetGroup": ResourceType(
        tf="aws_elasticache_subnet_group",
        icon=D + "aws.general.General",
        replaced_by=frozenset(["name"]),
    ),
    "aws:elasticache/user:User": ResourceType(
        tf="aws_elasticache_user",
        icon=D + "aws.general.General",
        replaced_by=frozenset(["engine", "user_id", "user_name"]),
    ),
    "aws:elasticache/userGroup:UserGroup": ResourceType(
        tf="aws_elasticache_user_group",
        icon=D + "aws.general.General",
        replaced_by=frozenset(["engine", "user_group_id"]),
    ),
    "aws:glue/catalogDatabase:CatalogDatabase": ResourceType(
        tf="aws_glue_catalog_database",
        icon=D + "aws.analytics.GlueDataCatalog",
        replaced_by=frozenset(["catalog_id", "name"]),
    ),
    "aws:glue/catalogTable:CatalogTable": ResourceType(
        tf="aws_glue_catalog_table",
        icon=D + "aws.analytics.GlueDataCatalog",
        replaced_by=frozenset(["catalog_id", "database_name", "name"]),
    ),
    "aws:iam/accessKey:AccessKey": ResourceType(
        tf="aws_iam_access_key",
        icon=D + "aws.security.IdentityAndAccessManagementIam",
        replaced_by=frozenset(["pgp_key", "user"]),
    ),
    "aws:iam/role:Role": ResourceType(
        tf="aws_iam_role",
        icon=D + "aws.security.IdentityAndAccessManagementIamRole",
        replaced_by=frozenset(["name", "name_prefix", "path"]),
    ),
    "aws:iam/rolePolicy:RolePolicy": ResourceType(
        tf="aws_iam_role_policy",
        icon=D + "aws.security.IdentityAndAccessManagementIamPermissions",
        replaced_by=frozenset(["name", "name_prefix", "role"]),
    ),
    "aws:iam/user:User": ResourceType(
        tf="aws_iam_user",
        icon=D + "aws.security.IdentityAndAccessManagementIam",
    ),
    "aws:kms/alias:Alias": ResourceType(
        tf="aws_kms_alias",
        icon=D + "aws.security.KeyManagementService",
        replaced_by=frozenset(["name", "name_prefix"]),
    ),
    "aws:kms/key:Key": ResourceType(
        tf="aws_kms_key",
        icon=D + "aws.security.KeyManagementService",
        holds="key material",
        encrypted=is_true("enable_key_rotation"),
        replaced_by=frozenset(["customer_master_key_spec", "key_usage", "multi_region"]),
    ),
    "aws:lambda/eventSourceMapping:EventSourceMapping": ResourceType(
        tf="aws_lambda_event_source_mapping",
        icon=D + "aws.general.General",
    ),
    "aws:lambda/function:Function": ResourceType(
        tf="aws_lambda_function",
        icon=D + "aws.compute.Lambda",
        holds="environment variables",
        encrypted=has_input("kms_key_arn"),
    ),
    "aws:lambda/permission:Permission": ResourceType(
        tf="aws_lambda_permission",
        icon=D + "aws.general.General",
    ),
    "aws:lb/listener:Listener": ResourceType(
        tf="aws_lb_listener",
        icon=D + "aws.network.ElbApplicationLoadBalancer",
        replaced_by=frozenset(["load_balancer_arn"]),
    ),
    "aws:lb/loadBalancer:LoadBalancer": ResourceType(
        tf="aws_lb",
        icon=D + "aws.network.ElbApplicationLoadBalancer",
        replaced_by=frozenset(["internal", "load_balancer_type", "name", "name_prefix"]),
    ),
    "aws:lb/targetGroup:TargetGroup": ResourceType(
        tf="aws_lb_target_group",
        icon=D + "aws.network.ElbApplicationLoadBalancer",
        replaced_by=frozenset(["name", "name_prefix", "port", "protocol", "protocol_version", "target_type", "vpc_id"]),
    ),
    "aws:rds/instance:Instance": ResourceType(
        tf="aws_db_instance",
        icon=D + "aws.database.RDSInstance",
        holds="rows",
        encrypted=rds_encrypted,
        replaced_by=frozenset(
            [
                "availability_zone",
                "character_set_name",
                "db_name",
                "engine",
                "identifier",
                "kms_key_id",
                "snapshot_identifier",
                "storage_encrypted",
                "username",
            ]
        ),
    ),
    "aws:rds/parameterGroup:ParameterGroup": ResourceType(
        tf="aws_db_parameter_group",
        icon=D + "aws.general.General",
        replaced_by=frozenset(["family", "name", "name_prefix"]),
    ),
    "aws:rds/subnetGroup:SubnetGroup": ResourceType(
        tf="aws_db_subnet_group",
        icon=D + "aws.general.General",
        replaced_by=frozenset(["name", "name_prefix"]),
    ),
    "aws:route53/record:Record": ResourceType(
        tf="aws_route53_record",
        icon=D + "aws.network.Route53",
        replaced_by=frozenset(["name", "set_identifier", "type", "zone_id"]),
    ),
    "aws:s3/bucket:Bucket": ResourceType(
        tf="aws_s3_bucket",
        icon=D + "aws.storage.SimpleStorageServiceS3Bucket",
        holds="objects",
        encrypted=s3_bucket_encrypted,
        replaced_by=frozenset(["bucket", "bucket_prefix", "object_lock_enabled"]),
    ),
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": ResourceType(
        tf="aws_s3_bucket_lifecycle_configuration",
        icon=D + "aws.storage.SimpleStorageServiceS3Bucket",
        replaced_by=frozenset(["bucket"]),
    ),
    "aws:s3/bucketLogging:BucketLogging": ResourceType(
        tf="aws_s3_bucket_logging",
        icon=D + "aws.storage.SimpleStorageServiceS3Bucket",
        replaced_by=frozenset(["bucket"]),
    ),
    "aws:s3/bucketNotification:BucketNotification": ResourceType(
        tf="aws_s3_bucket_notification",
        icon=D + "aws.storage.SimpleStorageServiceS3Bucket",
        replaced_by=frozenset(["bucket"]),
    ),
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": ResourceType(
        tf="aws_s3_bucket_ownership_controls",
        icon=D + "aws.storage.SimpleStorageServiceS3Bucket",
        replaced_by=frozenset(["bucket"]),
    ),
    "aws:s3/bucketPolicy:BucketPolicy": ResourceType(
        tf="aws_s3_bucket_policy",
        icon=D + "aws.storage.SimpleStorageServiceS3Bucket",
        replaced_by=frozenset(["bucket"]),
    ),
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": ResourceType(
        tf="aws_s3_bucket_public_access_block",
        icon=D + "aws.storage.SimpleStorageServiceS3Bucket",
        replaced_by=frozenset(["bucket"]),
    ),
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": ResourceType(
        tf="aws_s3_bucket_server_side_encryption_configuration",
        icon=D + "aws.storage.SimpleStorageServiceS3Bucket",
        replaced_by=frozenset(["bucket"]),
    ),
    "aws:s3/bucketVersioning:BucketVersioning": ResourceType(
        tf="aws_s3_bucket_versioning",
        icon=D + "aws.storage.SimpleStorageServiceS3Bucket",
        replaced_by=frozenset(["bucket"]),
    ),
    "aws:scheduler/schedule:Schedule": ResourceType(
        tf="aws_scheduler_schedule",
        icon=D + "aws.integration.EventbridgeScheduler",
        replaced_by=frozenset(["group_name", "name", "name_prefix"]),
    ),
    "aws:servicediscovery/privateDnsNamespace:PrivateDnsNamespace": ResourceType(
        tf="aws_service_discovery_private_dns_namespace",
        icon=D + "aws.network.CloudMap",
    ),
    "aws:servicediscovery/service:Service": ResourceType(
        tf="aws_service_discovery_service",
        icon=D + "aws.network.CloudMap",
    ),
    "aws:sns/topic:Topic": ResourceType(
        tf="aws_sns_topic",
        icon=D + "aws.integration.SimpleNotificationServiceSnsTopic",
        holds="messages in flight",
        encrypted=has_input("kms_master_key_id"),
        replaced_by=frozenset(["fifo_topic", "name", "name_prefix"]),
    ),
    "aws:sns/topicSubscription:TopicSubscription": ResourceType(
        tf="aws_sns_topic_subscription",
        icon=D + "aws.integration.SimpleNotificationServiceSnsEmailNotification",
        replaced_by=frozenset(["endpoint", "protocol", "topic_arn"]),
    ),
    "aws:sqs/queue:Queue": ResourceType(
        tf="aws_sqs_queue",
        icon=D + "aws.integration.SimpleQueueServiceSqsQueue",
        holds="messages",
        encrypted=has_input("kms_master_key_id"),
        replaced_by=frozenset(["fifo_queue", "name", "name_prefix"]),
    ),
    "aws:ssm/parameter:Parameter": ResourceType(
        tf="aws_ssm_parameter",
        icon=D + "aws.management.SystemsManagerParameterStore",
        holds="parameter values",
        encrypted=ssm_encrypted,
        replaced_by=frozenset(["name"]),
    ),
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": ResourceType(
        tf="aws_vpc_security_group_egress_rule",
        icon=D + "aws.network.Nacl",
        replaced_by=frozenset(["security_group_id"]),
    ),
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": ResourceType(
        tf="aws_vpc_security_group_ingress_rule",
        icon=D + "aws.network.Nacl",
        replaced_by=frozenset(["security_group_id"]),
    ),
    "aws:wafv2/webAcl:WebAcl": ResourceType(
        tf="aws_wafv2_web_acl",
        icon=D + "aws.security.WAF",
    ),
    "aws:wafv2/webAclAssociation:WebAclAssociation": ResourceType(
        tf="aws_wafv2_web_acl_association",
        icon=D + "aws.security.WAF",
    ),
    "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration": ResourceType(
        tf="aws_wafv2_web_acl_logging_configuration",
        icon=D + "aws.security.WAF",
    ),
}
