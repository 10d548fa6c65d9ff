"""Building a version honours STACKS_APP_INGEST_MEMORY_LIMIT: the API, the CLI and the seed set it on the
builder's DuckDB connection, and a build far over the limit spills to disk and gives the same data."""

from __future__ import annotations

import io
from pathlib import Path

import duckdb
import pytest

from tests.app.conftest import API_KEY, make_client

ORDERS = "order_id,order_date,customer_id,product_id,quantity,unit_price,status,country\n"


def duckdb_reports(limit: str) -> str:
    """How DuckDB itself shows ``limit`` (it normalises units: '96MB' -> '91.5 MiB')."""
    con = duckdb.connect()
    con.execute(f"SET memory_limit = '{limit}'")
    return con.execute("SELECT current_setting('memory_limit')").fetchone()[0]


@pytest.fixture()
def seen_limits(monkeypatch) -> list[str]:
    """The memory_limit of every connection that builds derived tables (ingest and seed alike)."""
    import app.ingest.load
    import app.seed

    seen: list[str] = []
    real = app.ingest.load.build_derived

    def spy(con):
        seen.append(con.execute("SELECT current_setting('memory_limit')").fetchone()[0])
        return real(con)

    monkeypatch.setattr(app.ingest.load, "build_derived", spy)
    monkeypatch.setattr(app.seed, "build_derived", spy)
    return seen


def test_api_ingest_builds_under_the_ingest_memory_limit(db_copy, seen_limits):
    rows = ORDERS + "900001,2025-12-30,1,1,2,10.00,delivered,US\n"
    with make_client(db_copy, ingest_memory_limit="96MB", memory_limit="64MB") as client:
        response = client.post(
            "/api/v1/ingest/orders",
            params={"mode": "append"},
            headers={"X-API-Key": API_KEY},
            files={"file": ("orders.csv", io.BytesIO(rows.encode()), "text/csv")},
        )
    assert response.status_code == 200, response.text
    assert seen_limits == [duckdb_reports("96MB")]


def test_cli_ingest_and_seed_read_the_setting(tmp_path, db_copy, seen_limits, monkeypatch):
    from app import seed
    from app.ingest import __main__ as ingest
    from app.settings import get_settings

    monkeypatch.setenv("STACKS_APP_INGEST_MEMORY_LIMIT", "80MB")
    monkeypatch.setenv("STACKS_APP_LOG_LEVEL", "warning")
    get_settings.cache_clear()
    try:
        source = tmp_path / "incoming"
        source.mkdir()
        (source / "orders.csv").write_text(ORDERS + "900001,2025-12-30,1,1,2,10.00,delivered,US\n")
        assert ingest.main(["--source", str(source), "--mode", "append", "--database", str(db_copy)]) == 0
        assert seed.main(["--orders", "500", "--seed", "3", "--database", str(tmp_path / "seeded.duckdb")]) == 0
    finally:
        get_settings.cache_clear()
    assert seen_limits == [duckdb_reports("80MB")] * 2


def _tables(path: Path) -> dict[str, list]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        names = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() ORDER BY 1").fetchall()]
        # The version id and build time differ between builds; everything else must not.
        skip = {"dataset_meta": "version, built_at", "ingest_log": "started_at, finished_at"}
        return {
            n: con.execute(
                f"SELECT * EXCLUDE ({skip[n]}) FROM {n} ORDER BY ALL"
                if n in skip
                else f"SELECT * FROM {n} ORDER BY ALL"
            ).fetchall()
            for n in names
        }
    finally:
        con.close()


def test_a_build_far_over_the_limit_spills_and_gives_the_same_data(tmp_path, monkeypatch):
    import app.seed
    from app.seed import seed

    spilled: list[int] = []
    real = app.seed.build_derived

    def spy(con):
        timings = real(con)
        spilled.append(con.execute("SELECT count(*) FROM duckdb_temporary_files()").fetchone()[0])
        return timings

    monkeypatch.setattr(app.seed, "build_derived", spy)
    free, tight = tmp_path / "free" / "shop.duckdb", tmp_path / "tight" / "shop.duckdb"
    seed(free, 100_000, 5)
    seed(tight, 100_000, 5, memory_limit="24MB")
    assert spilled[0] == 0 and spilled[1] > 0  # only the tight build went to disk
    assert _tables(tight) == _tables(free)
    assert [p.name for p in tight.parent.iterdir() if p.name != "shop.duckdb"] in ([], ["shop.duckdb.lock"])
