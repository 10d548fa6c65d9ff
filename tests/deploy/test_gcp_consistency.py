"""One plan, four renderings for gcp and hybrid: plan, Pulumi recording, .tf.json and the diagram hold the same
resources; the hybrid diagram draws both clouds and labels cross-cloud edges with their identity; parity table."""

from __future__ import annotations

import pytest

from .gcp_support import ROOT, plan, project, recording


def _spec(view: str, stack: str):
    from architecture.gcp_view import gcp_spec, hybrid_spec
    from architecture.registry import context

    build = gcp_spec if view == "gcp" else hybrid_spec
    return build(context(project(), view), plan(stack)).normalized()


def _drawn(spec) -> dict[str, list[str]]:
    """resource name -> the clusters around the node that stands for it, then the node (raises if drawn twice)."""
    from architecture.cloud import drawn

    return drawn(spec)


@pytest.mark.parametrize(
    ("view", "stack"), [("gcp", "gcp-prod"), ("gcp", "gcp-dev"), ("hybrid", "hybrid-prod"), ("hybrid", "hybrid-dev")]
)
def test_plan_pulumi_terraform_and_diagram_hold_the_same_resources(view, stack):
    from deploy.terraform import render_plan, tf_type

    p = plan(stack)
    planned = {(r.type, r.name) for r in p.resources}
    recorded = {(r.type, r.name) for r in recording(stack).resources}
    tf = render_plan(p)
    in_tf = {(kind, name) for kind, block in tf["resource"].items() for name in block}
    pulumi_only = {(r.type, r.name) for r in p.resources if "terraform" not in r.engines}
    assert recorded == planned
    assert in_tf == {(tf_type(t), n) for t, n in planned - pulumi_only}
    spec = _spec(view, stack)
    assert set(_drawn(spec)) == {n for _t, n in planned}  # each in exactly one node of a drawn group
    assert sum(len(n.members) for n in spec.all_nodes()) == len(planned)
    assert len([n for n in spec.all_nodes() if n.members]) < len(planned) / 3  # supporting ones are listed


def test_gcp_diagram_places_resources_where_gcp_scopes_them():
    spec = _spec("gcp", "gcp-prod")
    drawn = _drawn(spec)
    assert drawn["api-service"][-2:] == ["gcp-region--api", "gcp--api-service"]
    assert drawn["api-https"][-2:] == ["gcp-edge", "gcp--api-https"]
    assert drawn["api-armor"][-1] == drawn["api-backend"][-1] == drawn["api-dns"][-1] == "gcp--api-https"
    assert drawn["api-neg"][-1] == drawn["api-certificate"][-1] == "gcp--api-https"
    assert drawn["api-redirect"][-1] == "gcp--api-http"  # the HTTP -> HTTPS redirect is its own rule
    assert drawn["gcp-api-run"][-2:] == ["gcp-project", "gcp--project-service-list"]
    assert drawn["warehouse-connection"][-2:] == ["gcp-region--warehouse", "gcp--warehouse-dataset"]
    assert drawn["api-reads-warehouse"][-1] == drawn["api-account"][-1] == "gcp--project-accounts"
    visible = {(e.source, e.target) for e in spec.edges if e.style != "invis"}
    assert ("actor--analyst", "gcp--api-https") in visible  # requests enter through the load balancer
    assert ("gcp--api-https", "gcp--api-service") in visible
    dev = {(e.source, e.target) for e in _spec("gcp", "gcp-dev").edges if e.style != "invis"}
    assert ("actor--analyst", "gcp--api-service") in dev  # no domain in dev: straight to the run.app URL
    assert ("gcp--api-service", "gcp--warehouse-dataset") in visible


