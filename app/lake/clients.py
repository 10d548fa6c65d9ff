"""The clouds' own clients for the lake: boto3 S3 (same endpoint and keys httpfs uses), google-cloud-storage
on Application Default Credentials, and the published manifest read with them (the remote engines have
no DuckDB)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from app.errors import AppError
from app.lake.manifest import manifest_uri
from app.settings import Settings


def s3_client(settings: Settings) -> Any:
    """boto3 S3 on the same endpoint and credentials httpfs uses (the task role's chain by default)."""
    import boto3

    kwargs: dict[str, Any] = {"region_name": settings.aws_region}
    if settings.s3_endpoint:
        kwargs["endpoint_url"] = ("https://" if settings.s3_use_ssl else "http://") + settings.s3_endpoint
    if settings.s3_access_key_id and settings.s3_secret_access_key:
        kwargs["aws_access_key_id"] = settings.s3_access_key_id.get_secret_value()
        kwargs["aws_secret_access_key"] = settings.s3_secret_access_key.get_secret_value()
    # A session of its own: boto3's default session is not safe to build clients from in threads.
    return boto3.session.Session().client("s3", **kwargs)


def gcs_client(settings: Settings) -> Any:
    """A storage client on Application Default Credentials (``STORAGE_EMULATOR_HOST`` for a local server)."""
    import google.cloud.storage as storage

    try:
        return storage.Client(project=getattr(settings, "bigquery_project", None) or None)
    except Exception as exc:  # google.auth.exceptions.DefaultCredentialsError and friends
        raise AppError(503, "lake", f"no Google credentials for the lake: {str(exc).splitlines()[0]}") from None


def split_s3(uri: str) -> tuple[str, str]:
    """``s3://bucket/key`` -> (bucket, key)."""
    bucket, key = uri[5:].split("/", 1)
    return bucket, key


def split_gs(uri: str) -> tuple[str, str]:
    """``gs://bucket/key`` -> (bucket, key)."""
    if not uri.startswith("gs://") or "/" not in uri[5:]:
        raise AppError(500, "lake", f"not a gs://bucket/prefix/ URI: {uri!r}")
    bucket, key = uri[5:].split("/", 1)
    return bucket, key


def s3_error(exc: Exception) -> tuple[int, str]:
    """(HTTP status, error code) of a botocore ``ClientError``."""
    response = getattr(exc, "response", None) or {}
    status = int(response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))
    return status, str(response.get("Error", {}).get("Code"))


def fetch_manifest(settings: Settings) -> dict | None:
    """The published manifest read with the cloud's own client, or None when nothing is published."""
    uri = manifest_uri(settings.lake_uri or "")
    if uri.startswith("s3://"):
        bucket, key = split_s3(uri)
        s3 = s3_client(settings)  # the endpoint and keys httpfs uses (the task role's chain by default)
        try:
            body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        except s3.exceptions.NoSuchKey:
            return None
        return json.loads(body)
    import google.auth
    from google.auth.transport.requests import AuthorizedSession

    bucket, key = split_gs(uri)
    credentials, _ = google.auth.default(scopes=["https://www.googleapis.com/auth/devstorage.read_only"])
    response = AuthorizedSession(credentials).get(
        f"https://storage.googleapis.com/storage/v1/b/{bucket}/o/{quote(key, safe='')}?alt=media", timeout=30
    )
    if response.status_code == 404:
        return None
    response.raise_for_status()
    return json.loads(response.content)
