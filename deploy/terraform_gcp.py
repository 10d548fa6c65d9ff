"""The Terraform names of what the GCP and hybrid plans use, merged into ``deploy.terraform``'s tables.

``GCP_TYPES`` maps Pulumi type tokens to ``google_*`` resource types, ``GCP_DATA``
the lookups, ``GCP_BLOCKS`` the nested blocks Pulumi names in the plural
(``lifecycle_rules`` -> ``lifecycle_rule``) and ``GCP_ATTRS`` the attribute paths
that differ: Pulumi flattens a block that occurs at most once into an object,
Terraform keeps it a list (``cloud_resource.service_account_id`` ->
``cloud_resource[0].service_account_id``). The Terraform provider's local name is
``google`` where the plan says ``gcp``.
"""

from __future__ import annotations

# The major pulumi-gcp 10.x tracks: both renderings target the same provider (google 8.x).
GCP_PROVIDER = {"gcp": {"source": "hashicorp/google", "version": "~> 8.0"}}
PROVIDER_NAMES = {"gcp": "google"}

GCP_TYPES: dict[str, str] = {
    "aws:ssm/parameter:Parameter": "aws_ssm_parameter",
    "gcp:artifactregistry/repository:Repository": "google_artifact_registry_repository",
    "gcp:bigquery/connection:Connection": "google_bigquery_connection",
    "gcp:bigquery/connectionIamMember:ConnectionIamMember": "google_bigquery_connection_iam_member",
    "gcp:bigquery/dataset:Dataset": "google_bigquery_dataset",
    "gcp:bigquery/datasetIamMember:DatasetIamMember": "google_bigquery_dataset_iam_member",
    "gcp:bigquery/table:Table": "google_bigquery_table",
    "gcp:cloudrunv2/job:Job": "google_cloud_run_v2_job",
    "gcp:cloudrunv2/jobIamMember:JobIamMember": "google_cloud_run_v2_job_iam_member",
    "gcp:cloudrunv2/service:Service": "google_cloud_run_v2_service",
    "gcp:cloudrunv2/serviceIamMember:ServiceIamMember": "google_cloud_run_v2_service_iam_member",
    "gcp:cloudscheduler/job:Job": "google_cloud_scheduler_job",
    "gcp:compute/backendBucket:BackendBucket": "google_compute_backend_bucket",
    "gcp:compute/backendService:BackendService": "google_compute_backend_service",
    "gcp:compute/firewall:Firewall": "google_compute_firewall",
    "gcp:compute/globalAddress:GlobalAddress": "google_compute_global_address",
    "gcp:compute/network:Network": "google_compute_network",
    "gcp:compute/subnetwork:Subnetwork": "google_compute_subnetwork",
    "gcp:compute/globalForwardingRule:GlobalForwardingRule": "google_compute_global_forwarding_rule",
    "gcp:compute/managedSslCertificate:ManagedSslCertificate": "google_compute_managed_ssl_certificate",
    "gcp:compute/regionNetworkEndpointGroup:RegionNetworkEndpointGroup": "google_compute_region_network_endpoint_group",
    "gcp:compute/securityPolicy:SecurityPolicy": "google_compute_security_policy",
    "gcp:compute/sSLPolicy:SSLPolicy": "google_compute_ssl_policy",
    "gcp:compute/targetHttpProxy:TargetHttpProxy": "google_compute_target_http_proxy",
    "gcp:compute/targetHttpsProxy:TargetHttpsProxy": "google_compute_target_https_proxy",
    "gcp:compute/uRLMap:URLMap": "google_compute_url_map",
    "gcp:dns/recordSet:RecordSet": "google_dns_record_set",
    "gcp:iam/workloadIdentityPool:WorkloadIdentityPool": "google_iam_workload_identity_pool",
    "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider": "google_iam_workload_identity_pool_provider",
    "gcp:logging/projectBucketConfig:ProjectBucketConfig": "google_logging_project_bucket_config",
    "gcp:logging/projectSink:ProjectSink": "google_logging_project_sink",
    "gcp:monitoring/alertPolicy:AlertPolicy": "google_monitoring_alert_policy",
    "gcp:monitoring/notificationChannel:NotificationChannel": "google_monitoring_notification_channel",
    "gcp:monitoring/uptimeCheckConfig:UptimeCheckConfig": "google_monitoring_uptime_check_config",
    "gcp:projects/iAMCustomRole:IAMCustomRole": "google_project_iam_custom_role",
    "gcp:projects/iAMMember:IAMMember": "google_project_iam_member",
    "gcp:projects/service:Service": "google_project_service",
    "gcp:pubsub/subscription:Subscription": "google_pubsub_subscription",
    "gcp:pubsub/subscriptionIAMMember:SubscriptionIAMMember": "google_pubsub_subscription_iam_member",
    "gcp:pubsub/topic:Topic": "google_pubsub_topic",
    "gcp:pubsub/topicIAMMember:TopicIAMMember": "google_pubsub_topic_iam_member",
    "gcp:redis/instance:Instance": "google_redis_instance",
    "gcp:secretmanager/secret:Secret": "google_secret_manager_secret",
    "gcp:secretmanager/secretIamMember:SecretIamMember": "google_secret_manager_secret_iam_member",
    "gcp:secretmanager/secretVersion:SecretVersion": "google_secret_manager_secret_version",
    "gcp:servicenetworking/connection:Connection": "google_service_networking_connection",
    "gcp:sql/database:Database": "google_sql_database",
    "gcp:sql/databaseInstance:DatabaseInstance": "google_sql_database_instance",
    "gcp:sql/user:User": "google_sql_user",
    "gcp:serviceaccount/account:Account": "google_service_account",
    "gcp:serviceaccount/iAMMember:IAMMember": "google_service_account_iam_member",
    "gcp:storage/bucket:Bucket": "google_storage_bucket",
    "gcp:storage/bucketIAMMember:BucketIAMMember": "google_storage_bucket_iam_member",
    "gcp:storage/notification:Notification": "google_storage_notification",
    "gcp:storage/transferJob:TransferJob": "google_storage_transfer_job",
}

