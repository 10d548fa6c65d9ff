"""The app's one query set in each engine's dialect: sqlglot transpilation plus safe parameter binding.

``app.queries`` is written once, in DuckDB SQL with named ``$parameters``. ``compile(sql, dialect)``
turns a rendered query into the target dialect:

- ``duckdb``: unchanged, ``$name`` bound by DuckDB.
- ``trino`` (Athena engine version 3): placeholders become positional ``?`` and the values travel as
  Athena ``ExecutionParameters`` (typed SQL literals built here from Python values, never from SQL text).
- ``bigquery``: placeholders become ``@name`` query parameters with declared types (``PARAM_TYPES``),
  so a NULL filter still has a type.

Logical table names can be mapped to physical ones (the versioned tables a lake manifest publishes);
the mapping is applied to the syntax tree, not to the text.
"""

from __future__ import annotations

import datetime as dt
import decimal
import functools
import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# Every parameter any query uses and its type: BigQuery needs a type for NULL values and Athena
# literals are typed from it. A test checks every $name in app.queries is declared here.
PARAM_TYPES: dict[str, str] = {
    "start": "DATE",
    "end": "DATE",
    "prev_start": "DATE",
    "prev_end": "DATE",
    "cum_start": "DATE",
    "cum_end": "DATE",
    "d1_lo": "DATE",
    "d1_hi": "DATE",
    "d2_lo": "DATE",
    "d2_hi": "DATE",
    "country": "STRING",
    "category": "STRING",
    "segment": "STRING",
    "status": "STRING",
    "statuses": "ARRAY<STRING>",
    "limit": "INT64",
    "offset": "INT64",
    "need": "INT64",
    "product_id": "INT64",
    "customer_id": "INT64",
    "order_id": "INT64",
    "min_orders": "INT64",
    "max_offset": "INT64",
}

TRINO_TYPES = {"DATE": "DATE", "STRING": "VARCHAR", "INT64": "BIGINT"}


class DialectError(Exception):
    """A query or a parameter value the target dialect cannot take."""


@dataclass(frozen=True)
class Compiled:
    """A query in one dialect: its text and the parameter names in the order the text uses them."""

    sql: str
    names: tuple[str, ...]


@functools.cache
def compile(sql: str, dialect: str, tables: tuple[tuple[str, str], ...] = ()) -> Compiled:
    """``sql`` (DuckDB, ``$name`` placeholders) in ``dialect``; ``tables`` maps logical to physical names."""
    import sqlglot
    from sqlglot import exp

    if dialect == "duckdb" and not tables:
        return Compiled(sql, ())
    tree = sqlglot.parse_one(sql, read="duckdb")
    mapping = dict(tables)
    ctes = {cte.alias_or_name for cte in tree.find_all(exp.CTE)}
    for node in list(tree.walk()):
        if isinstance(node, exp.Table) and node.name in mapping and node.name not in ctes:
            physical = exp.to_table(mapping[node.name], dialect=dialect)
            node.set("this", physical.this)
            node.set("db", physical.args.get("db"))
            node.set("catalog", physical.args.get("catalog"))
        elif isinstance(node, exp.Placeholder) and node.name not in PARAM_TYPES:
            raise DialectError(f"parameter ${node.name} has no declared type in app.dialects.PARAM_TYPES")
    if dialect == "bigquery":
        # DuckDB's and Trino's 'week' starts on Monday (ISO); BigQuery's WEEK starts on Sunday.
        for node in list(tree.find_all(exp.DateTrunc, exp.TimestampTrunc)):
            if node.text("unit").upper() == "WEEK":
                node.replace(exp.DateTrunc(this=node.this, unit=exp.var("ISOWEEK")))
    text = tree.sql(dialect=dialect, unsupported_level=sqlglot.ErrorLevel.RAISE)
    if dialect != "trino":
        names = tuple(dict.fromkeys(n.name for n in tree.find_all(exp.Placeholder)))
        return Compiled(text, names)
    # Athena binds positionally: each named placeholder, in the order the generated text holds them,
    # becomes one ``?`` (found with Trino's own tokenizer, so a ':' inside a string literal is left alone).
    tokens = sqlglot.Dialect.get_or_raise("trino").tokenize(text)
    out: list[str] = []
    positional: list[str] = []
    pos = 0
    for colon, var in itertools.pairwise(tokens):
        if (
            colon.token_type == sqlglot.TokenType.COLON
            and var.start == colon.end + 1
            and colon.start >= pos
            and var.text in PARAM_TYPES
        ):
            out.append(text[pos : colon.start])
            out.append("?")
            positional.append(var.text)
            pos = var.end + 1
    out.append(text[pos:])
    return Compiled("".join(out), tuple(positional))


def trino_literal(name: str, value: Any) -> str:
    """One Athena execution parameter: a typed SQL literal of ``value`` (the declared type of ``name``)."""
    kind = PARAM_TYPES[name]
    if value is None:
        if kind.startswith("ARRAY"):
            return "CAST(NULL AS ARRAY(VARCHAR))"
        return f"CAST(NULL AS {TRINO_TYPES[kind]})"
    if kind == "DATE":
        if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
            raise DialectError(f"${name} must be a date, not {type(value).__name__}")
        return f"DATE '{value.isoformat()}'"
    if kind == "INT64":
        if isinstance(value, bool) or not isinstance(value, int):
            raise DialectError(f"${name} must be an integer, not {type(value).__name__}")
        return str(int(value))
    if kind == "STRING":
        return _trino_string(name, value)
    if kind == "ARRAY<STRING>":
        return "ARRAY[" + ", ".join(_trino_string(name, v) for v in value) + "]"
    raise DialectError(f"${name}: no literal for type {kind}")  # pragma: no cover - PARAM_TYPES is closed


def _trino_string(name: str, value: Any) -> str:
    if not isinstance(value, str):
        raise DialectError(f"${name} must be a string, not {type(value).__name__}")
    return "'" + value.replace("'", "''") + "'"


def trino_parameters(compiled: Compiled, params: Mapping[str, Any] | None) -> list[str]:
    """The ``ExecutionParameters`` for ``compiled``, one per ``?`` in text order."""
    params = params or {}
    return [trino_literal(n, params.get(n)) for n in compiled.names]


def bigquery_parameters(compiled: Compiled, params: Mapping[str, Any] | None) -> list:
    """``google.cloud.bigquery`` query parameters for ``compiled``, typed from ``PARAM_TYPES``."""
    from google.cloud import bigquery

    params = params or {}
    out: list[bigquery.ScalarQueryParameter | bigquery.ArrayQueryParameter] = []
    for name in dict.fromkeys(compiled.names):
        kind, value = PARAM_TYPES[name], params.get(name)
        if kind.startswith("ARRAY<"):
            out.append(bigquery.ArrayQueryParameter(name, kind[6:-1], list(value or ())))
        else:
            if isinstance(value, decimal.Decimal):
                value = float(value)
            out.append(bigquery.ScalarQueryParameter(name, kind, value))
    return out
