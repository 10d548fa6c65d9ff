"""Load CSV or Parquet exports into a new database version, validated row by row.

``ingest(database, {table: [files]}, mode)`` stages every file, checks columns,
types and row rules (reporting the file, row, CSV line and column of each bad
value), merges with the previous version (``append``) or not (``replace``),
rebuilds the derived tables and publishes the version atomically. Any problem
raises ``AppError`` and leaves the published version exactly as it was.
"""

from __future__ import annotations

import csv
import datetime as dt
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from app import metrics
from app.derived import build_derived, write_meta
from app.errors import AppError
from app.schema import SORT_KEYS, TABLES, TEXT_FORMATS, DateBounds, Table, create_table_sql, rules_for
from app.store import StoreError, new_version

MODES = ("replace", "append")
MAX_PROBLEMS = 50
FORMATS = ("csv", "parquet")
MAX_HEADER_CHARS = 65_536  # a header longer than this is not a header (and Python's csv caps fields at 131,072)
EXACT_PARQUET_TYPES = {  # Parquet column types that cast to the declared type without rounding
    "BIGINT": ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER"),
    "INTEGER": ("TINYINT", "SMALLINT", "INTEGER", "UTINYINT", "USMALLINT"),
    "DECIMAL": ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "DECIMAL(18,2)", "DECIMAL(18,1)", "DECIMAL(18,0)"),
}


@dataclass
class IngestResult:
    version: str
    mode: str
    tables: dict[str, int]  # rows loaded per ingested table
    totals: dict[str, int]  # rows per base table in the new version
    seconds: float
    steps: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {
            "version": self.version,
            "mode": self.mode,
            "loaded": self.tables,
            "rows": self.totals,
            "seconds": round(self.seconds, 3),
        }


def detect_format(path: Path, hint: str | None = None) -> str:
    if hint in FORMATS:
        return hint
    name = path.name.lower()
    if name.endswith((".parquet", ".pq")):
        return "parquet"
    if name.endswith((".csv", ".csv.gz")):
        return "csv"
    with open(path, "rb") as handle:
        return "parquet" if handle.read(4) == b"PAR1" else "csv"


def _count(con: duckdb.DuckDBPyConnection, sql: str, params: dict | None = None) -> int:
    row = con.execute(sql, params).fetchone()
    return int(row[0]) if row else 0


def _problem(file: str, message: str, **where) -> dict:
    return {"file": file, **{k: v for k, v in where.items() if v is not None}, "message": message}


def _csv_header(path: Path, label: str) -> list[str]:
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            first = handle.readline(MAX_HEADER_CHARS + 1)
    except UnicodeDecodeError:
        raise AppError(422, "invalid_file", f"{label}: not UTF-8 text: upload CSV (UTF-8) or Parquet") from None
    if len(first) > MAX_HEADER_CHARS:
        raise AppError(
            422,
            "invalid_file",
            f"{label}: line 1 (the header) is longer than {MAX_HEADER_CHARS:,} characters: "
            "upload a CSV whose first line names the columns",
        )
    if not first.strip():
        raise AppError(422, "empty_file", f"{label}: the file is empty or its first line (the header) is blank")
    try:
        header = next(csv.reader([first]))
    except csv.Error as exc:
        raise AppError(422, "invalid_file", f"{label}: line 1 (the header) is not valid CSV: {exc}") from None
    return [h.strip().lower() for h in header]


def _last_byte(path: Path) -> bytes:
    """The file's last byte (of its decompressed text for .gz)."""
    if path.name.lower().endswith(".gz"):
        import gzip

        last = b""
        try:
            with gzip.open(path, "rb") as handle:
                while chunk := handle.read(1 << 20):
                    last = chunk[-1:]
        except (OSError, EOFError):
            return b""  # read_csv reports the broken archive
        return last
    with open(path, "rb") as handle:
        handle.seek(-1, 2)
        return handle.read(1)


def _check_complete(path: Path, label: str, rows: int) -> None:
    """A CSV cut short (an interrupted export or upload) loses its last newline: its last row may hold
    a truncated value that still parses, so the file is refused rather than loaded with it."""
    if _last_byte(path) not in (b"\n", b"\r"):
        raise AppError(
            422,
            "truncated_file",
            f"{label}: the file does not end with a newline, so its last row may be cut short",
            [_problem(label, "no newline after the last row: re-export or re-upload the whole file", line=rows + 1)],
        )


