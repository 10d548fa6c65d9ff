"""The Terraform names of what the GCP and hybrid plans use, merged into ``deploy.terraform``'s tables.

``GCP_TYPES`` maps Pulumi type tokens to ``google_*`` resource types (from
``stacks/catalog/gcp.py``), ``GCP_DATA``
the lookups, ``GCP_BLOCKS`` the nested blocks Pulumi names in the plural
(``lifecycle_rules`` -> ``lifecycle_rule``) and ``GCP_ATTRS`` the attribute paths
that differ: Pulumi flattens a block that occurs at most once into an object,
Terraform keeps it a list (``cloud_resource.service_account_id`` ->
``cloud_resource[0].service_account_id``). The Terraform provider's local name is
``google`` where the plan says ``gcp``.
"""

from __future__ import annotations

from stacks import catalog

# The major pulumi-gcp 10.x tracks: both renderings target the same provider (google 8.x).
GCP_PROVIDER = {"gcp": {"source": "hashicorp/google", "version": "~> 8.0"}}
PROVIDER_NAMES = {"gcp": "google"}

GCP_TYPES: dict[str, str] = {t: f.tf for t, f in catalog.gcp.TYPES.items() if f.tf}

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
