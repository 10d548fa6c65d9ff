"""Reads during concurrent ingests see the old version or the new one, never a mix (bounded)."""

from __future__ import annotations

import threading
import time

import httpx
import pytest

from app.engines.local import DuckDBEngine
from app.ingest import find_sources, ingest
from app.seed import seed
from tests.app.conftest import make_client

PUBLISHES = 6


@pytest.fixture(scope="module")
def sources(tmp_path_factory):
    """Two different datasets as Parquet exports: A (2,000 orders) and B (3,000 orders)."""
    root = tmp_path_factory.mktemp("sources")
    seed(None, 2000, 1, parquet=root / "a")
    seed(None, 3000, 2, parquet=root / "b")
    return {"a": find_sources(root / "a"), "b": find_sources(root / "b")}


def fingerprint_datasets(body: dict) -> tuple:
    return tuple(sorted((t["table"], t["rows"]) for t in body["tables"]))


def fingerprint_kpis(body: dict) -> tuple:
    return tuple(body[k]["value"] for k in ("revenue", "orders", "units", "active_customers"))


def fingerprint_segments(body: dict) -> tuple:
    return tuple((s["segment"], s["customers"], s["revenue"]) for s in body["segments"])


CHECKS = {
    "/api/v1/datasets": ({}, fingerprint_datasets),
    "/api/v1/kpis": ({"start": "2023-01-01", "end": "2025-12-31"}, fingerprint_kpis),
    "/api/v1/segments/rfm": ({}, fingerprint_segments),
}


def test_session_keeps_its_version_across_a_publish(tmp_path, sources):
    db = tmp_path / "shop.duckdb"
    ingest(db, sources["a"])
    engine = DuckDBEngine(db)
    with engine.session() as old:
        before = old.fetch("SELECT count(*) AS n FROM orders")[0]["n"]
        ingest(db, sources["b"])
        # The open session still reads version A from start to end, derived tables included.
        assert old.fetch("SELECT count(*) AS n FROM orders")[0]["n"] == before == 2000
        assert old.fetch("SELECT sum(orders) AS n FROM daily_sales")[0]["n"] == 2000
        with engine.session() as new:
            assert new.fetch("SELECT count(*) AS n FROM orders")[0]["n"] == 3000
    assert engine.reopens == 2


def test_failed_ingest_leaves_no_files_and_the_version_unchanged(tmp_path, sources):
    db = tmp_path / "shop.duckdb"
    ingest(db, sources["a"])
    inode = db.stat().st_ino
    bad = tmp_path / "orders.csv"
    bad.write_text("order_id,order_date\n1,2025-01-01\n")
    with pytest.raises(Exception, match="columns do not match"):
        ingest(db, {"orders": [(bad, "orders.csv")]})
    assert db.stat().st_ino == inode
    assert sorted(p.name for p in tmp_path.iterdir()) == ["orders.csv", "shop.duckdb", "shop.duckdb.lock"]


def test_reads_during_ingests_never_see_a_mix(tmp_path, sources, server_factory):
    db = tmp_path / "shop.duckdb"
    expected: dict[str, set] = {path: set() for path in CHECKS}
    for name in ("b", "a"):  # learn each version's answers, ending on A
        ingest(db, sources[name])
        with make_client(db) as c:
            for path, (params, fp) in CHECKS.items():
                expected[path].add(fp(c.get(path, params=params).json()))
    assert all(len(v) == 2 for v in expected.values())

    server = server_factory(db, workers=2)
    errors: list[str] = []
    seen: dict[str, set] = {path: set() for path in CHECKS}
    reads = [0]
    done = threading.Event()

    def writer():
        try:
            for i in range(PUBLISHES):
                ingest(db, sources["b" if i % 2 == 0 else "a"])
                time.sleep(0.05)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(f"ingest failed: {exc!r}")
        finally:
            done.set()

    def reader():
        with httpx.Client(base_url=server.url, timeout=10) as http:
            deadline = time.monotonic() + 120
            while not done.is_set() and time.monotonic() < deadline:
                for path, (params, fp) in CHECKS.items():
                    response = http.get(path, params=params)
                    if response.status_code != 200:
                        errors.append(f"{path}: {response.status_code} {response.text[:200]}")
                        continue
                    got = fp(response.json())
                    seen[path].add(got)
                    reads[0] += 1
                    if got not in expected[path]:
                        errors.append(f"{path}: a mixed answer {got}")

    threads = [threading.Thread(target=writer)] + [threading.Thread(target=reader) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=180)
    assert not errors, errors[:5]
    assert reads[0] >= 30
    # Both versions were actually served while the ingests ran.
    assert all(len(v) == 2 for v in seen.values()), seen
