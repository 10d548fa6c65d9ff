"""``python -m app.lake publish|ingest``: publish a local database to the lake, or run the ingest job."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from app.catalog.views import point_views
from app.errors import AppError
from app.lake.job import ingest, publish_database
from app.settings import get_settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app.lake", description="Publish to / ingest into the lake.")
    sub = parser.add_subparsers(dest="command", required=True)
    pub = sub.add_parser("publish", help="export a local DuckDB database to the lake and publish it")
    pub.add_argument("--database", type=Path, help="default: STACKS_APP_DATABASE")
    ing = sub.add_parser("ingest", help="ingest <table>*.csv|parquet objects under --source into a new version")
    ing.add_argument("--source", required=True, help="s3://bucket/incoming/ or gs://bucket/incoming/")
    ing.add_argument("--mode", choices=("replace", "append"), default="append")
    args = parser.parse_args(argv)
    settings = get_settings()
    if not settings.lake_uri:
        print("error: set STACKS_APP_LAKE_URI (s3://bucket/tables/ or gs://bucket/tables/)", file=sys.stderr)
        return 1
    try:
        if args.command == "publish":
            manifest = publish_database((args.database or settings.database_path).absolute(), settings)
            out = {
                "version": manifest["version"],
                "tables": len(manifest["tables"]),
                "views": point_views(settings),
            }
        else:
            out = ingest(args.source, args.mode, settings)
    except AppError as exc:
        print(json.dumps({"ok": False, **exc.to_dict()}))
        return 1
    print(json.dumps({"ok": True, **out}, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
