"""Each view's graph content, derived from the bundled model: nodes, edges, clusters, labels."""

from __future__ import annotations

import importlib
import re

import pytest

from architecture.nodes import KIND_TABLES, MODULE_TABLES, RESOURCE_TABLES, look, resource_icon
from architecture.registry import VIEWS, project_views
from architecture.render import dot_source
from architecture.spec import Cluster, Edge, GraphSpec, Node
from stacks.errors import StacksError


def clusters(spec) -> dict[str, tuple[str, set[str]]]:
    """cluster id -> (label, ids of the nodes directly inside)."""
    return {c.id: (c.label, {n.id for n in c.nodes}) for c, _ in spec.all_clusters()}


def edges(spec) -> dict[tuple[str, str], Edge]:
    return {(e.source, e.target): e for e in spec.edges}


LOGICAL = ["system", "containers", "dataflow", "development", "deployment"]


def test_every_included_view_is_drawn(project, specs):
    from architecture.registry import included

    assert list(specs)[:5] == LOGICAL  # cloud views, registered by the cloud stacks, follow
    assert list(specs) == included(project)
    for spec in specs.values():
        assert spec.title.startswith("Shop Analytics: ")
        assert spec.description


def test_system_view_is_the_system_as_one_box(specs):
    spec = specs["system"]
    assert {n.id for n in spec.nodes} == {"system--shop", "analyst", "storefront"}
    assert spec.clusters == ()
    found = edges(spec)
    assert set(found) == {("analyst", "system--shop"), ("system--shop", "analyst"), ("storefront", "system--shop")}
    assert set(found[("analyst", "system--shop")].label.split("\n")) == {"dashboards", "notebooks"}
    assert found[("system--shop", "analyst")].label == "reports"
    assert found[("storefront", "system--shop")].label == "order exports"
    system = next(n for n in spec.nodes if n.id == "system--shop")
    assert system.label == "Shop Analytics" and "KPIs" in system.detail


def test_containers_view_groups_by_tier(project, specs):
    spec = specs["containers"]
    groups = clusters(spec)
    assert groups["system-shop"] == ("Shop Analytics", set())
    assert groups["tier-compute"] == ("Compute", {"api", "ingest", "seed"})
    assert groups["tier-data"] == ("Data", {"lake", "warehouse"})
    assert groups["tier-edge"] == ("Edge", {"dashboard"})  # the frontend
    assert {n.id for n in spec.nodes} == {"analyst", "storefront"}  # outside the system boundary
    by_id = {n.id: n for n in spec.all_nodes()}
    assert by_id["api"].detail == "FastAPI" and by_id["api"].icon == "diagrams.programming.framework.Fastapi"
    assert by_id["warehouse"].icon == "diagrams.onprem.database.Duckdb"
    found = edges(spec)
    assert len(spec.edges) == len(project.model.connections) == 10
    assert found[("analyst", "api")].label == "notebooks\nHTTPS :443"
    assert found[("dashboard", "api")].label == "/api/v1 (same origin)\nHTTPS"
    assert by_id["dashboard"].icon == "diagrams.programming.framework.React"
    assert found[("api", "warehouse")].label == "analytics queries\nSQL"
    assert found[("api", "warehouse")].style == "solid"
    assert found[("warehouse", "api")].style == "dashed"  # a data flow
    assert found[("lake", "ingest")].label.endswith("S3")
    assert spec.ranks == (("analyst", "storefront"), ("dashboard",), ("api", "ingest", "seed"), ("lake", "warehouse"))


def test_dataflow_view_has_only_data_flows(specs):
    spec = specs["dataflow"]
    assert set(edges(spec)) == {
        ("storefront", "lake"),
        ("lake", "ingest"),
        ("ingest", "warehouse"),
        ("seed", "warehouse"),
        ("warehouse", "api"),
        ("api", "analyst"),
    }
    assert ("analyst", "api") not in edges(spec) and ("api", "warehouse") not in edges(spec)
    assert edges(spec)[("storefront", "lake")].label == "CSV / Parquet exports\n(S3)"
    assert edges(spec)[("warehouse", "api")].label == "KPIs, cohorts, segments\n(SQL)"
    assert "Storefront" in spec.description and "Analyst" in spec.description


def test_development_view_is_the_compose_dev_stack(specs):
    spec = specs["development"]
    groups = clusters(spec)
    label, members = groups["compose-compose"]
    assert "docker compose --profile dev up" in label and "compose-dev" in label
    # api's data_dir is where the warehouse volume is mounted: drawn once, as the warehouse
    assert members == {"api", "dashboard", "ingest", "seed", "lake", "warehouse", "dev--source"}
    assert {n.id for n in spec.nodes} == {"dev--developer", "dev--tests"}
    found = edges(spec)
    assert found[("dev--source", "api")].label == "hot reload"
    assert "completes before" in found[("seed", "api")].label  # seed.before: [api]
    assert found[("dev--developer", "api")].label == "http://localhost:8000"
    assert found[("dev--tests", "api")].label == "http://127.0.0.1:8000"
    by_id = {n.id: n for n in spec.all_nodes()}
    assert by_id["warehouse"].detail == "DuckDB on a named volume at /data"
    assert by_id["lake"].detail == "MinIO (S3 API)"
    assert by_id["lake"].icon == "diagrams.generic.storage.Storage"


