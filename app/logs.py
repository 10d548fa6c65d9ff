"""Structured (JSON lines) logging with the request id of the request being served."""

from __future__ import annotations

import contextvars
import datetime as dt
import json
import logging
import sys

request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        rid = request_id.get()
        if rid:
            entry["request_id"] = rid
        entry.update(getattr(record, "fields", {}))
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


class JsonHandler(logging.StreamHandler):
    """The app's JSON lines on stderr: ``setup`` adds one, however often it runs."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)
        self.setFormatter(JsonFormatter())


def setup(level: str) -> logging.Logger:
    logger = logging.getLogger("app")
    logger.setLevel(level.upper())
    if not any(isinstance(h, JsonHandler) for h in logger.handlers):
        logger.addHandler(JsonHandler())
    logger.propagate = False
    # The app logs every request itself, with its request id; uvicorn's access log would repeat it.
    logging.getLogger("uvicorn.access").disabled = True
    return logger
