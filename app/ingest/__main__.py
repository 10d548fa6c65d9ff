"""``python -m app.ingest --source DIR|s3://...|gs://... [--mode replace|append] [--json]``.

A directory: loads ``DIR/<table>*.csv`` / ``*.parquet`` for each of customers, products, orders into
the local database (``STACKS_APP_DATABASE``). A bucket prefix: runs the lake's ingest job.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from app.errors import AppError
from app.ingest.load import MODES, find_sources, ingest
from app.lake.job import ingest as lake_ingest
from app.settings import get_settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app.ingest", description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument(
        "--source",
        required=True,
        help="directory with <table>.csv/.parquet files, or s3://bucket/prefix/ | gs://... to ingest into the lake",
    )
    parser.add_argument("--mode", choices=MODES, default="replace")
    parser.add_argument("--database", type=Path, help="default: STACKS_APP_DATABASE")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args(argv)
    settings = get_settings()
    if args.source.startswith(("s3://", "gs://")):
        # Objects in the lake bucket: the cloud ingest job (app.lake) builds and publishes a lake version.
        if not settings.lake_uri:
            print("error: ingesting from a bucket needs STACKS_APP_LAKE_URI", file=sys.stderr)
            return 1
        try:
            out = lake_ingest(args.source, args.mode, settings)
        except AppError as exc:
            if exc.code == "no_files":
                return _nothing_to_ingest(exc, args.json)
            print(
                json.dumps({"ok": False, **exc.to_dict()}) if args.json else f"error: {exc.format()}",
                file=sys.stdout if args.json else sys.stderr,
            )
            return 1
        print(json.dumps({"ok": True, "lake": settings.lake_uri, **out}, default=str))
        return 0
    args.source = Path(args.source)
    database = (args.database or settings.database_path).absolute()
    try:
        result = ingest(
            database,
            find_sources(args.source),
            args.mode,
            source_label=str(args.source),
            threads=settings.threads,
            memory_limit=settings.ingest_memory_limit,
            bounds=settings.date_bounds,
        )
    except AppError as exc:
        if exc.code == "no_files":
            return _nothing_to_ingest(exc, args.json)
        if args.json:
            print(json.dumps({"ok": False, **exc.to_dict()}))
        else:
            print(f"error: {exc.format()}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps({"ok": True, "database": str(database), **result.to_dict()}))
    else:
        loaded = ", ".join(f"{n} {r:,} rows" for n, r in result.tables.items())
        print(f"ingested {loaded} ({result.mode}) into {database} in {result.seconds:.1f} s")
    return 0


def _nothing_to_ingest(exc: AppError, as_json: bool) -> int:
    # An empty drop is the normal case for a scheduled run (GCP polls every 15 minutes): success, not failure.
    message = f"nothing to ingest: {exc.message}"
    print(json.dumps({"ok": True, "ingested": False, "message": message}) if as_json else message)
    return 0


if __name__ == "__main__":
    sys.exit(main())
