"""The ASGI application uvicorn serves: ``uvicorn app.main:app``.

Built once per worker from the environment's settings (``STACKS_APP_*``) by ``app.api.factory``;
tests and embedders call ``create_app(settings)`` themselves. Errors are JSON ``{error, message
[, problems]}`` with a 4xx status. Health: ``/health`` (liveness), ``/ready`` (database loaded),
``/metrics`` (Prometheus). Interactive docs at ``/docs``.
"""

from __future__ import annotations

from app import server
from app.api.factory import create_app

__all__ = ["app", "create_app"]

server.install()  # uvicorn's own 400s (an unparsable request line) in the JSON error format
app = create_app()