def test_deployment_view_puts_every_stack_side_by_side(specs):
    spec = specs["deployment"]
    groups = clusters(spec)
    assert {cid for cid in groups if cid.startswith("stack-")} == {
        "stack-aws",
        "stack-compose",
        "stack-gcp",
        "stack-hybrid",
    }
    assert groups["stack-aws"][1] == {f"aws--{c}" for c in ("api", "dashboard", "ingest", "lake", "seed", "warehouse")}
    assert groups["hybrid-aws"] == (
        "AWS eu-west-1",
        {"hybrid--api", "hybrid--dashboard", "hybrid--ingest", "hybrid--lake"},
    )
    assert groups["hybrid-gcp"] == ("GCP europe-west1", {"hybrid--warehouse"})
    by_id = {n.id: n for n in spec.all_nodes()}
    assert "hybrid--seed" not in by_id  # not placed on the hybrid stack
    assert by_id["aws--api"].detail == "ECS Fargate service"
    assert by_id["aws--dashboard"].detail == "CloudFront + S3 bucket"  # the static site's rule
    assert by_id["gcp--dashboard"].detail == "Cloud CDN + Cloud Storage bucket"
    assert by_id["aws--dashboard"].icon == "diagrams.aws.network.CloudFront"
    assert by_id["gcp--warehouse"].detail == "BigQuery dataset"
    assert by_id["aws--seed"].detail == "ECS Fargate task (dev only)"
    assert by_id["aws--warehouse"].icon == "diagrams.aws.analytics.Athena"
    cross = edges(spec)[("hybrid--api", "hybrid--warehouse")]
    assert cross.label == "cross-cloud" and cross.color
    assert edges(spec)[("aws--api", "aws--warehouse")].label == ""
    assert spec.direction == "TB"


def test_dot_source_has_fixed_ids_unique_clusters_and_node_to_node_edges(specs):
    for spec in specs.values():
        source = dot_source(spec)
        assert not re.search(r"\b[0-9a-f]{32}\b", source), "a random uuid node id leaked into the DOT source"
        names = re.findall(r'subgraph "?(cluster_[^" {]+)', source)
        assert len(names) == len(set(names)) == len(spec.all_clusters())
        assert "lhead" not in source and "ltail" not in source and "compound" not in source
        assert "/site-packages/" not in source
        for edge in spec.edges:
            assert edge.source in spec.node_ids() and edge.target in spec.node_ids()


def test_same_labels_never_merge_clusters(edited):
    """Two hybrid stacks give two 'AWS eu-west-1' boxes; Graphviz would merge equal cluster names."""

    def change(data):
        data["stacks"]["hybrid2"] = data["stacks"]["hybrid"]

    spec = next(s for s in project_views(edited(change), ["deployment"]))
    labels = [c.label for c, _ in spec.all_clusters()]
    assert labels.count("AWS eu-west-1") == 2
    source = dot_source(spec)
    assert 'subgraph "cluster_hybrid-aws"' in source and 'subgraph "cluster_hybrid2-aws"' in source


def test_view_settings_title_direction_exclude_and_include(edited):
    def change(data):
        data["views"]["include"] = ["containers", "dataflow"]
        data["views"]["settings"] = {"containers": {"title": "Boxes", "direction": "TB", "exclude": ["seed"]}}

    project = edited(change)
    specs = {s.name: s for s in project_views(project)}
    assert list(specs) == ["containers", "dataflow"]
    spec = specs["containers"]
    assert spec.title == "Boxes" and spec.direction == "TB"
    assert "seed" not in spec.node_ids()
    assert all("seed" not in (e.source, e.target) for e in spec.edges)
    assert ("api", "ingest", "seed") not in spec.ranks and ("api", "ingest") in spec.ranks
    assert "seed" in specs["dataflow"].node_ids()  # excluded from one view only
    assert specs["dataflow"].direction == "LR"


def test_views_with_nothing_to_draw_are_left_out(edited):
    def change(data):
        data["stacks"] = {k: v for k, v in data["stacks"].items() if v["target"] != "compose"}

    names = [s.name for s in project_views(edited(change), LOGICAL)]
    assert "development" not in names and "deployment" in names

    def no_stacks(data):
        data["stacks"] = {}

    names = [s.name for s in project_views(edited(no_stacks), LOGICAL)]
    assert names == ["system", "containers", "dataflow"]


