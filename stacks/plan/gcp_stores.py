"""Databases and caches on GCP: Cloud SQL, Memorystore for Redis, and the private network that reaches them.

``build_database`` and ``build_cache`` are the gcp rules of the ``database`` and
``cache`` kinds; ``store_access`` is what a Cloud Run workload connected to one
of them gets. Nothing here has a public address:

- the stack's VPC (``vpc_cidr``) has one subnet for Cloud Run's Direct VPC
  egress (the first /20) and reserves the next /20 as the database tier:
  the private services access range Cloud SQL and Memorystore take their
  private addresses from, peered through Service Networking;
- Cloud SQL has no public IP, accepts encrypted connections only, signs in
  workloads with IAM database authentication (one ``CLOUD_IAM_SERVICE_ACCOUNT``
  user per connected workload: no password exists), keeps automated backups
  with point-in-time recovery, runs REGIONAL (a standby in another zone) where
  ``multi_az`` asks for it (default: environments with deletion protection),
  and is deletion-protected there;
- Memorystore requires AUTH and TLS (server authentication); the AUTH string
  is stored in Secret Manager by the plan and reaches the workload as a secret
  reference, never as a value in a generated file.
"""

from __future__ import annotations

import ipaddress
import math
from typing import TYPE_CHECKING, Any

from stacks.errors import StacksError
from stacks.naming import sql_identifier
from stacks.plan.core import Ref, concat
from stacks.rules.contract import SecretValue

if TYPE_CHECKING:
    from stacks.model import Cache, Database
    from stacks.plan.gcp import GcpPlanner
    from stacks.project import DeployedComponent

SQL_PORTS = {"postgres": 5432, "mysql": 3306}
REDIS_PORT = 6378  # Memorystore's TLS port when in-transit encryption is on
REDIS_VERSION = "REDIS_7_2"
LATEST_MAJOR = ("POSTGRES_18", "MYSQL_8_0", "MYSQL_8_4")  # what a version pin older than these is waived against
RUN_SUBNET_PREFIX = 20  # Direct VPC egress takes addresses from here: a /20 holds 4000 instances

# Flags checkov and the CIS benchmark ask for: connections, lock waits and temp files logged, IAM login on.
POSTGRES_FLAGS = (
    ("cloudsql.iam_authentication", "on"),
    ("log_checkpoints", "on"),
    ("log_connections", "on"),
    ("log_disconnections", "on"),
    ("log_duration", "on"),
    ("log_hostname", "on"),
    ("log_lock_waits", "on"),
    ("log_min_messages", "warning"),
    ("log_min_error_statement", "error"),
    ("log_temp_files", "0"),
    ("log_min_duration_statement", "-1"),
    ("log_statement", "ddl"),
    ("cloudsql.enable_pgaudit", "on"),
)
MYSQL_FLAGS = (
    ("cloudsql_iam_authentication", "on"),
    ("local_infile", "off"),
    ("skip_show_database", "on"),
    ("require_secure_transport", "on"),
)


def network_ranges(vpc_cidr: str) -> tuple[str, ipaddress.IPv4Network]:
    """The Cloud Run subnet and the database tier (private services access range) inside ``vpc_cidr``."""
    net = ipaddress.IPv4Network(vpc_cidr, strict=False)
    run, data = list(net.subnets(new_prefix=RUN_SUBNET_PREFIX))[:2]
    return str(run), data


