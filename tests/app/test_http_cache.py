"""HTTP behaviour around the answers: the per-version response cache (ETag, 304, gzip), 500s that carry
their request id, and the JSON error for requests uvicorn itself cannot parse."""

from __future__ import annotations

import io
import json
import socket

import httpx

from app.api.deps import get_engine
from tests.app.conftest import API_KEY, make_client

HEADER = "order_id,order_date,customer_id,product_id,quantity,unit_price,status,country\n"


def test_a_repeated_query_is_served_from_the_cache_with_etag_and_304(small_db):
    with make_client(small_db) as client:
        first = client.get("/api/v1/kpis", params={"country": "US"})
        again = client.get("/api/v1/kpis", params={"country": "US"})
        assert (first.headers["x-cache"], again.headers["x-cache"]) == ("miss", "hit")
        assert first.json() == again.json() and first.headers["etag"] == again.headers["etag"]
        assert again.headers["cache-control"] == "public, max-age=0, must-revalidate"
        unchanged = client.get(
            "/api/v1/kpis", params={"country": "US"}, headers={"If-None-Match": first.headers["etag"]}
        )
        assert unchanged.status_code == 304 and unchanged.content == b""
        other = client.get("/api/v1/kpis", params={"country": "DE"})
        assert other.headers["x-cache"] == "miss" and other.headers["etag"] != first.headers["etag"]


def test_large_answers_are_gzipped_for_clients_that_accept_it(small_db):
    with make_client(small_db) as client:
        plain = client.get("/api/v1/customers", params={"page_size": 200}, headers={"Accept-Encoding": "identity"})
        assert "content-encoding" not in plain.headers
        zipped = client.get("/api/v1/customers", params={"page_size": 200}, headers={"Accept-Encoding": "gzip"})
        assert zipped.headers["content-encoding"] == "gzip" and zipped.headers["vary"] == "Accept-Encoding"
        assert int(zipped.headers["content-length"]) < len(plain.content) / 3  # the bytes sent
        assert zipped.json() == plain.json()  # httpx decompressed them


def test_a_publish_is_seen_at_once_despite_the_cache(db_copy):
    with make_client(db_copy) as client:
        before = client.get("/api/v1/orders/900001")
        assert before.status_code == 404
        total = client.get("/api/v1/datasets").json()
        assert client.get("/api/v1/datasets").headers["x-cache"] == "hit"
        upload = client.post(
            "/api/v1/ingest/orders",
            params={"mode": "append"},
            headers={"X-API-Key": API_KEY},
            files={"file": ("new.csv", io.BytesIO((HEADER + "900001,2025-06-01,1,1,2,10.00,delivered,US\n").encode()))},
        )
        assert upload.status_code == 200, upload.text
        after = client.get("/api/v1/datasets")
        assert after.headers["x-cache"] == "miss" and after.json()["version"] != total["version"]
        assert client.get("/api/v1/orders/900001").status_code == 200


def test_without_the_cache_every_request_reaches_the_engine(small_db):
    with make_client(small_db, response_cache_bytes=0) as client:
        answer = client.get("/api/v1/kpis")
        assert answer.status_code == 200 and "etag" not in answer.headers and "x-cache" not in answer.headers


class Broken:
    name = "broken"

    def session(self):
        raise RuntimeError("the disk caught fire")

    def ready(self):
        return True, "v"

    def data_version(self):
        return None


def test_a_500_carries_the_request_id_in_body_header_and_log(small_db, caplog):
    with make_client(small_db) as client:
        client.app.dependency_overrides[get_engine] = Broken
        response = client.get("/api/v1/kpis", headers={"X-Request-ID": "trace-42"})
        assert response.status_code == 500
        assert response.headers["x-request-id"] == "trace-42"
        assert response.json() == {
            "error": "internal",
            "message": "internal error (request id trace-42)",
            "request_id": "trace-42",
        }
        generated = client.get("/api/v1/kpis")
        rid = generated.headers["x-request-id"]
        assert len(rid) == 32 and generated.json()["request_id"] == rid


def test_an_unparsable_request_line_gets_the_json_error(small_db, server_factory):
    server = server_factory(small_db, workers=1)
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as conn:
        conn.sendall(b"GET /api/v1/kpis?x=" + b"a" * 200_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
        raw = b""
        while chunk := conn.recv(65536):
            raw += chunk
    head, _, body = raw.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400 ")
    assert b"content-type: application/json" in head.lower()
    answer = json.loads(body)
    assert answer["error"] == "bad_request" and "64 KiB" in answer["message"]
    assert f"x-request-id: {answer['request_id']}".encode() in head
    with httpx.Client(base_url=server.url, timeout=10) as http:  # the server is fine afterwards
        assert http.get("/health").status_code == 200
