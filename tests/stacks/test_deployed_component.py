"""What a deployed component offers the builders: its size and scale where its kind has them, and the workload guard."""

from __future__ import annotations

from pathlib import Path

import pytest

from stacks.model import WORKLOAD_KINDS, Bucket, Service
from stacks.project import is_workload, load_project

ROOT = Path(__file__).resolve().parents[2]


def test_size_and_instances_are_the_environments_values_where_the_kind_has_them() -> None:
    deployment = load_project(ROOT / "stacks.yaml").deployment("aws-prod")
    api = deployment.component("api")
    assert isinstance(api.component, Service)
    # stacks.yaml overrides the api's resources and scale in aws-prod.
    assert (api.size.cpu, api.size.memory) == (2, 4096)
    assert (api.instances.min, api.instances.max, api.instances.target_cpu) == (2, 8, 60)
    ingest = deployment.component("ingest")
    assert ingest.size == ingest.resources and ingest.scale is None
    with pytest.raises(ValueError, match="ingest is a job, which has no scale"):
        _ = ingest.instances


def test_a_store_has_no_size_and_is_not_a_workload() -> None:
    deployment = load_project(ROOT / "stacks.yaml").deployment("aws-prod")
    lake = deployment.component("lake")
    assert isinstance(lake.component, Bucket) and not is_workload(lake)
    with pytest.raises(ValueError, match="lake is a bucket, which has no resources"):
        _ = lake.size
    workloads = {c.id for c in deployment.components if is_workload(c)}
    assert {"api", "ingest"} <= workloads and not workloads & {"lake", "warehouse"}
    assert workloads == {c.id for c in deployment.components if c.kind in WORKLOAD_KINDS}
