"""One plan, four renderings for gcp and hybrid: plan, Pulumi recording, .tf.json and the diagram hold the same
resources; the hybrid diagram draws both clouds and labels cross-cloud edges with their identity; parity table."""

from __future__ import annotations

import pytest

from .gcp_support import ROOT, plan, project, recording


def _spec(view: str, stack: str):
    from architecture.registry import context
    from deploy.diagram_gcp import gcp_spec, hybrid_spec

    build = gcp_spec if view == "gcp" else hybrid_spec
    return build(context(project(), view), plan(stack)).normalized()


def _drawn(spec) -> set[str]:
    return {n.id.split("--", 1)[1] for n in spec.all_nodes() if n.id.startswith(("aws--", "gcp--"))}


@pytest.mark.parametrize(("view", "stack"), [("gcp", "gcp-prod"), ("gcp", "gcp-dev"), ("hybrid", "hybrid-prod"),
                                             ("hybrid", "hybrid-dev")])
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
    assert _drawn(spec) == {n for _t, n in planned}
    assert len([n for n in spec.all_nodes() if n.id.startswith(("aws--", "gcp--"))]) == len(planned)


def test_gcp_diagram_places_resources_where_gcp_scopes_them():
    spec = _spec("gcp", "gcp-prod")
    where = {n.id: spec.cluster_of(n.id) for n in spec.all_nodes()}
    assert where["gcp--api-service"] == "gcp-region--api"
    assert where["gcp--api-armor"] == "gcp-edge--api"
    assert where["gcp--api-dns"] == "gcp-dns--api"
    assert where["gcp--gcp-api-run"] == "gcp-project--baseline"
    assert where["gcp--warehouse-table-orders"] == "gcp-region--warehouse"
    visible = {(e.source, e.target) for e in spec.edges if e.style != "invis"}
    assert ("actor--analyst", "gcp--api-https") in visible  # requests enter through the load balancer
    assert ("gcp--api-https", "gcp--api-service") in visible
    dev = {(e.source, e.target) for e in _spec("gcp", "gcp-dev").edges if e.style != "invis"}
    assert ("actor--analyst", "gcp--api-service") in dev  # no domain in dev: straight to the run.app URL
    assert ("gcp--api-service", "gcp--warehouse-dataset") in visible


def test_hybrid_diagram_draws_both_clouds_and_labels_cross_cloud_edges_with_identity():
    spec = _spec("hybrid", "hybrid-prod")
    assert {c.id for c in spec.clusters} == {"aws-cloud", "gcp-cloud"}
    inside: dict[str, str] = {}
    for top in spec.clusters:
        for cluster, _ in top.walk():
            for node in cluster.nodes:
                inside[node.id] = top.id
    assert inside["aws--api-service"] == "aws-cloud" and inside["aws--lake-transfer-role"] == "aws-cloud"
    assert inside["gcp--warehouse-dataset"] == "gcp-cloud" and inside["gcp--lake-transfer"] == "gcp-cloud"
    assert inside["aws--api-gcp-credential-config"] == "aws-cloud" and inside["gcp--api-gcp-account"] == "gcp-cloud"
    cross = {(e.source, e.target): e for e in spec.edges if e.style == "bold"}
    query = cross[("aws--api-service", "gcp--warehouse-dataset")]
    assert "Workload Identity Federation" in query.label and "shop-hybrid-api-prod-task" in query.label
    data = cross[("aws--lake-bucket", "gcp--lake-transfer")]
    assert "Storage Transfer Service" in data.label and "shop-hybrid-lake-prod-transfer" in data.label
    assert ("aws--ingest-task", "gcp--warehouse-dataset") in cross
    for edge in spec.edges:  # every edge that joins the two clouds is one of the labelled ones
        if edge.style != "invis" and {inside.get(edge.source), inside.get(edge.target)} == {"aws-cloud", "gcp-cloud"}:
            assert edge.style == "bold" and edge.label, edge


def test_views_are_registered_rendered_and_on_the_docs_page():
    from architecture.registry import VIEWS

    assert VIEWS["gcp"].entry == "deploy.diagram_gcp:gcp_view"
    assert VIEWS["hybrid"].entry == "deploy.diagram_gcp:hybrid_view"
    assert ">api&#45;service<" in (ROOT / "docs/architecture/diagrams/gcp.svg").read_text()
    hybrid_svg = (ROOT / "docs/architecture/diagrams/hybrid.svg").read_text()
    assert "Workload Identity Federation" in hybrid_svg and "Storage Transfer Service" in hybrid_svg
    page = (ROOT / "docs/architecture/README.md").read_text()
    assert "diagrams/gcp.svg" in page and "diagrams/hybrid.svg" in page
    assert "Parity across targets" in page


def test_parity_table_is_computed_from_the_plans():
    from deploy.diagram_gcp import parity_rows, parity_section

    rows = {(r["component"], r["stack"]): r for r in parity_rows(project())}
    assert rows[("api", "aws-prod")]["autoscaling"] == "target tracking 2-8 tasks at 60% CPU"
    assert rows[("api", "gcp-prod")]["autoscaling"] == "Cloud Run 1-10 instances, 80 requests each"
    assert rows[("api", "compose-prod")]["autoscaling"].startswith("—")  # compose drops autoscaling
    assert rows[("api", "hybrid-prod")]["HTTPS"].startswith("—")  # no domain in hybrid-prod
    assert "Cloud Armor" in rows[("api", "gcp-prod")]["HTTPS"]
    assert rows[("api", "gcp-prod")]["secrets"] == "1 from Secret Manager by reference"
    assert rows[("api", "aws-prod")]["logs"] == "CloudWatch, 365 days"
    assert rows[("warehouse", "hybrid-prod")]["runs as"] == "`google_bigquery_dataset`"
    assert rows[("warehouse", "aws-prod")]["runs as"] == "`aws_athena_workgroup`"

    class Doc:
        pass

    doc = Doc()
    doc.project = project()
    text = parity_section(doc)
    page = (ROOT / "docs/architecture/README.md").read_text()
    assert text in page  # the committed docs page carries the current table