def _stage_raw(con: duckdb.DuckDBPyConnection, table: Table, path: Path, fmt: str, label: str) -> bool:
    """Expose the file as ``raw`` with a 1-based ``_row`` column; return whether it is CSV."""
    con.execute("DROP VIEW IF EXISTS raw")
    con.execute("DROP TABLE IF EXISTS raw_csv")
    if path.stat().st_size == 0:
        raise AppError(422, "empty_file", f"{label}: the file is empty")
    if fmt == "parquet":
        try:
            # A view: Parquet is typed and columnar, so validating and loading read it directly.
            columns = [
                r[0].lower()
                for r in con.execute("DESCRIBE SELECT * FROM read_parquet($path)", {"path": str(path)}).fetchall()
            ]
        except duckdb.Error as exc:
            raise AppError(
                422, "invalid_file", f"{label}: not a readable Parquet file: {_first_line(exc, path, label)}"
            ) from None
        _check_columns(table, columns, label)
        con.execute(
            f"CREATE TEMP VIEW raw AS SELECT *, file_row_number + 1 AS _row "
            f"FROM read_parquet('{_sql_str(path)}', file_row_number = true)"
        )
        return False
    header = _csv_header(path, label)
    dupes = sorted({h for h in header if header.count(h) > 1})
    if dupes:
        raise AppError(422, "invalid_columns", f"{label}: duplicate column(s) in the header: {', '.join(dupes)}")
    _check_columns(table, header, label)
    # Every header name is a declared column now, so it is safe to name it in SQL.
    spec = "{" + ", ".join(f"'{name}': 'VARCHAR'" for name in header) + "}"
    con.execute("DROP TABLE IF EXISTS reject_errors")
    con.execute("DROP TABLE IF EXISTS reject_scans")
    try:
        con.execute(
            "CREATE TEMP TABLE raw_csv AS SELECT * FROM read_csv($path, header = true, "
            f"auto_detect = false, columns = {spec}, delim = ',', quote = '\"', escape = '\"', "
            "store_rejects = true, rejects_table = 'reject_errors', rejects_scan = 'reject_scans')",
            {"path": str(path)},
        )
    except duckdb.Error as exc:
        raise AppError(
            422, "invalid_file", f"{label}: not a readable CSV file: {_first_line(exc, path, label)}"
        ) from None
    # One problem per bad line (a short line is reported once, not once per missing column).
    rejects = con.execute(
        "SELECT line, arg_min(column_name, column_idx), any_value(csv_line), arg_min(error_message, column_idx), "
        "count(*) OVER () FROM reject_errors GROUP BY line ORDER BY line LIMIT $n",
        {"n": MAX_PROBLEMS},
    ).fetchall()
    if rejects:
        problems = [
            _problem(
                label,
                f"malformed CSV row: {msg}",
                line=int(line),
                column=col,
                value=(text or "").rstrip("\r\n")[:200] or None,
            )
            for line, col, text, msg, _ in rejects
        ]
        raise AppError(
            422,
            "invalid_rows",
            f"{label}: {rejects[0][4]} malformed CSV row(s)",
            problems,
            total_problems=int(rejects[0][4]),
        )
    rows = con.execute("SELECT count(*) FROM raw_csv").fetchone()
    _check_complete(path, label, int(rows[0]) if rows else 0)
    # rowid follows insertion order, which is file order (preserve_insertion_order).
    con.execute("CREATE TEMP VIEW raw AS SELECT *, rowid + 1 AS _row FROM raw_csv")
    return True


def _sql_str(path: Path) -> str:
    return str(path).replace("'", "''")


def _check_columns(table: Table, columns: list[str], label: str) -> None:
    expected = table.column_names
    missing = [c for c in expected if c not in columns]
    extra = [c for c in columns if c not in expected]
    problems = [_problem(label, "missing column", column=c) for c in missing]
    problems += [_problem(label, "unexpected column", column=c) for c in extra]
    if problems:
        raise AppError(
            422,
            "invalid_columns",
            f"{label}: columns do not match table {table.name} (expected {', '.join(expected)})",
            problems,
        )


