"""Query engines: the local DuckDB file, the lake, Athena and BigQuery behind one ``Engine`` protocol."""
