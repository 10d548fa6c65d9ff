"""Hostile inputs the corpus cannot hold as plain files, and the loader's guarantees."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import pytest

from stacks.errors import StacksError
from stacks.project import load_project, project_from_text
from stacks.yamlsource import MAX_FILE_BYTES, load_text


def _error(text_or_path) -> StacksError:
    with pytest.raises(StacksError) as info:
        if isinstance(text_or_path, Path):
            load_project(text_or_path)
        else:
            project_from_text(text_or_path)
    return info.value


def test_not_utf8_is_located(tmp_path):
    bad = tmp_path / "stacks.yaml"
    bad.write_bytes(b"system:\n  name: d\xffmo\n")
    report = _error(bad).format()
    assert "stacks.yaml:2:10:" in report and "not valid UTF-8" in report


def test_huge_file_is_refused_before_parsing(tmp_path):
    big = tmp_path / "stacks.yaml"
    big.write_text("# padding\n" * (MAX_FILE_BYTES // 10 + 10))
    error = _error(big)
    assert "larger than the 2 MiB limit" in error.format()


def test_missing_file_and_directory(tmp_path):
    assert "file not found" in _error(tmp_path / "nope.yaml").format()
    assert "stacks init" in (_error(tmp_path / "nope.yaml").hint or "")
    assert "is a directory" in _error(tmp_path).format()


def test_alias_bomb_fails_fast_in_bounded_memory():
    levels = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 12):  # 10^12 values if expanded
        prev, cur = chr(96 + i), chr(97 + i)
        levels.append(f"{cur}: &{cur} [" + ", ".join([f"*{prev}"] * 10) + "]")
    text = "\n".join(levels) + "\n"
    tracemalloc.start()
    with pytest.raises(StacksError) as info:
        load_text(text)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert "expands to more than" in info.value.format()
    # Expanding even 1e-6 of the 10^12 values would take far more: the loader stopped counting early.
    # (How fast it stops is a benchmark's business, not a test's: wall time on a shared machine varies.)
    assert peak < 200 * 1024 * 1024


def test_duplicate_keys_are_errors_not_last_wins():
    report = _error("system:\n  name: a\n  name: b\ncomponents: {x1: {kind: user}}\n").format()
    assert "stacks.yaml:3:3: system.name: duplicate key 'name' (first defined at line 2)" in report


def test_all_errors_reported_together():
    text = (
        "system: {name: demo}\n"
        "components:\n"
        "  web: {kind: servce}\n"
        "  db: {kind: database, engine: oracle}\n"
        "connections:\n"
        "  - {from: web, to: nowhere}\n"
    )
    report = _error(text).format()
    assert "unknown kind 'servce'" in report and "'oracle' is not allowed" in report
    # Reference checks run once the structure is valid; both structural problems come together.
    assert report.count("stacks.yaml:") >= 2


def test_merge_keys_and_anchors_work():
    text = "system: {name: demo}\ndefaults: &svc {kind: service, build: {context: .}, port: 8000}\n"
    # 'defaults' is not a known key: anchors are fine, unknown keys are not.
    assert "unknown key 'defaults'" in _error(text + "components: {web: *svc}\n").format()
    ok = (
        "system: {name: demo}\n"
        "components:\n"
        "  web: &svc {kind: service, build: {context: .}, port: 8000}\n"
        "  api:\n"
        "    <<: *svc\n"
        "    port: 9000\n"
    )
    project = project_from_text(ok)
    assert project.model.components["api"].port == 9000
    assert project.model.components["api"].kind == "service"


def test_positions_point_at_values():
    doc = load_text("system:\n  name: demo\ncomponents:\n  web:\n    kind: user\n")
    assert doc.positions.locate(("components", "web", "kind")) == (5, 11)
    assert doc.positions.locate(("components", "web", "kind"), prefer_key=True) == (5, 5)
    assert doc.positions.locate(("components", "web", "missing", "deeper")) == (5, 5)


def test_default_stacks_yaml_is_valid(project):
    assert project.model.system.name == "shop"
    names = project.deployables()
    for stack in ("compose", "aws", "gcp", "hybrid"):
        assert any(n.startswith(stack + "-") for n in names)
    for env in ("dev", "staging", "prod"):
        assert f"aws-{env}" in names


def test_deployment_resolves_environment_overrides(project):
    prod = project.deployment("aws-prod")
    api = prod.component("api")
    assert (api.resources.cpu, api.resources.memory) == (2, 4096)
    assert (api.scale.min, api.scale.max) == (2, 8)
    dev = project.deployment("aws-dev").component("api")
    assert (dev.resources.cpu, dev.scale.max) == (0.5, 1)
    assert "seed" in [c.id for c in project.deployment("compose-dev").components]
    assert "seed" not in [c.id for c in project.deployment("compose-prod").components]
    hybrid = project.deployment("hybrid-prod")
    assert hybrid.component("warehouse").cloud == "gcp" and hybrid.component("api").cloud == "aws"


def test_unknown_deployable_suggests(project):
    with pytest.raises(StacksError) as info:
        project.deployment("aws-prd")
    assert "did you mean 'aws-prod'?" in (info.value.hint or "")