def _text_checks(con: duckdb.DuckDBPyConnection, table: Table) -> dict[str, tuple[str, str]]:
    """Columns of ``raw`` whose text must match a format (``schema.TEXT_FORMATS``): every integer or
    decimal column of a CSV, and those Parquet columns whose type would be rounded by the cast."""
    described = {r[0].lower(): str(r[1]).replace(" ", "") for r in con.execute("DESCRIBE raw").fetchall()}
    checks = {}
    for c in table.columns:
        rule = TEXT_FORMATS.get(c.type)
        source = described.get(c.name, "VARCHAR")
        if rule and (source == "VARCHAR" or source not in EXACT_PARQUET_TYPES[c.type]):
            checks[c.name] = rule
    return checks


def _checked(column: str, regex: str) -> str:
    """``raw.column`` as text, or a query error when it does not match ``regex`` (the insert fails)."""
    text = f'CAST("{column}" AS VARCHAR)'
    return (
        f'CASE WHEN "{column}" IS NULL OR regexp_full_match({text}, \'{regex}\') THEN "{column}" '
        f"ELSE error('bad text in {column}') END"
    )


def _problem_queries(table: Table, rules: list[tuple[str, str, str]], formats: dict[str, tuple[str, str]]) -> list[str]:
    checks = []
    for c in table.columns:
        checks.append(
            f"SELECT _row, '{c.name}' AS col, CAST(\"r_{c.name}\" AS VARCHAR) AS value, "
            f"'not a valid {c.sql_type}' AS message FROM v "
            f'WHERE "r_{c.name}" IS NOT NULL AND "{c.name}" IS NULL'
        )
        if c.name in formats:
            regex, message = formats[c.name]
            checks.append(
                f"SELECT _row, '{c.name}', CAST(\"r_{c.name}\" AS VARCHAR), '{message}' FROM v "
                f'WHERE "r_{c.name}" IS NOT NULL AND NOT regexp_full_match(CAST("r_{c.name}" AS VARCHAR), \'{regex}\')'
            )
        if not c.nullable:
            checks.append(f"SELECT _row, '{c.name}', NULL, 'is required' FROM v WHERE \"r_{c.name}\" IS NULL")
    for column, predicate, message in rules:
        checks.append(
            f"SELECT _row, '{column}', CAST(\"r_{column}\" AS VARCHAR), '{message}' FROM v "
            f'WHERE "{column}" IS NOT NULL AND NOT coalesce({predicate}, true)'
        )
    return checks


def _validate_rows(
    con: duckdb.DuckDBPyConnection, table: Table, label: str, is_csv: bool, rules: list[tuple[str, str, str]]
) -> int:
    """Check types, formats, required values and row rules of ``raw``; return its row count."""
    # Identifiers come from the declared schema, never from the file; values stay in the data.
    casts = ", ".join(
        f'"{c.name}" AS "r_{c.name}", TRY_CAST("{c.name}" AS {c.sql_type}) AS "{c.name}"' for c in table.columns
    )
    checks = _problem_queries(table, rules, _text_checks(con, table))
    found = f"WITH v AS (SELECT _row, {casts} FROM raw) SELECT * FROM ({' UNION ALL '.join(checks)})"
    # Two plain queries, not a count(*) OVER () window: DuckDB 1.5's window operator can fail an
    # internal assertion (and invalidate the database) on an empty partition under parallel scans.
    rows = con.execute(f"{found} ORDER BY _row, col LIMIT {MAX_PROBLEMS}").fetchall()
    if rows:
        counted = con.execute(f"SELECT count(*) FROM ({found})").fetchone()
        problems = [
            _problem(
                label,
                message,
                row=int(row),
                line=int(row) + 1 if is_csv else None,
                column=col,
                value=None if value is None else str(value)[:200],
            )
            for row, col, value, message in rows
        ]
        total = int(counted[0]) if counted else len(rows)
        raise AppError(
            422,
            "invalid_rows",
            f"{label}: {total} invalid value(s) in table {table.name}",
            problems,
            total_problems=total,
        )
    count = con.execute("SELECT count(*) FROM raw").fetchone()
    return int(count[0]) if count else 0


