"""The lake's object stores side by side behind one protocol (``base.Store``): ``S3Store`` (``s3``) and
``GcsStore`` (``gcs``, keyless). ``app.lake.job`` runs the ingest job and the publish on either."""

from __future__ import annotations

from app.lake.manifest import root
from app.lake.stores.base import Register, Store
from app.lake.stores.gcs import GcsStore
from app.lake.stores.s3 import S3Store
from app.settings import Settings

__all__ = ["GcsStore", "Register", "S3Store", "Store", "open_store"]


def open_store(settings: Settings) -> Store:
    """The store of the settings' lake: ``GcsStore`` for gs://, ``S3Store`` for s3://."""
    if root(settings.lake_uri or "").startswith("gs://"):
        return GcsStore(settings)
    return S3Store(settings)
