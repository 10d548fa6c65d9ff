"""Glue (Hive) tables of a lake version: what Athena queries, partition projection for the partitioned one."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from app.errors import AppError
from app.lake.manifest import physical_name

PARQUET_SERDE = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
PARQUET_IN = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"
PARQUET_OUT = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat"
SIMPLE_TYPES = {
    "BIGINT": ("bigint", "INT64"),
    "INTEGER": ("int", "INT64"),
    "SMALLINT": ("smallint", "INT64"),
    "TINYINT": ("tinyint", "INT64"),
    "DOUBLE": ("double", "FLOAT64"),
    "FLOAT": ("float", "FLOAT64"),
    "VARCHAR": ("string", "STRING"),
    "DATE": ("date", "DATE"),
    "TIMESTAMP": ("timestamp", "TIMESTAMP"),
    "BOOLEAN": ("boolean", "BOOL"),
}


def column_type(duckdb_type: str, target: str) -> str:
    """A DuckDB column type as a Glue (Hive) or BigQuery type."""
    index = 0 if target == "glue" else 1
    match = re.fullmatch(r"DECIMAL\((\d+),(\d+)\)", duckdb_type.replace(" ", ""))
    if match:
        return f"decimal({match[1]},{match[2]})" if index == 0 else "NUMERIC"
    try:
        return SIMPLE_TYPES[duckdb_type][index]
    except KeyError:
        raise AppError(500, "catalog", f"no {target} type for DuckDB type {duckdb_type}") from None


def glue_table_input(table: str, entry: Mapping[str, Any], version: str) -> dict:
    """The Glue ``TableInput`` of one published table (partition projection for the partitioned one)."""
    part = entry.get("partition_by")
    columns = [
        {"Name": c, "Type": column_type(t, "glue")}
        for c, t in zip(entry["columns"], entry["types"], strict=True)
        if c != part
    ]
    params = {"classification": "parquet", "EXTERNAL": "TRUE", "parquet.compression": "SNAPPY"}
    keys = []
    if part:
        # The layout's Hive partitions are days: Athena computes them from the path, no crawler.
        keys = [{"Name": part, "Type": "date"}]
        params.update(
            {
                "projection.enabled": "true",
                f"projection.{part}.type": "date",
                f"projection.{part}.format": "yyyy-MM-dd",
                f"projection.{part}.range": "2000-01-01,NOW",
                f"projection.{part}.interval": "1",
                f"projection.{part}.interval.unit": "DAYS",
                "storage.location.template": entry["location"] + part + "=${" + part + "}/",
            }
        )
    return {
        "Name": physical_name(table, version),
        "TableType": "EXTERNAL_TABLE",
        "Description": f"{table}, lake version {version}",
        "Parameters": params,
        "PartitionKeys": keys,
        "StorageDescriptor": {
            "Columns": columns,
            "Location": entry["location"],
            "InputFormat": PARQUET_IN,
            "OutputFormat": PARQUET_OUT,
            "SerdeInfo": {"SerializationLibrary": PARQUET_SERDE, "Parameters": {"serialization.format": "1"}},
        },
    }


def register_glue(manifest: dict, database: str, glue) -> dict:
    """Create the version's tables in the Glue database; returns the manifest's ``catalog.glue``."""
    tables = {}
    for name, entry in manifest["tables"].items():
        table_input = glue_table_input(name, entry, manifest["version"])
        try:
            glue.create_table(DatabaseName=database, TableInput=table_input)
        except glue.exceptions.AlreadyExistsException:
            glue.update_table(DatabaseName=database, TableInput=table_input)  # a re-run of the same version
        tables[name] = table_input["Name"]
    return {"database": database, "tables": tables}