GCP_DATA: dict[str, str] = {
    "gcp:organizations/getProject:getProject": "google_project",
    "gcp:dns/getManagedZone:getManagedZone": "google_dns_managed_zone",
    "gcp:storage/getProjectServiceAccount:getProjectServiceAccount": "google_storage_project_service_account",
    "gcp:storage/getTransferProjectServiceAccount:getTransferProjectServiceAccount": (
        "google_storage_transfer_project_service_account"
    ),
}

_RUN_BLOCKS = {"envs": "env", "traffics": "traffic"}
GCP_BLOCKS: dict[str, dict[str, str]] = {
    "gcp:storage/bucket:Bucket": {"lifecycle_rules": "lifecycle_rule"},
    "gcp:cloudrunv2/service:Service": _RUN_BLOCKS,
    "gcp:cloudrunv2/job:Job": _RUN_BLOCKS,
    # Pulumi drops the underscore before a digit: layer7_ddos_defense_config is Terraform's layer_7_ddos_defense_config.
    "gcp:compute/securityPolicy:SecurityPolicy": {
        "rules": "rule",
        "layer7_ddos_defense_config": "layer_7_ddos_defense_config",
    },
    "gcp:compute/backendService:BackendService": {"backends": "backend"},
    "gcp:compute/uRLMap:URLMap": {
        "host_rules": "host_rule",
        "path_matchers": "path_matcher",
        "path_rules": "path_rule",
    },
    "gcp:compute/firewall:Firewall": {"denies": "deny", "allows": "allow"},
    "gcp:redis/instance:Instance": {"weekly_maintenance_windows": "weekly_maintenance_window"},
}

# (type, Pulumi attribute path) -> Terraform attribute path, where they differ.
GCP_ATTRS: dict[tuple[str, str], str] = {
    ("gcp:bigquery/connection:Connection", "cloud_resource.service_account_id"): "cloud_resource[0].service_account_id",
}