def private_network(p: GcpPlanner) -> dict[str, str]:
    """The stack's VPC, its Cloud Run subnet and the peered database tier: planned once, on first use."""
    if "network" in p.facts:
        known: dict[str, str] = p.facts["network"]
        return known
    run_range, data_range = network_ranges(p.settings.vpc_cidr)
    p.add(
        "gcp:compute/network:Network",
        "gcp-network",
        {
            "project": p.gcp_project,
            "name": p.name(suffix="vpc"),
            "description": f"private network of {p.deployment.name}: Cloud Run egress and the database tier",
            "auto_create_subnetworks": False,
            "routing_mode": "REGIONAL",
        },
        group="vpc",
    )
    p.add(
        "gcp:compute/subnetwork:Subnetwork",
        "gcp-run-subnet",
        {
            "project": p.gcp_project,
            "name": p.name(suffix="run"),
            "region": p.region,
            "network": Ref("gcp-network", "id"),
            "ip_cidr_range": run_range,
            "private_ip_google_access": True,
            "log_config": {
                "aggregation_interval": "INTERVAL_5_SEC",
                "flow_sampling": 0.5,
                "metadata": "INCLUDE_ALL_METADATA",
            },
        },
        group="vpc",
    )
    p.add(
        "gcp:compute/firewall:Firewall",
        "gcp-deny-ingress",
        {
            # GCP's implied rule already denies ingress; this one says so explicitly and logs what it drops.
            "project": p.gcp_project,
            "name": p.name(suffix="deny-in"),
            "network": Ref("gcp-network", "id"),
            "direction": "INGRESS",
            "priority": 65534,
            "denies": [{"protocol": "all"}],
            "source_ranges": ["0.0.0.0/0"],
            "log_config": {"metadata": "INCLUDE_ALL_METADATA"},
        },
        group="vpc",
    )
    p.add(
        "gcp:compute/globalAddress:GlobalAddress",
        "gcp-data-range",
        {
            "project": p.gcp_project,
            "name": p.name(suffix="data"),
            "description": "the database tier: Cloud SQL and Memorystore take their private addresses here",
            "purpose": "VPC_PEERING",
            "address_type": "INTERNAL",
            "address": str(data_range.network_address),
            "prefix_length": data_range.prefixlen,
            "network": Ref("gcp-network", "id"),
        },
        group="vpc",
    )
    p.add(
        "gcp:servicenetworking/connection:Connection",
        "gcp-data-peering",
        {
            "network": Ref("gcp-network", "id"),
            "service": "servicenetworking.googleapis.com",
            "reserved_peering_ranges": [Ref("gcp-data-range", "name")],
        },
        group="vpc",
    )
    names = {"network": "gcp-network", "subnet": "gcp-run-subnet", "peering": "gcp-data-peering"}
    p.facts["network"] = names
    return names


def sql_version(engine: str, version: str) -> str:
    """Cloud SQL's ``database_version``: ``16`` -> ``POSTGRES_16``, ``8.4`` -> ``MYSQL_8_4``."""
    parts = version.split(".")
    if engine == "postgres":
        return f"POSTGRES_{parts[0]}"
    return f"MYSQL_{parts[0]}_{parts[1] if len(parts) > 1 else '0'}"


def sql_tier(storage_gb: int) -> str:
    # Dedicated-core Enterprise tiers (shared-core ones have no SLA); bigger databases get more memory.
    return "db-custom-1-3840" if storage_gb <= 20 else "db-custom-2-7680" if storage_gb <= 200 else "db-custom-4-15360"


def _high_availability(p: GcpPlanner, model: Database) -> bool:
    return model.multi_az if model.multi_az is not None else p.prod_like


def _backup_days(p: GcpPlanner, model: Database) -> int:
    return model.backup_retention_days or (14 if p.prod_like else 7)


