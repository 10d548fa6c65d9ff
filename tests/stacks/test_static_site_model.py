"""The frontend's static-site mode in stacks.yaml: its schema, and located errors with hints."""

from __future__ import annotations

import pytest

from stacks.errors import StacksError
from stacks.model import Frontend, StaticSite
from stacks.project import project_from_text
from stacks.schema import json_schema
from tests.conftest import ROOT

BASE = (ROOT / "stacks.yaml").read_text()
SITE = "    static: {source: web, install: [npm, ci], build: [npm, run, build], output: dist, dev: [npm, run, dev]}\n"


def _problems(*edits: tuple[str, str]) -> list[str]:
    text = BASE
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new, 1)
    with pytest.raises(StacksError) as info:
        project_from_text(text, root=ROOT)
    return [d.format() for d in info.value.diagnostics]


def test_every_static_setting_is_described_in_the_schema():
    for name, field in StaticSite.model_fields.items():
        assert field.description and len(field.description) > 20, name
    schema = json_schema()
    assert "StaticSite" in str(schema) and Frontend.model_fields["static"].description


def test_the_bundled_dashboard_is_a_static_site():
    comp = project_from_text(BASE, root=ROOT).model.components["dashboard"]
    assert isinstance(comp, Frontend) and comp.mode == "static" and comp.static is not None
    assert (comp.static.source, comp.static.output, comp.static.api_path) == ("web", "dist", "/api")


def test_container_settings_on_a_static_site_are_located_errors_with_a_hint():
    found = _problems((SITE, SITE + "    image: nginx:1.27\n    command: [nginx]\n    secrets: {KEY: shop/api-key}\n"))
    for name in ("image", "command", "secrets"):
        [hit] = [p for p in found if f"'{name}' does not apply to the static site 'dashboard'" in p]
        assert hit.startswith("stacks.yaml:") and f"remove '{name}'" in hit
    lines = {int(p.split(":")[1]) for p in found if "does not apply" in p}
    assert len(lines) == 3  # each at its own line


def test_a_misspelt_static_setting_suggests_the_right_one():
    found = _problems((SITE, SITE.replace("output: dist", "outptu: dist")))
    assert any("outptu" in p and "output" in p for p in found), found


def test_a_static_site_calling_a_private_api_is_refused_at_the_connection():
    found = _problems(("    public: true\n    data_dir: /data\n", "    public: false\n    data_dir: /data\n"))
    [hit] = [p for p in found if "static site 'dashboard'" in p]
    assert "'api' is not public" in hit and "components.api.public: true" in hit
    assert "stacks.yaml:" in hit


def test_a_bad_api_path_is_located():
    found = _problems((SITE, SITE.replace("dev: [npm, run, dev]}", "dev: [npm, run, dev], api_path: api/}")))
    assert any("api_path" in p for p in found), found


def test_a_static_site_reaches_data_only_through_an_api():
    found = _problems(
        (
            "  - {from: dashboard, to: api, label: /api/v1 (same origin), protocol: https}\n",
            "  - {from: dashboard, to: api, label: /api/v1 (same origin), protocol: https}\n"
            "  - {from: dashboard, to: warehouse, protocol: sql}\n",
        )
    )
    [hit] = [p for p in found if "static site 'dashboard' can only call a service" in p]
    assert "the warehouse 'warehouse'" in hit and "connect 'dashboard' to the service" in hit
