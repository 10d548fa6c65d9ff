"""Properties over random valid models: every kind the model accepts plans on every target that claims to host it.

Hypothesis draws a whole stacks.yaml (components of every deployable kind with
sizes every cloud accepts, connections among them, aws/gcp/hybrid/compose
stacks). Validation either passes or fails with located diagnostics; when it
passes, every cloud deployable plans, passes its policies and renders Terraform
JSON, a sample also runs through the real Pulumi program under mocks with no
input lost, and compose renders.
"""

from __future__ import annotations

import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from stacks.errors import StacksError

from .conftest import ROOT

SIZES = ((0.25, 512), (0.5, 1024), (1, 2048), (2, 4096))
DATA_KINDS = ("bucket", "warehouse", "database", "cache", "queue")
WORKLOADS = ("service", "frontend", "worker", "job")
BUILD = {"context": ".", "dockerfile": "Dockerfile"}


def _component(draw, kind: str, ids: dict[str, str]) -> dict:
    body: dict = {"kind": kind}
    if kind == "frontend" and draw(st.booleans()):  # the static-site mode: files behind a CDN, no container
        return {"kind": kind, "static": {"source": "web", "output": draw(st.sampled_from(["dist", "build"]))}}
    if kind in WORKLOADS:
        cpu, memory = draw(st.sampled_from(SIZES))
        body.update(build=BUILD, command=["python", "-m", "app.main"], resources={"cpu": cpu, "memory": memory})
        if draw(st.booleans()):
            body["secrets"] = {"API_KEY": "shop/api-key"}
    if kind == "service":
        body["public"] = draw(st.booleans())
    if kind in ("service", "frontend", "worker") and draw(st.booleans()):
        body["scale"] = {"min": 1, "max": draw(st.integers(1, 4))}
    if kind == "job" and draw(st.booleans()):
        body["schedule"] = "0 3 * * *"
    if kind == "bucket":
        body["purpose"] = draw(st.sampled_from(["lake", "assets", "exports"]))
        body["versioning"] = draw(st.booleans())
    if kind == "warehouse":
        lakes = [c for c, k in ids.items() if k == "bucket"]
        if lakes:
            body["lake"] = draw(st.sampled_from(lakes))
            body["tables"] = [
                {
                    "name": "orders",
                    "columns": [
                        {"name": "order_id", "type": "BIGINT", "nullable": False},
                        {"name": "day", "type": "DATE"},
                    ],
                }
            ]
    if kind == "database":
        body["engine"] = draw(st.sampled_from(["postgres", "mysql"]))
        body["version"] = "16" if body["engine"] == "postgres" else "8.0"
    if kind == "cache":
        body["engine"] = draw(st.sampled_from(["redis", "memcached"]))
    if kind == "queue":
        body["fifo"] = draw(st.booleans())
    return body


@st.composite
def models(draw) -> dict:
    kinds = draw(st.lists(st.sampled_from(WORKLOADS), min_size=1, max_size=3))
    kinds += draw(st.lists(st.sampled_from(DATA_KINDS), max_size=4))
    ids: dict[str, str] = {}
    for i, kind in enumerate(sorted(kinds, key=lambda k: k == "warehouse")):  # buckets before warehouses
        ids[f"{kind[:3]}{i}"] = kind
    components: dict = {"user": {"kind": "user"}, "partner": {"kind": "external"}}
    for cid, kind in ids.items():
        components[cid] = _component(draw, kind, ids)
    static = {c for c in ids if "static" in components[c]}
    workloads = [c for c, k in ids.items() if k in WORKLOADS and c not in static]
    callees = [c for c, k in ids.items() if k in ("service", "frontend") and c not in static]
    site_calls: list[dict] = []
    for site in sorted(static):  # a site calls a public service (its /api route), nothing else
        apis = [c for c, k in ids.items() if k == "service"]
        if apis and draw(st.booleans()):
            api = draw(st.sampled_from(apis))
            components[api]["public"] = True
            site_calls.append({"from": site, "to": api, "protocol": "https"})
    data = [c for c, k in ids.items() if k in DATA_KINDS]
    connections: list[dict] = list(site_calls)
    for cid in workloads:
        for target in draw(st.lists(st.sampled_from(data), max_size=3, unique=True)) if data else []:
            connections.append({"from": cid, "to": target, "protocol": "tcp"})
        others = [c for c in callees if c != cid]
        if others and draw(st.booleans()):
            connections.append({"from": cid, "to": draw(st.sampled_from(others)), "protocol": "https"})
    if callees:
        connections.append({"from": "user", "to": draw(st.sampled_from(callees)), "protocol": "https"})
    buckets = [c for c, k in ids.items() if k == "bucket"]
    if buckets and draw(st.booleans()):
        connections.append({"from": "partner", "to": buckets[0], "protocol": "s3", "flow": "data"})
    env = {"deletion_protection": draw(st.booleans()), "nat": draw(st.sampled_from(["none", "single"]))}
    deployed = [c for c in ids]
    placement = {cid: draw(st.sampled_from(["aws", "gcp"])) for cid in deployed}
    stacks = {
        "compose": {"target": "compose", "environments": {"dev": {}}},
        "aws": {"target": "aws", "region": "eu-west-1", "environments": {"prod": dict(env)}},
        "gcp": {
            "target": "gcp",
            "project": "shop-analytics",
            "region": "europe-west1",
            "environments": {"prod": {"deletion_protection": env["deletion_protection"]}},
        },
        "hybrid": {
            "target": "hybrid",
            "aws": {"region": "eu-west-1"},
            "gcp": {"project": "shop-analytics", "region": "europe-west1"},
            "placement": placement,
            "environments": {"prod": dict(env)},
        },
    }
    chosen = draw(st.lists(st.sampled_from(sorted(stacks)), min_size=1, max_size=4, unique=True))
    return {
        "version": 1,
        "system": {"name": "shop"},
        "environments": ["dev", "prod"],
        "components": components,
        "connections": connections,
        "stacks": {name: stacks[name] for name in chosen},
    }