def _sql_settings(p: GcpPlanner, model: Database, net: dict[str, str], replica: bool = False) -> dict[str, Any]:
    engine = model.engine
    settings: dict[str, Any] = {
        "tier": sql_tier(model.storage_gb),
        "edition": "ENTERPRISE",
        "availability_type": "REGIONAL" if _high_availability(p, model) and not replica else "ZONAL",
        "disk_type": "PD_SSD",
        "disk_size": model.storage_gb,
        "disk_autoresize": True,
        "deletion_protection_enabled": p.prod_like,
        "ip_configuration": {
            "ipv4_enabled": False,
            "private_network": Ref(net["network"], "id"),
            # Workloads connect through the Cloud SQL connector, which presents an ephemeral client certificate.
            "ssl_mode": "TRUSTED_CLIENT_CERTIFICATE_REQUIRED",
            "enable_private_path_for_google_cloud_services": True,
        },
        "database_flags": [
            {"name": k, "value": v} for k, v in (POSTGRES_FLAGS if engine == "postgres" else MYSQL_FLAGS)
        ],
        "insights_config": {"query_insights_enabled": True, "record_application_tags": False},
        "maintenance_window": {"day": 7, "hour": 3, "update_track": "stable"},
    }
    if not replica:
        days = _backup_days(p, model)
        settings["backup_configuration"] = {
            "enabled": True,
            "start_time": "02:00",
            "point_in_time_recovery_enabled": engine == "postgres",
            "binary_log_enabled": engine == "mysql",  # MySQL's point-in-time recovery replays the binary log
            "transaction_log_retention_days": min(days, 7),
            "backup_retention_settings": {"retained_backups": days, "retention_unit": "COUNT"},
        }
    return settings


def _version_waiver(cid: str, version: str) -> dict[str, str]:
    if version in LATEST_MAJOR:
        return {}
    return {
        "CKV_GCP_79": f"components.{cid} pins {version} (its version in stacks.yaml, or the engine default): "
        "a major upgrade is the application's decision, made there"
    }


def build_database(p: GcpPlanner, comp: DeployedComponent[Database]) -> None:
    """A private Cloud SQL instance with IAM database authentication, backups + PITR, HA and replicas as asked."""
    cid, model = comp.id, comp.component
    engine = model.engine
    net = private_network(p)
    instance = f"{cid}-sql"
    version = sql_version(engine, model.engine_version)
    waivers = _version_waiver(cid, version)
    p.add(
        "gcp:sql/databaseInstance:DatabaseInstance",
        instance,
        {
            "project": p.gcp_project,
            "name": p.name(cid),
            "region": p.region,
            "database_version": version,
            "deletion_protection": p.prod_like,
            "settings": _sql_settings(p, model, net),
        },
        cid,
        group="private",
        protect=p.prod_like,
        depends_on=(net["peering"],),
        waivers=waivers,
    )
    p.add(
        "gcp:sql/database:Database",
        f"{cid}-database",
        {
            "project": p.gcp_project,
            "instance": Ref(instance, "name"),
            "name": sql_identifier(cid),
            **({"charset": "utf8mb4", "collation": "utf8mb4_0900_ai_ci"} if engine == "mysql" else {}),
        },
        cid,
        group="private",
    )
    for i in range(model.read_replicas):
        p.add(
            "gcp:sql/databaseInstance:DatabaseInstance",
            f"{cid}-sql-replica-{i + 1}",
            {
                "project": p.gcp_project,
                "name": p.name(cid, f"replica-{i + 1}"),
                "region": p.region,
                "database_version": version,
                "master_instance_name": Ref(instance, "name"),
                "deletion_protection": p.prod_like,
                "replica_configuration": {"failover_target": False},
                "settings": _sql_settings(p, model, net, replica=True),
            },
            cid,
            group="private",
            depends_on=(net["peering"],),
            waivers=waivers,
        )
    p.facts.setdefault("stores", {})[cid] = {
        "kind": "database",
        "engine": engine,
        "port": SQL_PORTS[engine],
        "instance": instance,
        "host": Ref(instance, "private_ip_address"),
        "replicas": [f"{cid}-sql-replica-{i + 1}" for i in range(model.read_replicas)],
        "name": sql_identifier(cid),
    }
    p.provide(cid, database_outputs(cid, p.facts["stores"][cid]))
    key = cid.replace("-", "_")
    p.output(f"{key}_connection_name", Ref(instance, "connection_name"), f"Cloud SQL instance of {cid}")
    p.output(f"{key}_private_ip", Ref(instance, "private_ip_address"), f"private address of {cid}")


