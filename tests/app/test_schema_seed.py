"""The app's declared schema matches stacks.yaml; the generator is deterministic and realistic."""

from __future__ import annotations

import hashlib

import duckdb
import pytest

from app.schema import SQL_TYPES, TABLES
from app.seed import seed


def test_declared_tables_equal_the_warehouse_tables_in_stacks_yaml(project):
    warehouse = project.model.components["warehouse"]
    declared = {
        t.name: ([(c.name, c.type, c.nullable) for c in t.columns], list(t.primary_key)) for t in TABLES.values()
    }
    in_yaml = {
        t.name: ([(c.name, c.type, c.nullable) for c in t.columns], list(t.primary_key)) for t in warehouse.tables
    }
    assert declared == in_yaml
    assert SQL_TYPES == {"DECIMAL": "DECIMAL(18,2)"}


def test_stored_column_types_match_the_declaration(small_db):
    con = duckdb.connect(str(small_db), read_only=True)
    for table in TABLES.values():
        stored = con.execute(
            "SELECT column_name, data_type, is_nullable FROM information_schema.columns "
            "WHERE table_name = $t ORDER BY ordinal_position",
            {"t": table.name},
        ).fetchall()
        assert stored == [(c.name, c.sql_type, "YES" if c.nullable else "NO") for c in table.columns]
    con.close()


def digest(directory) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(directory.iterdir())}


def test_same_seed_same_bytes_whatever_the_thread_count(tmp_path):
    seed(None, 20_000, 5, parquet=tmp_path / "one", threads=1)
    seed(None, 20_000, 5, parquet=tmp_path / "two", threads=2)
    seed(None, 20_000, 6, parquet=tmp_path / "other", threads=2)
    assert digest(tmp_path / "one") == digest(tmp_path / "two")
    assert digest(tmp_path / "one")["orders.parquet"] != digest(tmp_path / "other")["orders.parquet"]


def test_the_data_is_skewed_growing_and_has_every_status(small_db):
    con = duckdb.connect(str(small_db), read_only=True)
    per_year = dict(con.execute("SELECT year(order_date), count(*) FROM orders GROUP BY 1").fetchall())
    assert per_year[2023] < per_year[2024] < per_year[2025]
    statuses = dict(con.execute("SELECT status, count(*) FROM orders GROUP BY 1").fetchall())
    assert set(statuses) == {"delivered", "shipped", "processing", "cancelled", "returned"}
    # The top 5% of customers place far more than 5% of the orders; the top product leads clearly.
    top_share = con.execute("""
        SELECT sum(n) / (SELECT count(*) FROM orders) FROM (
            SELECT count(*) AS n FROM orders GROUP BY customer_id ORDER BY n DESC
            LIMIT (SELECT count(*) // 20 FROM customers))""").fetchone()[0]
    assert top_share > 0.25
    products = [r[0] for r in con.execute("SELECT count(*) FROM orders GROUP BY product_id ORDER BY 1 DESC").fetchall()]
    assert products[0] > 3 * products[len(products) // 2]
    # Every order is placed on or after its customer's signup and in the customer's country.
    assert (
        con.execute(
            "SELECT count(*) FROM orders o JOIN customers c USING (customer_id) "
            "WHERE o.order_date < c.signup_date OR o.country <> c.country"
        ).fetchone()[0]
        == 0
    )
    con.close()


def test_seed_rejects_bad_sizes(tmp_path):
    with pytest.raises(ValueError, match="--orders"):
        seed(tmp_path / "x.duckdb", 0, 1)
