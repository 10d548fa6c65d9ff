"""One query set: every query, transpiled to Trino and BigQuery, parses there and, transpiled back to
DuckDB, returns the same rows as the original on the test data."""

from __future__ import annotations

import datetime as dt
import itertools
import re
import string

import duckdb
import pytest
import sqlglot
from sqlglot import exp

from app.dialects import PARAM_TYPES, DialectError, compile, trino_literal
from app.queries import QUERIES, WHITELISTS, render

PARAMS = {
    "start": dt.date(2024, 1, 3),
    "end": dt.date(2025, 6, 29),
    "prev_start": dt.date(2022, 7, 10),
    "prev_end": dt.date(2024, 1, 2),
    "cum_start": dt.date(2024, 1, 8),
    "cum_end": dt.date(2025, 6, 23),
    "d1_lo": dt.date(2024, 1, 3),
    "d1_hi": dt.date(2024, 1, 8),
    "d2_lo": dt.date(2025, 6, 23),
    "d2_hi": dt.date(2025, 6, 30),
    "country": None,
    "category": None,
    "segment": None,
    "status": None,
    "statuses": ["delivered", "shipped", "processing"],
    "limit": 20,
    "offset": 10,
    "need": 120,
    "product_id": 3,
    "customer_id": 42,
    "order_id": 1234,
    "min_orders": 2,
    "max_offset": 12,
}
VARIANTS = [PARAMS, {**PARAMS, "country": "US", "category": "Books", "segment": "champions", "status": "shipped"}]
# Functions each target dialect knows, though sqlglot has no typed node for them.
KNOWN = {"trino": set(), "bigquery": set()}


def renderings():
    """Every query with every whitelist choice of its placeholders."""
    for name, template in QUERIES.items():
        fields = sorted({f for _, f, _, _ in string.Formatter().parse(template) if f})
        lists = []
        for f in fields:
            wl = {"sort": "customer_sort" if name.startswith("customer") else "product_sort"}.get(f, f)
            lists.append([f"{wl}:{k}" for k in WHITELISTS[wl]])
        for combo in itertools.product(*lists):
            yield (
                f"{name}[{','.join(c.rpartition(':')[2] for c in combo)}]",
                render(name, **dict(zip(fields, combo, strict=True))),
            )


CASES = list(renderings())


@pytest.fixture(scope="module")
def con(small_db):
    c = duckdb.connect()
    c.execute(f"ATTACH '{small_db}' AS shop (READ_ONLY)")
    c.execute("USE shop")
    yield c
    c.close()


def _rows(con, sql, params):
    return con.execute(sql, params).fetchall()


def test_every_parameter_has_a_declared_type():
    used = {m for sql in QUERIES.values() for m in re.findall(r"\$([a-z_0-9]+)", sql)}
    assert used and used <= set(PARAM_TYPES), used - set(PARAM_TYPES)
    assert set(PARAMS) == set(PARAM_TYPES)


@pytest.mark.parametrize("dialect", ["trino", "bigquery"])
@pytest.mark.parametrize(("case", "sql"), CASES, ids=[c for c, _ in CASES])
def test_transpiled_query_parses_and_round_trips(con, case, sql, dialect):
    compiled = compile(sql, dialect)
    # Parses strictly in the target dialect, and uses no function the dialect does not define.
    tree = sqlglot.parse_one(compiled.sql, read=dialect, error_level=sqlglot.ErrorLevel.RAISE)
    unknown = {f.name.upper() for f in tree.find_all(exp.Anonymous)} - KNOWN[dialect]
    assert not unknown, f"{case}: {dialect} has no {unknown}"
    if dialect == "trino":
        assert "GROUP BY ALL" not in compiled.sql.upper(), "Trino has no GROUP BY ALL"
        assert "$" not in compiled.sql and ":" not in re.sub(r"'[^']*'", "", compiled.sql)
    else:
        assert set(re.findall(r"@([a-z_0-9]+)", compiled.sql)) == set(compiled.names)
    text = compiled.sql
    if dialect == "trino":
        # Name each positional ? after the parameter compile() says it binds, in text order: the round
        # trip then proves the order of the execution parameters as well as the SQL.
        marks = [t for t in sqlglot.Dialect.get_or_raise("trino").tokenize(text) if t.text == "?"]
        assert len(marks) == len(compiled.names)
        for tok, name in reversed(list(zip(marks, compiled.names, strict=True))):
            text = text[: tok.start] + f":{name}" + text[tok.end + 1 :]
    back = sqlglot.transpile(text, read=dialect, write="duckdb")[0]
    for params in VARIANTS:
        names = set(re.findall(r"\$([a-z_0-9]+)", sql))
        used = {k: v for k, v in params.items() if k in names}
        expected = _rows(con, sql, used)
        got = _rows(con, back, {n: params[n] for n in set(compiled.names)})
        assert got == expected, f"{case} via {dialect}:\n{compiled.sql}"


def test_week_buckets_stay_iso_weeks_on_bigquery():
    sql = compile(render("revenue_series", bucket="week"), "bigquery").sql
    assert "ISOWEEK" in sql  # BigQuery's WEEK starts on Sunday; DuckDB's and Trino's on Monday


def test_table_mapping_renames_tables_not_ctes():
    sql = render("top_products", rank="revenue")
    out = compile(sql, "bigquery", (("products", "shop.products_v2"), ("parts", "nope"))).sql
    assert "shop.products_v2" in out and "nope" not in out


def test_trino_literals_are_typed_and_escaped():
    assert trino_literal("country", "O'Brien") == "'O''Brien'"
    assert trino_literal("start", dt.date(2024, 2, 29)) == "DATE '2024-02-29'"
    assert trino_literal("country", None) == "CAST(NULL AS VARCHAR)"
    assert trino_literal("statuses", ["a", "b'"]) == "ARRAY['a', 'b''']"
    assert trino_literal("limit", 5) == "5"
    with pytest.raises(DialectError):
        trino_literal("limit", "5; DROP TABLE orders")
    with pytest.raises(DialectError):
        trino_literal("start", "2024-01-01' OR 1=1 --")
    with pytest.raises(DialectError):
        compile("SELECT $unknown_param", "trino")