def build_cache(p: GcpPlanner, comp: DeployedComponent[Cache]) -> None:
    """Memorystore for Redis on the database tier: AUTH required, TLS in transit, AUTH string in Secret Manager."""
    cid, model = comp.id, comp.component
    if model.engine != "redis":
        raise StacksError(
            f"{cid}: GCP runs caches as Memorystore for Redis, not {model.engine}",
            hint=f"set components.{cid}.engine to redis, or deploy it with an aws or compose stack",
        )
    net = private_network(p)
    instance = f"{cid}-redis"
    ha = p.prod_like
    p.add(
        "gcp:redis/instance:Instance",
        instance,
        {
            "project": p.gcp_project,
            "name": p.name(cid),
            "display_name": f"{cid} ({p.deployment.name})",
            "region": p.region,
            "tier": "STANDARD_HA" if ha else "BASIC",
            "memory_size_gb": max(1, math.ceil(model.memory / 1024)),
            "redis_version": REDIS_VERSION,
            "authorized_network": Ref(net["network"], "id"),
            "connect_mode": "PRIVATE_SERVICE_ACCESS",
            "reserved_ip_range": Ref("gcp-data-range", "name"),
            "auth_enabled": True,
            "transit_encryption_mode": "SERVER_AUTHENTICATION",
            "maintenance_policy": {
                "weekly_maintenance_windows": [{"day": "SUNDAY", "start_time": {"hours": 3, "minutes": 0}}]
            },
            **(
                {"persistence_config": {"persistence_mode": "RDB", "rdb_snapshot_period": "TWELVE_HOURS"}} if ha else {}
            ),
        },
        cid,
        group="private",
        depends_on=(net["peering"],),
    )
    secret = f"{cid}-auth"
    p.add(
        "gcp:secretmanager/secret:Secret",
        secret,
        {
            "project": p.gcp_project,
            "secret_id": p.name(cid, "auth"),
            "replication": {"auto": {}},
            "labels": {"component": cid},
        },
        cid,
        group="project",
    )
    p.add(
        "gcp:secretmanager/secretVersion:SecretVersion",
        f"{cid}-auth-version",
        {
            # Memorystore generates the AUTH string; it goes from the instance's state into the secret directly.
            "secret": Ref(secret, "id"),
            "secret_data": Ref(instance, "auth_string"),
        },
        cid,
        group="project",
    )
    p.facts.setdefault("stores", {})[cid] = {
        "kind": "cache",
        "engine": "redis",
        "port": REDIS_PORT,
        "instance": instance,
        "host": Ref(instance, "host"),
        "secret": secret,
    }
    host = Ref(instance, "host")
    p.provide(
        cid,
        {
            "host": host,
            "port": str(REDIS_PORT),
            "url": concat("rediss://", host, f":{REDIS_PORT}/0"),
            "user": "",
            "password": "",  # each connected workload gets the AUTH string by reference (store_access)
            "ca_cert": Ref(instance, "server_ca_certs[0].cert"),
        },
    )
    p.output(f"{cid.replace('-', '_')}_host", Ref(instance, "host"), f"Memorystore address of {cid}")


