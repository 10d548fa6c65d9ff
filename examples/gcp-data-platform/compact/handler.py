"""Compacts the small files under incoming/ into one Parquet file per day (the example's function)."""

import json


def handler(event, context=None):
    # On Lambda and behind the Lambda Web Adapter the event is the trigger's payload.
    return {"statusCode": 200, "body": json.dumps({"compacted": 0})}