def _load_file(
    con: duckdb.DuckDBPyConnection, table: Table, path: Path, fmt: str, label: str, bounds: DateBounds
) -> int:
    """Insert the file's rows; on any bad value, find and report every problem with its row."""
    is_csv = _stage_raw(con, table, path, fmt, label)
    rules = rules_for(table, bounds)
    formats = _text_checks(con, table)
    select = ", ".join(
        f"CAST({_checked(c.name, formats[c.name][0]) if c.name in formats else chr(34) + c.name + chr(34)} "
        f"AS {c.sql_type})"
        for c in table.columns
    )
    # The happy path reads the file once: the insert itself checks types, formats and required values
    # (a failed statement inserts nothing), one cheap scan checks the row rules, and only bad
    # data pays for the row-by-row report.
    try:
        inserted = con.execute(f"INSERT INTO {table.name} SELECT {select} FROM raw").fetchone()
    except duckdb.Error as exc:
        _validate_rows(con, table, label, is_csv, rules)
        raise AppError(422, "invalid_rows", f"{label}: {_first_line(exc, path, label)}") from None
    rows = int(inserted[0]) if inserted else 0
    where = " AND ".join(f"coalesce({predicate}, true)" for _, predicate, _ in rules)
    broken = con.execute(f"SELECT count(*) FROM {table.name} WHERE NOT ({where})").fetchone() if rules else None
    if broken and broken[0]:
        _validate_rows(con, table, label, is_csv, rules)
    if rows == 0:
        raise AppError(422, "empty_file", f"{label}: the file has a header but no data rows")
    con.execute("DROP VIEW raw")
    if is_csv:
        con.execute("DROP TABLE raw_csv")
    return rows


def _in_order(con: duckdb.DuckDBPyConnection, name: str, columns: list[str], strict: bool) -> bool:
    """Whether the stored rows are already ordered by ``columns`` (a streaming pass, no sort)."""
    lags = ", ".join(f"{c}, lag({c}) OVER () AS prev_{c}" for c in columns)
    # (a, b) > (prev_a, prev_b) lexicographically, spelled out for any number of columns.
    terms = []
    for i, c in enumerate(columns):
        eq = [f"{p} = prev_{p}" for p in columns[:i]]
        last = i == len(columns) - 1
        op = ">" if (strict or not last) else ">="
        terms.append(" AND ".join([*eq, f"{c} {op} prev_{c}"]))
    ok = " OR ".join(f"({t})" for t in terms)
    bad = _count(
        con, f"SELECT count(*) FROM (SELECT {lags} FROM {name}) WHERE prev_{columns[0]} IS NOT NULL AND NOT ({ok})"
    )
    return bad == 0


def _check_keys(con: duckdb.DuckDBPyConnection, table: Table, mode: str) -> None:
    keys = ", ".join(table.primary_key)
    if _in_order(con, table.name, list(table.primary_key), strict=True):
        return  # strictly increasing keys are unique: no hash aggregate over every row
    dupes = con.execute(
        f"SELECT {keys}, count(*) AS n, count(*) OVER () FROM {table.name} GROUP BY {keys} "
        f"HAVING count(*) > 1 ORDER BY {keys} LIMIT {MAX_PROBLEMS}"
    ).fetchall()
    if dupes:
        problems = [{"column": keys, "value": str(r[0]), "message": f"duplicate key ({r[-2]} rows)"} for r in dupes]
        where = "after appending to the current data" if mode == "append" else "in the upload"
        raise AppError(
            422,
            "duplicate_keys",
            f"table {table.name}: {dupes[0][-1]} duplicate {keys} value(s) {where}",
            problems,
            total_problems=int(dupes[0][-1]),
        )


def _sort(con: duckdb.DuckDBPyConnection, table: Table) -> None:
    keys = [k.strip() for k in SORT_KEYS[table.name].split(",")]
    if _in_order(con, table.name, keys, strict=False):
        return
    con.execute(f"CREATE TABLE sorted_{table.name} AS SELECT * FROM {table.name} ORDER BY {', '.join(keys)}")
    con.execute(f"DROP TABLE {table.name}")
    con.execute(f"ALTER TABLE sorted_{table.name} RENAME TO {table.name}")


def ingest(
    database: Path,
    sources: dict[str, list[tuple[Path, str]]],
    mode: str = "replace",
    *,
    source_label: str | None = None,
    threads: int | None = None,
    memory_limit: str | None = None,
    bounds: DateBounds | None = None,
) -> IngestResult:
    """Build and publish a new version from ``sources``: ``{table: [(file, label), ...]}``; dates outside
    ``bounds`` (default ``DateBounds()``: 1990-01-01 to a year from today) are refused. Counted in the
    ingest metrics either way."""
    try:
        result = _ingest(
            database,
            sources,
            mode,
            source_label=source_label,
            threads=threads,
            memory_limit=memory_limit,
            bounds=bounds,
        )
    except AppError as exc:
        metrics.ingest_refused(exc.code, next(iter(sources)) if len(sources) == 1 else None, exc.total_problems)
        raise
    metrics.ingested(result.seconds, result.tables)
    return result