def test_edge_tier_and_explicit_tiers(edited):
    def change(data):
        data["components"]["web"] = {
            "kind": "frontend",
            "label": "Web",
            "technology": "React",
            "build": {"context": "."},
            "public": False,  # the api holds the domain: one public entry point per domain
        }
        data["components"]["storefront"]["tier"] = "edge"
        data["connections"].append({"from": "web", "to": "api", "label": "calls", "protocol": "https"})

    spec = next(s for s in project_views(edited(change), ["containers"]))
    groups = clusters(spec)
    assert groups["tier-edge"] == ("Edge", {"dashboard", "web", "storefront"})
    assert {n.id: n for n in spec.all_nodes()}["web"].icon == "diagrams.programming.framework.React"


def test_unknown_view_name_is_a_clear_error(project):
    with pytest.raises(StacksError) as info:
        project_views(project, ["containerz"])
    assert "unknown view 'containerz'" in info.value.message and "containers" in info.value.hint


def test_every_table_entry_is_a_real_diagrams_class():
    paths = {entry.icon for table in KIND_TABLES.values() for entry in table.values()}
    paths |= {icon for table in (*RESOURCE_TABLES.values(), *MODULE_TABLES.values()) for icon in table.values()}
    paths |= {
        "diagrams.generic.place.Datacenter",
        "diagrams.onprem.vcs.Git",
        "diagrams.onprem.client.User",
        "diagrams.programming.language.Python",
        "diagrams.generic.storage.Storage",
    }
    for path in sorted(paths):
        module, _, name = path.rpartition(".")
        cls = getattr(importlib.import_module(module), name)
        assert cls._icon, path


def test_lookups_prefer_technology_then_kind():
    svc = type("S", (), {"kind": "service", "technology": "FastAPI"})()
    assert look("logical", svc).icon == "diagrams.programming.framework.Fastapi"
    assert look("aws", svc).icon == "diagrams.aws.compute.Fargate"  # the aws table knows services, not frameworks
    db = type("D", (), {"kind": "database", "technology": None, "engine": "mysql"})()
    assert look("aws", db).product == "RDS MySQL"
    assert resource_icon("aws:ecs/service:Service") == "diagrams.aws.compute.ElasticContainerServiceService"
    assert resource_icon("aws:made/up:Thing") == "diagrams.aws.general.General"
    assert resource_icon("aws:s3/bucketNotification:BucketNotification") == (
        "diagrams.aws.storage.SimpleStorageServiceS3Bucket"
    )  # by service module
    assert resource_icon("docker-build:index:Image") == "diagrams.onprem.container.Docker"
    with pytest.raises(StacksError):
        look("azure", svc)


def test_registry_entries_load():
    for view in VIEWS.values():
        assert callable(view.load())


def test_spec_check_rejects_edges_to_nowhere():
    spec = GraphSpec(
        "x",
        "X",
        "",
        nodes=(Node("a", "A", "diagrams.generic.blank.Blank"),),
        clusters=(Cluster("c", "C"),),
        edges=(Edge("a", "c"),),
    )
    with pytest.raises(StacksError, match="edges join nodes"):
        spec.normalized()


def test_yaml_order_does_not_change_a_single_byte_of_dot(project, edited):
    """The build cache hashes the model with sorted keys, so the pictures must not depend on YAML order."""

    def shuffle(data):
        data["components"] = dict(reversed(list(data["components"].items())))
        data["connections"] = list(reversed(data["connections"]))
        data["stacks"] = dict(reversed(list(data["stacks"].items())))

    shuffled = edited(shuffle)
    assert list(shuffled.model.components) != list(project.model.components)
    for a, b in zip(project_views(project, LOGICAL), project_views(shuffled, LOGICAL), strict=True):
        assert dot_source(a) == dot_source(b), a.name


def test_development_view_draws_a_volume_for_a_data_dir_outside_the_warehouse(edited):
    def change(data):
        data["components"]["wiki"] = {
            "kind": "service",
            "label": "Wiki",
            "image": "ghcr.io/example/wiki:1",
            "port": 8080,
            "data_dir": "/srv/wiki",
        }

    spec = project_views(edited(change), ["development"])[0]
    by_id = {n.id: n for n in spec.all_nodes()}
    assert by_id["dev--volume-wiki"].detail == "mounted at /srv/wiki"
    assert edges(spec)[("wiki", "dev--volume-wiki")].label == "mounts"
    assert edges(spec)[("dev--tests", "wiki")].label == "http://127.0.0.1:8080"
    assert "dev--source" not in {e.source for e in spec.edges if e.target == "wiki"}  # an image, not built
    assert "dev--volume-api" not in by_id
