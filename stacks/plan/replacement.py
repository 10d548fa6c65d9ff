"""Which input changes make the cloud replace a resource instead of updating it in place.

One table per provider (``aws``, ``gcp``), keyed by the Pulumi type token the
planners emit, listing the top-level inputs the provider marks ``ForceNew``
(Terraform) / ``replaceOnChanges`` (Pulumi): physical names, engines, network
placement, encryption keys. ``stacks diff`` flags a changed resource whose changed
inputs start with one of these as "replaced": the old one is deleted (with its
data, for a database or a bucket) and a new one is created.

It sits with the planners because it describes the same resource types; when a
provider catalog module exists, this table belongs in it. A type missing here is
reported as an in-place update: the table errs towards naming what it knows.
"""

from __future__ import annotations

AWS: dict[str, frozenset[str]] = {
    "aws:s3/bucket:Bucket": frozenset({"bucket", "bucket_prefix", "object_lock_enabled"}),
    "aws:rds/instance:Instance": frozenset(
        {
            "identifier",
            "engine",
            "db_name",
            "username",
            "storage_encrypted",
            "kms_key_id",
            "availability_zone",
            "character_set_name",
            "snapshot_identifier",
        }
    ),
    "aws:rds/subnetGroup:SubnetGroup": frozenset({"name", "name_prefix"}),
    "aws:rds/parameterGroup:ParameterGroup": frozenset({"name", "name_prefix", "family"}),
    "aws:elasticache/replicationGroup:ReplicationGroup": frozenset(
        {
            "replication_group_id",
            "at_rest_encryption_enabled",
            "kms_key_id",
            "subnet_group_name",
            "port",
            "engine",
            "transit_encryption_mode",
        }
    ),
    "aws:elasticache/cluster:Cluster": frozenset(
        {"cluster_id", "engine", "port", "subnet_group_name", "availability_zone"}
    ),
    "aws:elasticache/subnetGroup:SubnetGroup": frozenset({"name"}),
    "aws:elasticache/user:User": frozenset({"user_id", "user_name", "engine"}),
    "aws:elasticache/userGroup:UserGroup": frozenset({"user_group_id", "engine"}),
    "aws:ec2/vpc:Vpc": frozenset({"cidr_block", "instance_tenancy"}),
    "aws:ec2/subnet:Subnet": frozenset({"vpc_id", "cidr_block", "availability_zone", "availability_zone_id"}),
    "aws:ec2/securityGroup:SecurityGroup": frozenset({"name", "name_prefix", "description", "vpc_id"}),
    "aws:ec2/natGateway:NatGateway": frozenset({"subnet_id", "allocation_id", "connectivity_type"}),
    "aws:ec2/eip:Eip": frozenset({"domain"}),
    "aws:ec2/routeTable:RouteTable": frozenset({"vpc_id"}),
    "aws:ec2/route:Route": frozenset({"route_table_id", "destination_cidr_block"}),
    "aws:ec2/routeTableAssociation:RouteTableAssociation": frozenset({"subnet_id", "route_table_id"}),
    "aws:ec2/vpcEndpoint:VpcEndpoint": frozenset({"vpc_id", "service_name", "vpc_endpoint_type"}),
    "aws:ec2/flowLog:FlowLog": frozenset(
        {"vpc_id", "log_destination", "log_destination_type", "traffic_type", "iam_role_arn"}
    ),
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": frozenset({"security_group_id"}),
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": frozenset({"security_group_id"}),
    "aws:kms/key:Key": frozenset({"customer_master_key_spec", "key_usage", "multi_region"}),
    "aws:kms/alias:Alias": frozenset({"name", "name_prefix"}),
    "aws:iam/role:Role": frozenset({"name", "name_prefix", "path"}),
    "aws:iam/rolePolicy:RolePolicy": frozenset({"name", "name_prefix", "role"}),
    "aws:iam/user:User": frozenset(),
    "aws:iam/accessKey:AccessKey": frozenset({"user", "pgp_key"}),
    "aws:ecs/cluster:Cluster": frozenset({"name"}),
    "aws:ecs/service:Service": frozenset({"name", "cluster", "launch_type", "scheduling_strategy"}),
    "aws:ecs/taskDefinition:TaskDefinition": frozenset(
        {
            "family",
            "container_definitions",
            "cpu",
            "memory",
            "execution_role_arn",
            "task_role_arn",
            "network_mode",
            "requires_compatibilities",
            "runtime_platform",
            "volumes",
        }
    ),
    "aws:ecr/repository:Repository": frozenset({"name", "encryption_configurations"}),
    "aws:lb/loadBalancer:LoadBalancer": frozenset({"name", "name_prefix", "internal", "load_balancer_type"}),
    "aws:lb/targetGroup:TargetGroup": frozenset(
        {"name", "name_prefix", "port", "protocol", "vpc_id", "target_type", "protocol_version"}
    ),
    "aws:lb/listener:Listener": frozenset({"load_balancer_arn"}),
    "aws:acm/certificate:Certificate": frozenset({"domain_name", "subject_alternative_names", "key_algorithm"}),
    "aws:acm/certificateValidation:CertificateValidation": frozenset({"certificate_arn", "validation_record_fqdns"}),
    "aws:route53/record:Record": frozenset({"name", "type", "zone_id", "set_identifier"}),
    "aws:sqs/queue:Queue": frozenset({"name", "name_prefix", "fifo_queue"}),
    "aws:sns/topic:Topic": frozenset({"name", "name_prefix", "fifo_topic"}),
    "aws:sns/topicSubscription:TopicSubscription": frozenset({"topic_arn", "protocol", "endpoint"}),
    "aws:cloudwatch/logGroup:LogGroup": frozenset({"name", "name_prefix"}),
    "aws:cloudwatch/metricAlarm:MetricAlarm": frozenset({"name"}),
    "aws:cloudwatch/eventRule:EventRule": frozenset({"name", "name_prefix", "event_bus_name"}),
    "aws:cloudwatch/eventTarget:EventTarget": frozenset({"rule", "target_id", "event_bus_name"}),
    "aws:scheduler/schedule:Schedule": frozenset({"name", "name_prefix", "group_name"}),
    "aws:athena/workgroup:Workgroup": frozenset({"name"}),
    "aws:glue/catalogDatabase:CatalogDatabase": frozenset({"name", "catalog_id"}),
    "aws:glue/catalogTable:CatalogTable": frozenset({"name", "database_name", "catalog_id"}),
    "aws:ssm/parameter:Parameter": frozenset({"name"}),
    "aws:appautoscaling/target:Target": frozenset({"resource_id", "scalable_dimension", "service_namespace"}),
    "aws:appautoscaling/policy:Policy": frozenset({"name", "resource_id", "scalable_dimension", "service_namespace"}),
    "aws:s3/bucketPolicy:BucketPolicy": frozenset({"bucket"}),
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": frozenset({"bucket"}),
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": frozenset({"bucket"}),
    "aws:s3/bucketVersioning:BucketVersioning": frozenset({"bucket"}),
    "aws:s3/bucketLogging:BucketLogging": frozenset({"bucket"}),
    "aws:s3/bucketNotification:BucketNotification": frozenset({"bucket"}),
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": frozenset({"bucket"}),
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": frozenset({"bucket"}),
    "aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy": frozenset({"name"}),
}

