"""The HTTP API: ``factory.create_app(settings)`` builds it from the routers in ``routes/``, the
dependencies in ``deps`` (settings, engine, writer auth), the middleware and the error handlers."""
