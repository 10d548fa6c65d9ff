"""Random valid models: whatever the components, connections and environments, the rendered
compose file passes the compose-spec schema and `docker-compose config` for every profile,
and the Dockerfiles pass hadolint."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deploy.compose import lint
from deploy.compose.render import render
from stacks.errors import StacksError
from stacks.project import project_from_text

KINDS = ("service", "frontend", "worker", "job", "bucket", "warehouse", "database", "cache", "queue")
ENVS = ("dev", "staging", "prod", "qa")


@st.composite
def models(draw) -> str:
    count = draw(st.integers(2, 9))
    kinds = draw(st.lists(st.sampled_from(KINDS), min_size=count, max_size=count))
    envs = draw(st.lists(st.sampled_from(ENVS), min_size=1, max_size=3, unique=True))
    ids = [f"{k[:2]}{i}" for i, k in enumerate(kinds)]
    components: dict[str, dict] = {}
    for cid, kind in zip(ids, kinds, strict=True):
        comp: dict = {"kind": kind}
        if kind in ("service", "frontend", "worker", "job"):
            if draw(st.booleans()):
                comp["build"] = {"context": draw(st.sampled_from([".", "svc"]))}
            else:
                comp["image"] = "ghcr.io/example/thing:1.0"
            comp["command"] = draw(
                st.sampled_from(
                    [
                        ["uvicorn", "app.main:app", "--host", "0.0.0.0", "--workers", "2"],
                        ["python", "-m", "app.work"],
                    ]
                )
            )
            if draw(st.booleans()):
                comp["secrets"] = {"TOKEN": f"fz/{cid}-token"}
            if kind == "service" and draw(st.booleans()):
                comp["data_dir"] = "/data"
            if kind == "job":
                comp["before"] = draw(st.lists(st.sampled_from(ids), max_size=2, unique=True))
                if draw(st.booleans()):
                    comp["schedule"] = "0 * * * *"
        if kind == "database":
            comp["engine"] = draw(st.sampled_from(["postgres", "mysql"]))
            if comp["engine"] == "mysql":
                comp["version"] = "8.4"
        if kind == "cache":
            comp["engine"] = draw(st.sampled_from(["redis", "memcached"]))
        if kind == "queue":
            comp["fifo"] = draw(st.booleans())
        if draw(st.integers(0, 4)) == 0:
            comp["environments"] = draw(st.lists(st.sampled_from(envs), min_size=1, unique=True))
        components[cid] = comp
    pairs = draw(st.lists(st.tuples(st.sampled_from(ids), st.sampled_from(ids)), max_size=12, unique=True))
    connections = [{"from": a, "to": b} for a, b in pairs if a != b]
    doc = {
        "version": 1,
        "system": {"name": "fz"},
        "environments": list(ENVS),
        "components": components,
        "connections": connections,
        "stacks": {"local": {"target": "compose", "environments": {e: {} for e in envs}}},
    }
    return yaml.safe_dump(doc, sort_keys=False)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=models())
def test_any_valid_model_renders_a_compose_file_compose_accepts(text, tmp_path_factory):
    root = tmp_path_factory.mktemp("fuzz")
    try:
        project = project_from_text(text, root)
    except StacksError as exc:  # the generator only builds valid models
        pytest.fail(f"generated model is invalid:\n{exc.format()}\n{text}")
    files = {a.path: a.content for a in render(project).artifacts}
    for path, content in files.items():
        target = Path(root, path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
    compose = root / "docker-compose.yml"
    envs = list(project.model.stacks["local"].environments)
    try:
        assert lint.schema_findings(compose) == []
        profiles = [p for env in envs for p in (env, f"{env},{env}-jobs")]
        assert lint.compose_findings(compose, profiles) == [], compose.read_text()
        bare = lint.compose_config(compose, None, "services")
        assert bare.returncode == 0, bare.stderr
        default = "prod" if "prod" in envs else envs[-1]
        services = yaml.safe_load(compose.read_text())["services"]
        assert set(bare.stdout.split()) == {n for n, s in services.items() if s["profiles"] == [default]}
        for path in files:
            if path.endswith("Dockerfile"):
                assert lint.hadolint_findings(root / path) == []
    except StacksError as exc:
        pytest.fail(f"{exc.message}: {exc.hint}")
