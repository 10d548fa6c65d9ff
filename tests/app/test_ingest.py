"""Ingest through the API and the CLI: good uploads publish a new version, bad ones change nothing."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from tests.app.conftest import API_KEY, make_client

KEY = {"X-API-Key": API_KEY}
ORDERS_HEADER = "order_id,order_date,customer_id,product_id,quantity,unit_price,status,country\n"


@pytest.fixture()
def writable(db_copy):
    with make_client(db_copy) as c:
        yield c


def snapshot(client) -> tuple:
    body = client.get("/api/v1/datasets").json()
    kpis = client.get("/api/v1/kpis", params={"start": "2023-01-01", "end": "2025-12-31"}).json()
    return body["version"], {t["table"]: t["rows"] for t in body["tables"]}, kpis["revenue"]["value"]


def upload(client, table: str, content: bytes, name: str = "upload.csv", mode: str = "replace", headers=KEY):
    return client.post(
        f"/api/v1/ingest/{table}",
        params={"mode": mode},
        headers=headers,
        files={"file": (name, io.BytesIO(content), "application/octet-stream")},
    )


BAD_UPLOADS = {
    "corrupt CSV": (
        ORDERS_HEADER + "900001,2025-01-02,1,1,1,9.99,delivered,US\n"
        '900002,2025-01-02,1,1\n900003,"2025-01-03,1,1,1,9.99,delivered,US\n',
        [{"line": 3}],
    ),
    "wrong types": (
        ORDERS_HEADER + "900001,2025-01-02,1,1,1,9.99,delivered,US\n"
        "900002,not-a-date,1,1,1,9.99,delivered,US\n900003,2025-01-03,1,1,many,9.99,delivered,US\n",
        [
            {"row": 2, "line": 3, "column": "order_date", "value": "not-a-date"},
            {"row": 3, "line": 4, "column": "quantity", "value": "many"},
        ],
    ),
    "rule violations": (
        ORDERS_HEADER + "900001,2025-01-02,1,1,0,9.99,lost,US\n900002,2025-01-02,,1,1,9.99,delivered,US\n",
        [
            {"row": 1, "column": "quantity"},
            {"row": 1, "column": "status"},
            {"row": 2, "column": "customer_id", "message": "is required"},
        ],
    ),
    "missing columns": (
        "order_id,order_date,customer_id\n1,2025-01-01,1\n",
        [{"column": "product_id", "message": "missing column"}],
    ),
    "unexpected column": (
        ORDERS_HEADER.strip() + ",coupon\n1,2025-01-01,1,1,1,1.00,delivered,US,X\n",
        [{"column": "coupon", "message": "unexpected column"}],
    ),
    "empty file": ("", []),
    "header only": (ORDERS_HEADER, []),
    "duplicate keys": (
        ORDERS_HEADER + "7,2025-01-02,1,1,1,9.99,delivered,US\n7,2025-01-03,1,1,1,9.99,delivered,US\n",
        [{"column": "order_id", "value": "7"}],
    ),
    "not parquet": ("PAR1 this is not parquet", []),
}


@pytest.mark.parametrize("case", sorted(BAD_UPLOADS))
def test_bad_upload_is_rejected_with_detail_and_changes_nothing(writable, case):
    content, expected = BAD_UPLOADS[case]
    before = snapshot(writable)
    name = "orders.parquet" if case == "not parquet" else "orders.csv"
    response = upload(writable, "orders", content.encode(), name=name)
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["error"] and body["message"]
    for want in expected:
        assert any(all(p.get(k) == v for k, v in want.items()) for p in body["problems"]), (want, body)
    assert snapshot(writable) == before
    uploads = writable.app.state.settings.database_path.parent / ".uploads"
    assert list(uploads.iterdir()) == []  # the streamed upload was removed


def test_append_duplicates_against_existing_rows(writable):
    before = snapshot(writable)
    response = upload(
        writable, "orders", (ORDERS_HEADER + "1,2025-01-02,1,1,1,9.99,delivered,US\n").encode(), mode="append"
    )
    assert response.status_code == 422 and response.json()["error"] == "duplicate_keys"
    assert "after appending" in response.json()["message"]
    assert snapshot(writable) == before


def test_upload_over_the_limit_is_413(db_copy):
    with make_client(db_copy, max_upload_bytes=1000) as small:
        before = snapshot(small)
        response = upload(small, "orders", (ORDERS_HEADER + "1,2025-01-02,1,1,1,9.99,delivered,US\n" * 100).encode())
        assert response.status_code == 413 and response.json()["error"] == "too_large"
        assert snapshot(small) == before


def test_writes_need_the_key_and_a_writable_server(writable, db_copy):
    content = (ORDERS_HEADER + "1,2025-01-02,1,1,1,9.99,delivered,US\n").encode()
    assert upload(writable, "orders", content, headers={}).status_code == 401
    assert upload(writable, "orders", content, headers={"X-API-Key": "wrong"}).status_code == 401
    with make_client(db_copy, read_only=True) as ro:
        assert upload(ro, "orders", content).status_code == 403
    with make_client(db_copy, api_key=None) as open_server:  # no key: only loopback clients may write
        assert upload(open_server, "orders", content, headers={}).status_code == 401
    assert upload(writable, "nope", content).status_code == 422


def test_append_and_replace_publish_new_versions(writable, sql):
    version, rows, revenue = snapshot(writable)
    extra = ORDERS_HEADER + "900001,2025-12-30,1,1,2,10.00,delivered,US\n900002,2025-12-31,2,1,1,5.50,shipped,GB\n"
    response = upload(writable, "orders", extra.encode(), mode="append")
    assert response.status_code == 200, response.text
    assert response.json()["loaded"] == {"orders": 2}
    version2, rows2, revenue2 = snapshot(writable)
    assert version2 != version and rows2["orders"] == rows["orders"] + 2
    assert revenue2 == pytest.approx(revenue + 25.5)
    # Replace customers with a Parquet file: orders are kept, the summary follows the new customers.
    parquet = Path(writable.app.state.settings.database_path).parent / "customers.parquet"
    duckdb.sql(
        f"COPY (SELECT * FROM (VALUES (1::BIGINT, 'A', 'a@x', 'US', DATE '2023-01-01'), "
        f"(2, 'B', 'b@x', 'GB', DATE '2023-01-02')) t(customer_id, name, email, country, signup_date)) "
        f"TO '{parquet}' (FORMAT parquet)"
    )
    response = upload(writable, "customers", parquet.read_bytes(), name="customers.parquet")
    assert response.status_code == 200, response.text
    _, rows3, _ = snapshot(writable)
    assert rows3["customers"] == 2 and rows3["orders"] == rows2["orders"]
    log = writable.get("/api/v1/ingests", params={"page_size": 2}).json()["items"]
    assert [(e["table"], e["mode"], e["rows"]) for e in log] == [("customers", "replace", 2), ("orders", "append", 2)]


def test_cli_ingest_and_its_errors(tmp_path, db_copy):
    source = tmp_path / "incoming"
    source.mkdir()
    (source / "orders.csv").write_text(ORDERS_HEADER + "1,2025-01-02,1,1,x,9.99,delivered,US\n")
    env_cmd = [sys.executable, "-m", "app.ingest", "--source", str(source), "--database", str(db_copy), "--json"]
    before = db_copy.stat().st_ino
    bad = subprocess.run(env_cmd, capture_output=True, text=True, cwd=Path(__file__).resolve().parents[2])
    assert bad.returncode == 1 and "Traceback" not in bad.stderr
    assert json.loads(bad.stdout)["problems"][0]["column"] == "quantity"
    assert db_copy.stat().st_ino == before  # the published file was not touched
    (source / "orders.csv").write_text(ORDERS_HEADER + "1,2025-01-02,1,1,3,9.99,delivered,US\n")
    good = subprocess.run(env_cmd, capture_output=True, text=True, cwd=Path(__file__).resolve().parents[2])
    assert good.returncode == 0, good.stderr
    assert json.loads(good.stdout)["rows"]["orders"] == 1
    assert db_copy.stat().st_ino != before
    leftovers = [p.name for p in db_copy.parent.iterdir() if p.name.endswith((".building", ".wal"))]
    assert leftovers == []


def test_cli_ingest_of_an_empty_drop_is_nothing_to_ingest_not_a_failure(tmp_path, db_copy):
    """A scheduled run over an empty drop directory exits 0 and says so (GCP polls every 15 minutes)."""
    source = tmp_path / "incoming"
    source.mkdir()
    cmd = [sys.executable, "-m", "app.ingest", "--source", str(source), "--database", str(db_copy)]
    before = db_copy.stat().st_ino
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=root, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("nothing to ingest") and "Traceback" not in done.stderr
    as_json = subprocess.run([*cmd, "--json"], capture_output=True, text=True, cwd=root, check=False)
    assert as_json.returncode == 0 and json.loads(as_json.stdout) == {
        "ok": True,
        "ingested": False,
        "message": f"nothing to ingest: no customers/products/orders .csv or .parquet files in {source}",
    }
    assert db_copy.stat().st_ino == before  # nothing published
