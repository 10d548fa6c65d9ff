"""The GCP catalog: every resource type the GCP and hybrid plans use, with its provider facts.

Terraform types are those of hashicorp/google 8.x (checked against the real schema by
tests/deploy/test_terraform_schemas.py); icons are ``diagrams`` node classes. Google
encrypts every stored byte at rest with Google-managed keys; where a setting adds to
that (Memorystore's in-transit TLS), the check reads it.
"""

from __future__ import annotations

from stacks.catalog.base import D, ResourceType
from stacks.plan.core import Plan, Resource


def GOOGLE_MANAGED(plan: Plan, res: Resource) -> bool:
    """Encrypted at rest by Google on every storage service (no setting turns it off)."""
    return True


def redis_in_transit(plan: Plan, res: Resource) -> bool:
    return (
        res.inputs.get("transit_encryption_mode") == "SERVER_AUTHENTICATION" and res.inputs.get("auth_enabled") is True
    )


TYPES: dict[str, ResourceType] = {
    "gcp:artifactregistry/repository:Repository": ResourceType(
        tf="google_artifact_registry_repository",
        icon=D + "gcp.devtools.ContainerRegistry",
        holds="image layers",
        encrypted=GOOGLE_MANAGED,
        replaced_by=frozenset(["format", "kms_key_name", "location", "project", "repository_id"]),
    ),
    "gcp:bigquery/connection:Connection": ResourceType(
        tf="google_bigquery_connection",
        icon=D + "gcp.analytics.Bigquery",
        replaced_by=frozenset(["connection_id", "location", "project"]),
    ),
    "gcp:bigquery/connectionIamMember:ConnectionIamMember": ResourceType(
        tf="google_bigquery_connection_iam_member",
        icon=D + "gcp.analytics.Bigquery",
        replaced_by=frozenset(["connection_id", "location", "member", "role"]),
    ),
    "gcp:bigquery/dataset:Dataset": ResourceType(
        tf="google_bigquery_dataset",
        icon=D + "gcp.analytics.Bigquery",
        holds="tables",
        encrypted=GOOGLE_MANAGED,
        replaced_by=frozenset(["dataset_id", "location", "project"]),
    ),
    "gcp:bigquery/datasetIamMember:DatasetIamMember": ResourceType(
        tf="google_bigquery_dataset_iam_member",
        icon=D + "gcp.analytics.Bigquery",
        replaced_by=frozenset(["dataset_id", "member", "project", "role"]),
    ),
    "gcp:bigquery/table:Table": ResourceType(
        tf="google_bigquery_table",
        icon=D + "gcp.analytics.Bigquery",
        holds="rows",
        encrypted=GOOGLE_MANAGED,
    ),
    "gcp:cloudrunv2/job:Job": ResourceType(
        tf="google_cloud_run_v2_job",
        icon=D + "gcp.compute.Run",
        replaced_by=frozenset(["location", "name", "project"]),
    ),
    "gcp:cloudrunv2/jobIamMember:JobIamMember": ResourceType(
        tf="google_cloud_run_v2_job_iam_member",
        icon=D + "gcp.compute.Run",
        replaced_by=frozenset(["location", "member", "name", "role"]),
    ),
    "gcp:cloudrunv2/service:Service": ResourceType(
        tf="google_cloud_run_v2_service",
        icon=D + "gcp.compute.Run",
        replaced_by=frozenset(["location", "name", "project"]),
    ),
    "gcp:cloudrunv2/serviceIamMember:ServiceIamMember": ResourceType(
        tf="google_cloud_run_v2_service_iam_member",
        icon=D + "gcp.compute.Run",
        replaced_by=frozenset(["location", "member", "name", "role"]),
    ),
    "gcp:cloudscheduler/job:Job": ResourceType(
        tf="google_cloud_scheduler_job",
        icon=D + "gcp.devtools.Scheduler",
        replaced_by=frozenset(["name", "project", "region"]),
    ),
    "gcp:compute/backendBucket:BackendBucket": ResourceType(
        tf="google_compute_backend_bucket",
        icon=D + "gcp.network.CDN",
    ),
    "gcp:compute/backendService:BackendService": ResourceType(
        tf="google_compute_backend_service",
        icon=D + "gcp.network.LoadBalancing",
        replaced_by=frozenset(["load_balancing_scheme", "name", "project"]),
    ),
    "gcp:compute/firewall:Firewall": ResourceType(
        tf="google_compute_firewall",
        icon=D + "gcp.network.LoadBalancing",
    ),
    "gcp:compute/globalAddress:GlobalAddress": ResourceType(
        tf="google_compute_global_address",
        icon=D + "gcp.network.ExternalIpAddresses",
        replaced_by=frozenset(["address_type", "ip_version", "name", "project"]),
    ),
    "gcp:compute/globalForwardingRule:GlobalForwardingRule": ResourceType(
        tf="google_compute_global_forwarding_rule",
        icon=D + "gcp.network.LoadBalancing",
        replaced_by=frozenset(["ip_address", "ip_protocol", "load_balancing_scheme", "name", "port_range", "project"]),
    ),
    "gcp:compute/managedSslCertificate:ManagedSslCertificate": ResourceType(
        tf="google_compute_managed_ssl_certificate",
        icon=D + "gcp.security.CertificateManager",
        replaced_by=frozenset(["managed", "name", "project"]),
    ),
    "gcp:compute/network:Network": ResourceType(
        tf="google_compute_network",
        icon=D + "gcp.network.VirtualPrivateCloud",
    ),
    "gcp:compute/regionNetworkEndpointGroup:RegionNetworkEndpointGroup": ResourceType(
        tf="google_compute_region_network_endpoint_group",
        icon=D + "gcp.network.LoadBalancing",
        replaced_by=frozenset(["cloud_run", "name", "network_endpoint_type", "project", "region"]),
    ),
    "gcp:compute/sSLPolicy:SSLPolicy": ResourceType(
        tf="google_compute_ssl_policy",
        icon=D + "gcp.network.LoadBalancing",
        replaced_by=frozenset(["name", "project"]),
    ),
    "gcp:compute/securityPolicy:SecurityPolicy": ResourceType(
        tf="google_compute_security_policy",
        icon=D + "gcp.network.Armor",
        replaced_by=frozenset(["name", "project"]),
    ),
    "gcp:compute/subnetwork:Subnetwork": ResourceType(
        tf="google_compute_subnetwork",
        icon=D + "gcp.network.VirtualPrivateCloud",
    ),
    "gcp:compute/targetHttpProxy:TargetHttpProxy": ResourceType(
        tf="google_compute_target_http_proxy",
        icon=D + "gcp.network.LoadBalancing",
        replaced_by=frozenset(["name", "project"]),
    ),
    "gcp:compute/targetHttpsProxy:TargetHttpsProxy": ResourceType(
        tf="google_compute_target_https_proxy",
        icon=D + "gcp.network.LoadBalancing",
        replaced_by=frozenset(["name", "project"]),
    ),
    "gcp:compute/uRLMap:URLMap": ResourceType(
        tf="google_compute_url_map",
        icon=D + "gcp.network.LoadBalancing",
        replaced_by=frozenset(["name", "project"]),
    ),
    "gcp:dns/recordSet:RecordSet": ResourceType(
        tf="google_dns_record_set",
        icon=D + "gcp.network.DNS",
        replaced_by=frozenset(["managed_zone", "name", "project", "type"]),
    ),
    "gcp:iam/workloadIdentityPool:WorkloadIdentityPool": ResourceType(
        tf="google_iam_workload_identity_pool",
        icon=D + "gcp.security.Iam",
        replaced_by=frozenset(["project", "workload_identity_pool_id"]),
    ),
    "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider": ResourceType(
        tf="google_iam_workload_identity_pool_provider",
        icon=D + "gcp.security.Iam",
        replaced_by=frozenset(["project", "workload_identity_pool_id", "workload_identity_pool_provider_id"]),
    ),
    "gcp:logging/projectBucketConfig:ProjectBucketConfig": ResourceType(
        tf="google_logging_project_bucket_config",
        icon=D + "gcp.operations.Logging",
        holds="log entries",
        encrypted=GOOGLE_MANAGED,
        replaced_by=frozenset(["bucket_id", "location", "project"]),
    ),
    "gcp:logging/projectSink:ProjectSink": ResourceType(
        tf="google_logging_project_sink",
        icon=D + "gcp.operations.Logging",
        replaced_by=frozenset(["name", "project"]),
    ),
    "gcp:monitoring/alertPolicy:AlertPolicy": ResourceType(
        tf="google_monitoring_alert_policy",
        icon=D + "gcp.operations.Monitoring",
    ),
    "gcp:monitoring/notificationChannel:NotificationChannel": ResourceType(
        tf="google_monitoring_notification_channel",
        icon=D + "gcp.operations.Monitoring",
    ),
    "gcp:monitoring/uptimeCheckConfig:UptimeCheckConfig": ResourceType(
        tf="google_monitoring_uptime_check_config",
        icon=D + "gcp.operations.Monitoring",
        replaced_by=frozenset(["monitored_resource", "resource_group"]),
    ),
    "gcp:projects/iAMCustomRole:IAMCustomRole": ResourceType(
        tf="google_project_iam_custom_role",
        icon=D + "gcp.security.Iam",
        replaced_by=frozenset(["project", "role_id"]),
    ),
    "gcp:projects/iAMMember:IAMMember": ResourceType(
        tf="google_project_iam_member",
        icon=D + "gcp.security.Iam",
        replaced_by=frozenset(["condition", "member", "project", "role"]),
    ),
    "gcp:projects/service:Service": ResourceType(
        tf="google_project_service",
        icon=D + "gcp.security.Iam",
        replaced_by=frozenset(["project", "service"]),
    ),
    "gcp:pubsub/subscription:Subscription": ResourceType(
        tf="google_pubsub_subscription",
        icon=D + "gcp.compute.ComputeEngine",
        holds="messages",
        encrypted=GOOGLE_MANAGED,
        replaced_by=frozenset(["name", "project", "topic"]),
    ),
    "gcp:pubsub/subscriptionIAMMember:SubscriptionIAMMember": ResourceType(
        tf="google_pubsub_subscription_iam_member",
        icon=D + "gcp.compute.ComputeEngine",
        replaced_by=frozenset(["member", "project", "role", "subscription"]),
    ),
    "gcp:pubsub/topic:Topic": ResourceType(
        tf="google_pubsub_topic",
        icon=D + "gcp.analytics.Pubsub",
        holds="messages",
        encrypted=GOOGLE_MANAGED,
        replaced_by=frozenset(["name", "project"]),
    ),
    "gcp:pubsub/topicIAMMember:TopicIAMMember": ResourceType(
        tf="google_pubsub_topic_iam_member",
        icon=D + "gcp.compute.ComputeEngine",
        replaced_by=frozenset(["member", "project", "role", "topic"]),
    ),
    "gcp:redis/instance:Instance": ResourceType(
        tf="google_redis_instance",
        icon=D + "gcp.database.Memorystore",
        holds="cached data",
        encrypted=redis_in_transit,
    ),
    "gcp:secretmanager/secret:Secret": ResourceType(
        tf="google_secret_manager_secret",
        icon=D + "gcp.security.SecretManager",
        holds="secret versions",
        encrypted=GOOGLE_MANAGED,
    ),
    "gcp:secretmanager/secretIamMember:SecretIamMember": ResourceType(
        tf="google_secret_manager_secret_iam_member",
        icon=D + "gcp.security.SecretManager",
        replaced_by=frozenset(["member", "project", "role", "secret_id"]),
    ),
    "gcp:secretmanager/secretVersion:SecretVersion": ResourceType(
        tf="google_secret_manager_secret_version",
        icon=D + "gcp.security.SecretManager",
        holds="a secret value",
        encrypted=GOOGLE_MANAGED,
    ),
    "gcp:serviceaccount/account:Account": ResourceType(
        tf="google_service_account",
        icon=D + "gcp.security.Iam",
        replaced_by=frozenset(["account_id", "project"]),
    ),
    "gcp:serviceaccount/iAMMember:IAMMember": ResourceType(
        tf="google_service_account_iam_member",
        icon=D + "gcp.security.Iam",
        replaced_by=frozenset(["condition", "member", "role", "service_account_id"]),
    ),
    "gcp:serviceaccount/key:Key": ResourceType(
        tf="google_service_account_key",
        icon=D + "gcp.security.Iam",
        replaced_by=frozenset(["key_algorithm", "public_key_type", "service_account_id"]),
    ),
    "gcp:servicenetworking/connection:Connection": ResourceType(
        tf="google_service_networking_connection",
        icon=D + "gcp.network.VirtualPrivateCloud",
    ),
    "gcp:sql/database:Database": ResourceType(
        tf="google_sql_database",
        icon=D + "gcp.database.SQL",
    ),
    "gcp:sql/databaseInstance:DatabaseInstance": ResourceType(
        tf="google_sql_database_instance",
        icon=D + "gcp.database.SQL",
        holds="rows",
        encrypted=GOOGLE_MANAGED,
    ),
    "gcp:sql/user:User": ResourceType(
        tf="google_sql_user",
        icon=D + "gcp.database.SQL",
    ),
    "gcp:storage/bucket:Bucket": ResourceType(
        tf="google_storage_bucket",
        icon=D + "gcp.storage.Storage",
        holds="objects",
        encrypted=GOOGLE_MANAGED,
        replaced_by=frozenset(["location", "name", "project"]),
    ),
    "gcp:storage/bucketIAMMember:BucketIAMMember": ResourceType(
        tf="google_storage_bucket_iam_member",
        icon=D + "gcp.storage.Storage",
        replaced_by=frozenset(["bucket", "condition", "member", "role"]),
    ),
    "gcp:storage/hmacKey:HmacKey": ResourceType(
        tf="google_storage_hmac_key",
        icon=D + "gcp.storage.Storage",
        replaced_by=frozenset(["project", "service_account_email"]),
    ),
    "gcp:storage/notification:Notification": ResourceType(
        tf="google_storage_notification",
        icon=D + "gcp.storage.Storage",
    ),
    "gcp:storage/transferJob:TransferJob": ResourceType(
        tf="google_storage_transfer_job",
        icon=D + "gcp.storage.Storage",
        replaced_by=frozenset(["project"]),
    ),
}
