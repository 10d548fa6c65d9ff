"""Hostile data: every refused ingest answers 422 (HTTP) or exits 1 (CLI) with a located message, in
seconds, and changes nothing - row counts, revenue and the published version are identical after."""

from __future__ import annotations

import io
from pathlib import Path

import duckdb
import pytest

from app.ingest import __main__ as ingest_cli
from tests.app.conftest import API_KEY, make_client

HEADER = "order_id,order_date,customer_id,product_id,quantity,unit_price,status,country\n"
GOOD = "900001,2025-06-01,1,1,2,10.00,delivered,US\n"


def orders(*rows: str) -> bytes:
    return (HEADER + GOOD + "".join(rows)).encode()


# name -> (file bytes, the table, what the error must say, the problem's column or None)
CASES: dict[str, tuple[bytes, str, str, str | None]] = {
    "year 10000": (orders("900002,10000-01-01,1,1,1,10.00,delivered,US\n"), "orders", "must be between", "order_date"),
    "a BC date": (
        orders("900002,0044-03-15 (BC),1,1,1,10.00,delivered,US\n"),
        "orders",
        "must be between",
        "order_date",
    ),
    "year 2999": (orders("900002,2999-06-01,1,1,1,10.00,delivered,US\n"), "orders", "must be between", "order_date"),
    "1989": (orders("900002,1989-12-31,1,1,1,10.00,delivered,US\n"), "orders", "must be between", "order_date"),
    "amount overflows DECIMAL(18,2)": (
        orders("900002,2025-06-01,1,1,2000000000,99999999999.99,delivered,US\n"),
        "orders",
        "must not exceed",
        "unit_price",
    ),
    "totals overflow DECIMAL(18,2)": (
        orders(*(f"90001{i},2025-06-01,1,1,1000,9999999999999.99,delivered,US\n" for i in range(3))),
        "orders",
        "DECIMAL(18,2)",
        None,
    ),
    "header over 131,072 characters": (("x" * 140_000 + "\n" + GOOD).encode(), "orders", "longer than", None),
    "fractional quantity": (
        orders("900002,2025-06-01,1,1,2.7,10.00,delivered,US\n"),
        "orders",
        "whole number",
        "quantity",
    ),
    "fractional id": (orders("8000001.4,2025-06-01,1,1,1,10.00,delivered,US\n"), "orders", "whole number", "order_id"),
    "exponent id": (orders("900002,2025-06-01,1e2,1,1,10.00,delivered,US\n"), "orders", "whole number", "customer_id"),
    "three-decimal price": (
        orders("900002,2025-06-01,1,1,1,10.005,delivered,US\n"),
        "orders",
        "at most 2 decimals",
        "unit_price",
    ),
    "truncated last field": (
        orders("900002,2025-06-01,1,1,1,10.00,delivered,U"),
        "orders",
        "does not end with a newline",
        None,
    ),
    "no trailing newline": ((HEADER + GOOD.rstrip("\n")).encode(), "orders", "does not end with a newline", None),
    "over-long name": (
        f"customer_id,name,email,country,signup_date\n900001,{'n' * 5000},a@b.c,US,2025-01-01\n".encode(),
        "customers",
        "longer than 200 characters",
        "name",
    ),
    "over-long country": (
        orders("900002,2025-06-01,1,1,1,10.00,delivered," + "U" * 100 + "\n"),
        "orders",
        "longer than",
        "country",
    ),
}


def state(database: Path) -> tuple:
    """What must not change: the file, the row count of every table and the revenue."""
    con = duckdb.connect(str(database), read_only=True)
    try:
        counts = tuple(
            con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
            for t in ("customers", "products", "orders", "daily_sales", "customer_summary", "cohorts")
        )
        revenue = con.execute("SELECT sum(quantity * unit_price) FROM orders").fetchone()[0]
        version = con.execute("SELECT version FROM dataset_meta").fetchone()[0]
    finally:
        con.close()
    return version, counts, revenue


@pytest.mark.parametrize("case", list(CASES))
def test_http_refuses_with_422_and_changes_nothing(db_copy, case):
    content, table, message, column = CASES[case]
    before = state(db_copy)
    with make_client(db_copy) as client:
        response = client.post(
            f"/api/v1/ingest/{table}",
            params={"mode": "append"},
            headers={"X-API-Key": API_KEY},
            files={"file": ("hostile.csv", io.BytesIO(content), "text/csv")},
        )
        assert response.status_code == 422, response.text
        body = response.json()
        text = body["message"] + " ".join(p["message"] for p in body.get("problems", []))
        assert message in text
        if column is not None:
            assert column in {p.get("column") for p in body["problems"]}
            assert all(p["file"] == "hostile.csv" for p in body["problems"])
        assert client.get("/ready").status_code == 200
    assert state(db_copy) == before


@pytest.mark.parametrize("case", list(CASES))
def test_cli_exits_1_and_changes_nothing(db_copy, tmp_path, case, capsys):
    content, table, message, column = CASES[case]
    before = state(db_copy)
    source = tmp_path / "incoming"
    source.mkdir()
    (source / f"{table}.csv").write_bytes(content)
    code = ingest_cli.main(["--source", str(source), "--mode", "append", "--database", str(db_copy)])
    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith("error: ") and message in err and "Traceback" not in err
    if column is not None:
        assert f"column {column}" in err and str(source / f"{table}.csv") in err
    assert state(db_copy) == before


def test_the_date_bounds_are_settings(db_copy):
    before = state(db_copy)
    content = orders("900002,2005-06-01,1,1,1,10.00,delivered,US\n")
    with make_client(db_copy, min_date="2010-01-01") as client:
        response = client.post(
            "/api/v1/ingest/orders",
            params={"mode": "append"},
            headers={"X-API-Key": API_KEY},
            files={"file": ("old.csv", io.BytesIO(content), "text/csv")},
        )
    assert response.status_code == 422 and "between 2010-01-01" in response.text
    assert state(db_copy) == before
    with make_client(db_copy) as client:  # the default floor, 1990-01-01, takes it
        response = client.post(
            "/api/v1/ingest/orders",
            params={"mode": "append"},
            headers={"X-API-Key": API_KEY},
            files={"file": ("old.csv", io.BytesIO(content), "text/csv")},
        )
    assert response.status_code == 200, response.text
    assert state(db_copy)[1][2] == before[1][2] + 2


def test_exact_values_in_every_accepted_form_still_load(db_copy):
    """The format checks refuse rounding, not ordinary spellings: signs, spaces, 1 or 2 decimals."""
    content = orders(
        "900002,2025-06-01,+1, 1 ,3,10.5,shipped,US\n",
        "900003,2025-06-01,1,1,1,.25,processing,\n",
        "900004,2025-06-01,1,1,1,7,returned,DE\n",
    )
    with make_client(db_copy) as client:
        response = client.post(
            "/api/v1/ingest/orders",
            params={"mode": "append"},
            headers={"X-API-Key": API_KEY},
            files={"file": ("ok.csv", io.BytesIO(content), "text/csv")},
        )
    assert response.status_code == 200, response.text
    con = duckdb.connect(str(db_copy), read_only=True)
    rows = con.execute("SELECT order_id, unit_price FROM orders WHERE order_id >= 900001 ORDER BY 1").fetchall()
    con.close()
    assert [(i, float(p)) for i, p in rows] == [(900001, 10.0), (900002, 10.5), (900003, 0.25), (900004, 7.0)]