def _iam_login(p: GcpPlanner, cid: str, sid: str, store: dict[str, Any], account: str) -> str:
    """The database user ``cid``'s service account signs in as, and its project roles scoped to the instance."""
    account_id = p.account_id(cid)
    email = f"{account_id}@{p.gcp_project}.iam.gserviceaccount.com"
    # Cloud SQL names a service account's user without the domain suffix (PostgreSQL) or by its local part (MySQL).
    login = f"{account_id}@{p.gcp_project}.iam" if store["engine"] == "postgres" else account_id
    p.add(
        "gcp:sql/user:User",
        f"{sid}-user-{cid}",
        {
            "project": p.gcp_project,
            "instance": Ref(store["instance"], "name"),
            "name": login if store["engine"] == "postgres" else email,
            "type": "CLOUD_IAM_SERVICE_ACCOUNT",
        },
        sid,
        group="private",
        depends_on=(account,),
    )
    instance_path = concat(f"projects/{p.gcp_project}/instances/", Ref(store["instance"], "name"))
    for role in ("roles/cloudsql.client", "roles/cloudsql.instanceUser"):
        p.add(
            "gcp:projects/iAMMember:IAMMember",
            f"{cid}-{role.rsplit('.', 1)[1].lower()}-{sid}",
            {
                "project": p.gcp_project,
                "role": role,
                "member": p.member(account),
                # Project roles narrowed to this one instance by an IAM condition.
                "condition": {
                    "title": f"{sid} only",
                    "description": f"{cid} connects to {sid} and no other instance",
                    "expression": concat('resource.name == "', instance_path, '"'),
                },
            },
            cid,
            group="project",
        )
    return login


def store_access(p: GcpPlanner, cid: str, account: str, near: set[str]) -> dict[str, Any]:
    """What workload ``cid`` gets for the databases and caches it is connected to.

    Records the outputs only ``cid`` receives (its IAM database user, its grant on a cache's AUTH
    secret: ``provide(..., caller=cid)``) and returns ``waits`` (resources the workload must be
    created after) and ``vpc_access`` (Direct VPC egress into the stack's network, None when it
    reaches no store).
    """
    waits: list[str] = []
    reached = False
    for sid, store in sorted(p.facts.get("stores", {}).items()):
        if sid not in near:
            continue
        reached = True
        if store["kind"] == "database":
            login = _iam_login(p, cid, sid, store, account)
            p.provide(sid, {"user": login, "url": _database_url(store, login)}, caller=cid)
            waits.append(f"{sid}-user-{cid}")
            continue
        grant = f"{cid}-reads-{sid}-auth"
        p.add(
            "gcp:secretmanager/secretIamMember:SecretIamMember",
            grant,
            {
                "project": p.gcp_project,
                "secret_id": Ref(store["secret"], "secret_id"),
                "role": "roles/secretmanager.secretAccessor",
                "member": p.member(account),
            },
            cid,
            group="project",
        )
        p.provide(sid, {"password": SecretValue(Ref(grant, "secret_id"))}, caller=cid)
        waits += [grant, f"{sid}-auth-version"]
    vpc_access = None
    if reached:
        net = private_network(p)
        vpc_access = {
            "network_interfaces": [{"network": Ref(net["network"], "name"), "subnetwork": Ref(net["subnet"], "name")}],
            "egress": "PRIVATE_RANGES_ONLY",
        }
    return {"waits": waits, "vpc_access": vpc_access}


def _database_url(store: dict[str, Any], user: str) -> Any:
    scheme = {"postgres": "postgresql", "mysql": "mysql"}[store["engine"]]
    return concat(f"{scheme}://{user}@", store["host"], f":{store['port']}/{store['name']}")


def database_outputs(cid: str, store: dict[str, Any]) -> dict[str, Any]:
    """A Cloud SQL database's outputs; ``user`` and ``url`` are each workload's own IAM login (``store_access``)."""
    hosts: list[Any] = []
    for replica in store["replicas"]:
        hosts += [",", Ref(replica, "private_ip_address")] if hosts else [Ref(replica, "private_ip_address")]
    return {
        "host": store["host"],
        "port": str(store["port"]),
        "name": store["name"],
        "user": "",
        "url": "",
        "password": "",  # IAM database authentication: the client signs in with a short-lived token
        "instance": Ref(store["instance"], "connection_name"),
        "read_hosts": concat(*hosts) if hosts else "",
        "ca_cert": Ref(store["instance"], "server_ca_certs[0].cert"),
    }