def _ingest(
    database: Path,
    sources: dict[str, list[tuple[Path, str]]],
    mode: str = "replace",
    *,
    source_label: str | None = None,
    threads: int | None = None,
    memory_limit: str | None = None,
    bounds: DateBounds | None = None,
) -> IngestResult:
    bounds = bounds or DateBounds()
    if mode not in MODES:
        raise AppError(422, "invalid_mode", f"mode must be one of {', '.join(MODES)}, not {mode!r}")
    unknown = sorted(set(sources) - set(TABLES))
    if unknown:
        raise AppError(404, "unknown_table", f"unknown table(s) {', '.join(unknown)}: use {', '.join(TABLES)}")
    if not any(sources.values()):
        raise AppError(422, "no_files", "nothing to ingest: no customers, products or orders files")
    started = time.perf_counter()
    started_at = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    loaded: dict[str, int] = {}
    steps: dict[str, float] = {}
    version = uuid.uuid4().hex[:12]
    try:
        with new_version(database, threads=threads, memory_limit=memory_limit) as builder:
            con = builder.con
            previous = builder.has_previous and _has_table(con, "ingest_log")
            for name, table in TABLES.items():
                t0 = time.perf_counter()
                con.execute(create_table_sql(table))
                files = sources.get(name) or []
                if previous and (not files or mode == "append"):
                    con.execute(f"INSERT INTO {name} SELECT {', '.join(table.column_names)} FROM previous.main.{name}")
                if files:
                    loaded[name] = sum(
                        _load_file(con, table, path, detect_format(path), label, bounds) for path, label in files
                    )
                    _check_keys(con, table, mode)
                    _sort(con, table)
                steps[f"load {name}"] = time.perf_counter() - t0
            steps.update(_build_derived(con))
            label = source_label or ", ".join(lbl for files in sources.values() for _, lbl in files)
            write_meta(
                con,
                version,
                previous,
                [
                    {"table": name, "mode": mode, "rows": rows, "source": label, "started_at": started_at}
                    for name, rows in loaded.items()
                ],
            )
            totals = {name: _count(con, f"SELECT count(*) FROM {name}") for name in TABLES}
    except StoreError as exc:
        raise AppError(503, "busy", str(exc)) from None
    except duckdb.OutOfMemoryException as exc:
        raise AppError(507, "out_of_memory", f"ingest ran out of memory: {_first_line(exc)}") from None
    return IngestResult(version, mode, loaded, totals, time.perf_counter() - started, steps)


def _build_derived(con: duckdb.DuckDBPyConnection) -> dict[str, float]:
    try:
        return build_derived(con)
    except (duckdb.ConversionException, duckdb.OutOfRangeException) as exc:
        # Every row fits DECIMAL(18,2) (a row rule); a total over the whole data may still not.
        raise AppError(
            422,
            "out_of_range",
            f"the data's totals do not fit DECIMAL(18,2) (at most 9,999,999,999,999,999.99): {_first_line(exc)}",
        ) from None


def _has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return bool(
        _count(
            con,
            "SELECT count(*) FROM duckdb_tables() WHERE database_name = 'previous' AND table_name = $n",
            {"n": name},
        )
    )


def _first_line(exc: Exception, path: Path | None = None, label: str | None = None) -> str:
    text = str(exc).strip().splitlines()
    line = text[0] if text else type(exc).__name__
    # Uploads are staged under a random name: show the caller's file name instead.
    return line.replace(str(path), label or path.name) if path is not None else line


def find_sources(directory: Path) -> dict[str, list[tuple[Path, str]]]:
    """``DIR/<table>.csv``, ``DIR/<table>-part1.parquet``, ``DIR/<table>/*.csv`` ... per table."""
    if not directory.is_dir():
        raise AppError(404, "no_source", f"source directory {directory} does not exist")
    found: dict[str, list[tuple[Path, str]]] = {}
    for name in TABLES:
        candidates = [*directory.glob(f"{name}*"), *directory.glob(f"{name}/*")]
        files = sorted(
            p for p in candidates if p.is_file() and p.name.lower().endswith((".csv", ".csv.gz", ".parquet", ".pq"))
        )
        if files:
            found[name] = [(p, str(p)) for p in files]
    if not found:
        raise AppError(404, "no_files", f"no customers/products/orders .csv or .parquet files in {directory}")
    return found
