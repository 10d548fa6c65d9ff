"""``python -m app.catalog views``: point the BigQuery views at the published lake version now."""

from __future__ import annotations

import argparse
import json
import sys

from app.catalog.bigquery import bigquery_root
from app.catalog.views import point_views
from app.settings import get_settings


def main(argv: list[str] | None = None) -> int:
    """``python -m app.catalog views``: point the BigQuery views at the published version now."""
    parser = argparse.ArgumentParser(prog="python -m app.catalog", description="Catalog upkeep for the lake.")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("views", help="point the BigQuery views <table> at the published lake version")
    parser.parse_args(argv)
    settings = get_settings()
    if not (settings.lake_uri and settings.bigquery_dataset and bigquery_root(settings)):
        print(
            "error: set STACKS_APP_LAKE_URI (gs://, or s3:// with STACKS_APP_BIGQUERY_LAKE_URI) and "
            "STACKS_APP_BIGQUERY_PROJECT/_DATASET",
            file=sys.stderr,
        )
        return 1
    out = point_views(settings)
    print(json.dumps({"ok": bool(out.get("views")), **out}))
    return 0 if out.get("views") else 1


if __name__ == "__main__":
    sys.exit(main())