def test_hybrid_diagram_draws_both_clouds_and_labels_cross_cloud_edges_with_identity():
    spec = _spec("hybrid", "hybrid-prod")
    assert {c.id for c in spec.clusters} == {"aws-cloud", "gcp-cloud"}
    drawn = _drawn(spec)
    cloud = {name: path[0] for name, path in drawn.items()}
    inside = {path[-1]: path[0] for path in drawn.values()}  # node id -> its cloud
    inside.update({n.id: None for n in spec.nodes})
    assert cloud["api-service"] == "aws-cloud" and cloud["lake-transfer-role"] == "aws-cloud"
    assert cloud["warehouse-dataset"] == "gcp-cloud" and cloud["lake-transfer"] == "gcp-cloud"
    assert cloud["api-gcp-credential-config"] == "aws-cloud" and cloud["api-gcp-account"] == "gcp-cloud"
    assert cloud["gcp-workload-provider"] == "gcp-cloud"
    cross = {(e.source, e.target): e for e in spec.edges if e.style == "bold"}
    query = cross[("aws--api-service", "gcp--warehouse-dataset")]
    label = query.label.replace("\n", " ")
    assert "Workload Identity Federation" in label and "shop-hybrid-api-prod-task" in label
    assert query.both  # the aggregates come back the same way
    data = cross[("aws--lake-bucket", "gcp--lake-transfer")]
    label = data.label.replace("\n", " ")
    assert "Storage Transfer Service" in label and "shop-hybrid-lake-prod-transfer" in label
    assert ("aws--ingest-task", "gcp--warehouse-dataset") in cross
    for edge in spec.edges:  # every edge that joins the two clouds is one of the labelled ones
        if edge.style != "invis" and {inside.get(edge.source), inside.get(edge.target)} == {"aws-cloud", "gcp-cloud"}:
            assert edge.style == "bold" and edge.label, edge


def test_views_are_registered_rendered_and_on_the_docs_page():
    from architecture.registry import VIEWS

    assert VIEWS["gcp"].entry == "architecture.gcp_view:gcp_view"
    assert VIEWS["hybrid"].entry == "architecture.gcp_view:hybrid_view"
    assert ">api&#45;service<" in (ROOT / "docs/architecture/diagrams/gcp.svg").read_text()
    hybrid_svg = (ROOT / "docs/architecture/diagrams/hybrid.svg").read_text()
    assert "Workload Identity Federation" in hybrid_svg and "Storage Transfer Service" in hybrid_svg
    page = (ROOT / "docs/architecture/README.md").read_text()
    assert "diagrams/gcp.svg" in page and "diagrams/hybrid.svg" in page
    assert "Parity across targets" in page


def test_parity_table_is_computed_from_the_plans():
    from architecture.parity import parity_rows, parity_section

    rows = {(r["component"], r["stack"]): r for r in parity_rows(project())}
    assert rows[("api", "aws-prod")]["autoscaling"] == "target tracking 2-8 tasks at 60% CPU"
    assert rows[("api", "gcp-prod")]["autoscaling"] == "Cloud Run 1-10 instances, 80 requests each"
    assert rows[("api", "compose-prod")]["autoscaling"].startswith("—")  # compose drops autoscaling
    assert rows[("api", "hybrid-prod")]["HTTPS"].startswith("ALB listener")  # production serves HTTPS only
    assert "Cloud Armor" in rows[("api", "gcp-prod")]["HTTPS"]
    assert rows[("api", "gcp-prod")]["secrets"] == "1 from Secret Manager by reference"
    assert rows[("api", "aws-prod")]["logs"] == "CloudWatch, 365 days"
    # What each kind runs as comes from its rule on that target, with the component's engine variant.
    assert rows[("warehouse", "hybrid-prod")]["runs as"] == "BigQuery dataset"
    assert rows[("warehouse", "aws-prod")]["runs as"] == "Athena over Glue tables"
    assert rows[("warehouse", "compose-prod")]["runs as"] == "DuckDB on a named volume"
    assert rows[("lake", "gcp-prod")]["runs as"] == "Cloud Storage bucket"

    class Doc:
        pass

    doc = Doc()
    doc.project = project()
    text = parity_section(doc)
    page = (ROOT / "docs/architecture/README.md").read_text()
    assert text in page  # the committed docs page carries the current table
