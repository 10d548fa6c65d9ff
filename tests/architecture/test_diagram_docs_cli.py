"""The docs page (tables, pictures, the section registry) and `stacks diagrams`."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from architecture import docs
from architecture.docs import DocSection, page

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def text(project):
    return page(project, "docs/architecture")


def table(text: str, first_header: str) -> list[list[str]]:
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"| {first_header} |"))
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append([c.strip() for c in line.strip("|").split(" | ")])
    return rows


def test_page_starts_with_the_generated_header(text):
    assert text.splitlines()[0] == "<!-- generated from stacks.yaml by `stacks build`, do not edit -->"
    assert text.splitlines()[1] == "# Shop Analytics: architecture"


def test_every_view_has_its_picture_and_description(text, specs):
    for name, spec in specs.items():
        assert f"![{spec.title}](diagrams/{name}.svg)" in text
        assert f"[PNG](diagrams/{name}.png)" in text
        assert spec.description in text
        assert (ROOT / "docs/architecture/diagrams" / f"{name}.svg").is_file()


def test_components_table_says_where_each_component_runs(text, project):
    rows = {r[0].split("`")[1]: r for r in table(text, "component")}
    assert set(rows) == set(project.model.components)
    header = next(line for line in text.splitlines() if line.startswith("| component |"))
    assert header == "| component | kind | technology | aws | compose | gcp | hybrid |"
    assert rows["api"][1:] == [
        "service",
        "FastAPI",
        "ECS Fargate service",
        "container",
        "Cloud Run service",
        "AWS: ECS Fargate service",
    ]
    assert rows["seed"][3] == "ECS Fargate task (dev)"
    assert rows["seed"][6] == "—"  # not placed on the hybrid stack
    assert rows["warehouse"][6] == "GCP: BigQuery dataset"
    assert rows["analyst"][3:] == ["—"] * 4


def test_connections_table_lists_every_connection(text, project):
    rows = table(text, "from")
    assert len(rows) == len(project.model.connections)
    assert ["`analyst`", "`api`", "notebooks", "https", "443", "request", "—"] in rows
    assert ["`analyst`", "`dashboard`", "dashboards", "https", "443", "request", "—"] in rows
    assert ["`storefront`", "`lake`", "order exports", "s3", "—", "data", "CSV / Parquet exports"] in rows


def test_stacks_table(text):
    rows = {r[0]: r for r in table(text, "stack")}
    assert rows["`hybrid`"][2] == "AWS eu-west-1 + GCP shop-analytics-prod europe-west1"
    assert rows["`hybrid`"][4] == "api, dashboard, ingest, lake, warehouse"


def test_a_new_section_is_one_registry_entry(project, monkeypatch):
    import sys
    import types

    module = types.ModuleType("extra_sections")
    module.inventory = lambda ctx: (
        f"{len(ctx.deployments['aws'])} aws deployables: " + ", ".join(d.name for d in ctx.deployments["aws"])
    )
    module.nothing = lambda ctx: None
    monkeypatch.setitem(sys.modules, "extra_sections", module)
    monkeypatch.setattr(
        docs,
        "SECTIONS",
        [
            *docs.SECTIONS,
            DocSection("inventory", "Cloud resources", 25, "extra_sections:inventory"),
            DocSection("empty", "Never shown", 40, "extra_sections:nothing"),
        ],
    )
    out = page(project, "docs/architecture")
    assert "## Cloud resources\n\n3 aws deployables: aws-dev, aws-staging, aws-prod\n" in out
    assert "Never shown" not in out
    headings = re.findall(r"^## (.+)$", out, flags=re.M)
    ours = ["Views", "Stacks", "Components", "Cloud resources", "Connections"]
    assert [h for h in headings if h in ours] == ours
    assert "- [Cloud resources](#cloud-resources)" in out


def test_pipes_in_model_text_do_not_break_tables(edited):
    def change(data):
        data["connections"][0]["label"] = "dashboards | notebooks"

    out = page(edited(change), "docs/architecture")
    assert "dashboards \\| notebooks" in out


# ---------------------------------------------------------------- the CLI


def test_diagrams_list(cli):
    result = cli("diagrams", "--list", "--json", "-f", ROOT / "stacks.yaml")
    assert result.exit_code == 0
    views = {v["view"]: v for v in json.loads(result.stdout)["views"]}
    assert list(views)[:5] == ["system", "containers", "dataflow", "development", "deployment"]
    assert all(v["included"] for v in views.values())


def test_unknown_view_and_format_are_clear_errors(cli):
    result = cli("diagrams", "--view", "containerz", "-f", ROOT / "stacks.yaml")
    assert result.exit_code == 1
    assert "unknown view 'containerz'" in result.stderr and "did you mean 'containers'" in result.stderr
    result = cli("diagrams", "--format", "gif", "-f", ROOT / "stacks.yaml")
    assert result.exit_code == 1 and "unknown diagram format 'gif'" in result.stderr


def test_one_view_one_format(cli, project_copy):
    (project_copy / "docs").rename(project_copy / "old-docs")
    result = cli("diagrams", "--view", "dataflow", "--format", "svg", "-f", project_copy / "stacks.yaml", "--json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["written"] == ["docs/architecture/diagrams/dataflow.svg"]
    assert sorted(p.name for p in (project_copy / "docs/architecture/diagrams").iterdir()) == ["dataflow.svg"]


def test_plain_diagrams_runs_the_diagrams_and_docs_generators(cli, project_copy, specs):
    result = cli("diagrams", "-f", project_copy / "stacks.yaml")
    assert result.exit_code == 0, result.stderr
    assert f"built {2 * len(specs) + 1} files" in result.stdout