def _camel(key: str) -> str:
    head, *rest = key.split("_")
    return head + "".join(part.title() for part in rest)


def _check_offline(plan) -> None:
    from deploy.offline import run_offline

    recorded = {r.name: r.inputs for r in run_offline(plan).resources}
    for res in plan.for_engine("pulumi"):
        assert res.name in recorded, f"{plan.stack}: {res.name} was never registered"
        for key, value in res.inputs.items():
            if value in (None, [], {}, ""):
                continue
            got = recorded[res.name].get(_camel(key))
            assert got not in (None, ""), f"{plan.stack}: {res.name}: input {key} vanished"


_offline_runs = {"count": 0}


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(doc=models())
def test_random_valid_models_plan_and_render(doc):
    from deploy.compose.render import render as render_compose
    from deploy.terraform import render_plan
    from stacks.plan import build_plan, cloud_deployables
    from stacks.project import project_from_text

    text = yaml.safe_dump(doc, sort_keys=False)
    try:
        project = project_from_text(text, root=ROOT)
    except StacksError as err:  # a model the targets cannot host: located, never a crash
        assert err.diagnostics, f"validation failed without a location: {err.format()}"
        assert all(d.path and d.line for d in err.diagnostics), err.format()
        event("refused at validation")
        return
    event("validated")
    for name in cloud_deployables(project):
        try:
            plan = build_plan(project, name)  # raises on a broken policy
        except StacksError as err:
            raise AssertionError(f"{name} validated but does not plan:\n{err.format()}\n---\n{text}") from err
        event(f"planned {plan.target}")
        tf = render_plan(plan)
        assert tf["resource"], name
        if _offline_runs["count"] < 6:
            _offline_runs["count"] += 1
            _check_offline(plan)
    if any(s["target"] == "compose" for s in doc["stacks"].values()):
        rendered = render_compose(project)
        assert rendered.artifacts


def test_validation_hosts_exactly_what_the_registries_build():
    from deploy.compose.local import LOCAL
    from stacks.model import KINDS, NOT_DEPLOYED_KINDS
    from stacks.plan import aws, gcp
    from stacks.targets import HOSTED_KINDS, hosted_kinds

    def kinds(table):  # a table holds a rule per kind and per mode of a kind ("frontend.static")
        return {rule.kind for rule in table.values()}

    assert hosted_kinds("aws") == kinds(aws.KINDS)
    assert hosted_kinds("gcp") == kinds(gcp.KINDS)
    assert hosted_kinds("hybrid") == kinds(aws.KINDS) | kinds(gcp.KINDS)
    assert hosted_kinds("compose") == kinds(LOCAL) == set(KINDS) - set(NOT_DEPLOYED_KINDS)
    assert HOSTED_KINDS["aws"] == hosted_kinds("aws")


def test_a_kind_a_cloud_cannot_host_is_a_located_validation_error():
    from stacks.targets import hosted_kinds

    doc = yaml.safe_load((ROOT / "stacks.yaml").read_text())
    missing = sorted(k for k in ("database", "cache") if k not in hosted_kinds("gcp"))
    for kind in missing:
        doc["components"]["store"] = {"kind": kind}
        doc["stacks"]["hybrid"]["placement"]["store"] = "gcp"
        from stacks.project import project_from_text

        try:
            project_from_text(yaml.safe_dump(doc, sort_keys=False), root=ROOT)
        except StacksError as err:
            found = [d for d in err.diagnostics if "'store'" in d.message]
            assert any(d.path == "stacks.hybrid.placement.store" and "placement" in (d.hint or "") for d in found)
            assert any(d.path == "components.store.kind" and d.line for d in found), err.format()
        else:
            raise AssertionError(f"a {kind} on gcp validated although the gcp plan has no builder for it")