GCP: dict[str, frozenset[str]] = {
    "gcp:storage/bucket:Bucket": frozenset({"name", "project", "location"}),
    "gcp:storage/hmacKey:HmacKey": frozenset({"service_account_email", "project"}),
    "gcp:storage/transferJob:TransferJob": frozenset({"project"}),
    "gcp:storage/bucketIAMMember:BucketIAMMember": frozenset({"bucket", "role", "member", "condition"}),
    "gcp:serviceaccount/account:Account": frozenset({"account_id", "project"}),
    "gcp:serviceaccount/key:Key": frozenset({"service_account_id", "key_algorithm", "public_key_type"}),
    "gcp:serviceaccount/iAMMember:IAMMember": frozenset({"service_account_id", "role", "member", "condition"}),
    "gcp:projects/iAMMember:IAMMember": frozenset({"project", "role", "member", "condition"}),
    "gcp:projects/iAMCustomRole:IAMCustomRole": frozenset({"role_id", "project"}),
    "gcp:projects/service:Service": frozenset({"service", "project"}),
    "gcp:iam/workloadIdentityPool:WorkloadIdentityPool": frozenset({"workload_identity_pool_id", "project"}),
    "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider": frozenset(
        {"workload_identity_pool_id", "workload_identity_pool_provider_id", "project"}
    ),
    "gcp:cloudrunv2/service:Service": frozenset({"name", "location", "project"}),
    "gcp:cloudrunv2/job:Job": frozenset({"name", "location", "project"}),
    "gcp:cloudrunv2/serviceIamMember:ServiceIamMember": frozenset({"name", "location", "role", "member"}),
    "gcp:cloudrunv2/jobIamMember:JobIamMember": frozenset({"name", "location", "role", "member"}),
    "gcp:bigquery/dataset:Dataset": frozenset({"dataset_id", "project", "location"}),
    "gcp:bigquery/datasetIamMember:DatasetIamMember": frozenset({"dataset_id", "role", "member", "project"}),
    "gcp:bigquery/connection:Connection": frozenset({"connection_id", "location", "project"}),
    "gcp:bigquery/connectionIamMember:ConnectionIamMember": frozenset({"connection_id", "location", "role", "member"}),
    "gcp:pubsub/topic:Topic": frozenset({"name", "project"}),
    "gcp:pubsub/subscription:Subscription": frozenset({"name", "topic", "project"}),
    "gcp:pubsub/topicIAMMember:TopicIAMMember": frozenset({"topic", "role", "member", "project"}),
    "gcp:pubsub/subscriptionIAMMember:SubscriptionIAMMember": frozenset({"subscription", "role", "member", "project"}),
    "gcp:secretmanager/secretIamMember:SecretIamMember": frozenset({"secret_id", "role", "member", "project"}),
    "gcp:artifactregistry/repository:Repository": frozenset(
        {"repository_id", "location", "format", "kms_key_name", "project"}
    ),
    "gcp:compute/globalAddress:GlobalAddress": frozenset({"name", "address_type", "ip_version", "project"}),
    "gcp:compute/globalForwardingRule:GlobalForwardingRule": frozenset(
        {"name", "ip_address", "ip_protocol", "port_range", "load_balancing_scheme", "project"}
    ),
    "gcp:compute/backendService:BackendService": frozenset({"name", "load_balancing_scheme", "project"}),
    "gcp:compute/regionNetworkEndpointGroup:RegionNetworkEndpointGroup": frozenset(
        {"name", "region", "network_endpoint_type", "cloud_run", "project"}
    ),
    "gcp:compute/managedSslCertificate:ManagedSslCertificate": frozenset({"name", "managed", "project"}),
    "gcp:compute/uRLMap:URLMap": frozenset({"name", "project"}),
    "gcp:compute/targetHttpsProxy:TargetHttpsProxy": frozenset({"name", "project"}),
    "gcp:compute/targetHttpProxy:TargetHttpProxy": frozenset({"name", "project"}),
    "gcp:compute/securityPolicy:SecurityPolicy": frozenset({"name", "project"}),
    "gcp:compute/sSLPolicy:SSLPolicy": frozenset({"name", "project"}),
    "gcp:dns/recordSet:RecordSet": frozenset({"name", "type", "managed_zone", "project"}),
    "gcp:cloudscheduler/job:Job": frozenset({"name", "region", "project"}),
    "gcp:logging/projectSink:ProjectSink": frozenset({"name", "project"}),
    "gcp:logging/projectBucketConfig:ProjectBucketConfig": frozenset({"bucket_id", "location", "project"}),
    "gcp:monitoring/uptimeCheckConfig:UptimeCheckConfig": frozenset({"monitored_resource", "resource_group"}),
}

FORCES_REPLACEMENT: dict[str, frozenset[str]] = {**AWS, **GCP}


def replacing_inputs(type_: str, changed_paths: list[str]) -> tuple[str, ...]:
    """The inputs among the changed paths (``engine``, ``vpc_config.subnet_ids``) that make ``type_`` be replaced."""
    forcing = FORCES_REPLACEMENT.get(type_, frozenset())
    tops = (p.split(".", 1)[0].split("[", 1)[0] for p in changed_paths)
    return tuple(sorted({top for top in tops if top in forcing}))
