"""The ``bigquery`` engine: the app's queries, transpiled to BigQuery SQL, on the stack's dataset.

``STACKS_APP_BIGQUERY_PROJECT`` / ``_DATASET`` / ``_LOCATION`` come from the gcp and hybrid stacks.
Every ``$name`` becomes an ``@name`` query parameter typed from ``app.dialects.PARAM_TYPES``.
Credentials: Application Default Credentials on GCP; in the hybrid stack (ECS on AWS) the workload
identity federation config stored in SSM (``STACKS_APP_GCP_CREDENTIAL_PARAMETER``) is fed the task
role's credentials by ``aws_federated_credentials`` (Fargate has no EC2 metadata endpoint).

Over a GCS *mirror* of an s3 lake (the manifest's ``catalog.bigquery`` has ``rows``) a published
version is served only once BigQuery counts exactly the manifest's rows in every table of it: until
then the engine keeps serving the newest complete version of the manifest's ``history``, and checks
the new one again every ``STACKS_APP_BIGQUERY_VERIFY_SECONDS``.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Mapping
from typing import Any

from app.dialects import DialectError, bigquery_parameters, compile
from app.engines.remote import RemoteEngine
from app.errors import AppError
from app.lake.manifest import physical_name

SCOPES = ("https://www.googleapis.com/auth/bigquery",)
IDENT = re.compile(r"^[A-Za-z0-9_]{1,1024}$")

log = logging.getLogger("app.engines.bigquery")


def aws_federated_credentials(config: dict, region: str):
    """google-auth credentials from a WIF credential config, signed with the AWS task role's keys."""
    import botocore.session
    from google.auth import aws

    class TaskRoleSupplier(aws.AwsSecurityCredentialsSupplier):
        def get_aws_security_credentials(self, context, request):
            creds = botocore.session.get_session().get_credentials()
            if creds is None:
                raise AppError(503, "credentials", "no AWS credentials to federate into GCP")
            frozen = creds.get_frozen_credentials()
            return aws.AwsSecurityCredentials(frozen.access_key, frozen.secret_key, frozen.token)

        def get_aws_region(self, context, request):
            return region

    return aws.Credentials(
        audience=config["audience"],
        subject_token_type=config.get("subject_token_type", "urn:ietf:params:aws:token-type:aws4_request"),
        token_url=config.get("token_url", "https://sts.googleapis.com/v1/token"),
        service_account_impersonation_url=config.get("service_account_impersonation_url"),
        aws_security_credentials_supplier=TaskRoleSupplier(),
        scopes=list(SCOPES),
    )


def federated_credentials(settings):
    """The WIF credentials of a workload on AWS (from the SSM parameter), or None for ADC."""
    if not settings.gcp_credential_parameter:
        return None  # Application Default Credentials (Cloud Run's service account)
    import boto3

    ssm = boto3.client("ssm", region_name=settings.aws_region)
    value = ssm.get_parameter(Name=settings.gcp_credential_parameter, WithDecryption=True)
    return aws_federated_credentials(json.loads(value["Parameter"]["Value"]), settings.aws_region)


def make_client(settings):
    """A ``bigquery.Client`` for the settings' project and location (the engine and the ingest's catalog)."""
    from google.cloud import bigquery

    return bigquery.Client(
        project=settings.bigquery_project,
        credentials=federated_credentials(settings),
        location=settings.bigquery_location,
    )


class BigQueryEngine(RemoteEngine):
    name = "bigquery"
    catalog = "bigquery"

    def __init__(self, settings, client=None, manifest_loader=None):
        super().__init__(settings, manifest_loader)
        self._client = client
        self._complete: set[str] = set()  # mirrored versions whose every table holds the manifest's rows
        self._checked: dict[str, float] = {}  # version -> when it was last found incomplete
        self.waiting: dict[str, str] = {}  # version -> why it is not served yet
        self._verifying = threading.Lock()  # one completeness check at a time, not one per request thread

    def client(self):
        if self._client is None:
            self._client = make_client(self.settings)
        return self._client

    # ------------------------------------------------------------ which version to serve

    def select(self, manifest: dict | None) -> tuple[str | None, Mapping[str, str]]:
        with self._verifying:
            return self._select(manifest)

    def _select(self, manifest: dict | None) -> tuple[str | None, Mapping[str, str]]:
        version, mapping = super().select(manifest)
        entry = ((manifest or {}).get("catalog") or {}).get(self.catalog) or {}
        expected = entry.get("rows")
        if manifest and not entry and (self.settings.lake_uri or "").startswith("s3://"):
            # The stack's own tables over the mirror would read every version's files at once.
            raise AppError(
                503,
                "lake",
                f"the lake manifest (version {version}) names no BigQuery tables: the "
                "ingest job registers them over the GCS mirror when "
                "STACKS_APP_BIGQUERY_LAKE_URI is set",
            )
        if not expected or manifest is None:
            return version, mapping  # a gs:// lake: every file is written before the manifest names it
        # Pruned versions are gone for good.
        self._complete.intersection_update(expected)
        self.waiting = {v: why for v, why in self.waiting.items() if v in expected}
        self._checked = {v: at for v, at in self._checked.items() if v in expected}
        history = [v for v in (manifest.get("history") or [version]) if v in expected]
        for v in history:
            if v not in self._complete:
                if time.monotonic() - self._checked.get(v, float("-inf")) < self.settings.bigquery_verify_seconds:
                    continue  # found incomplete recently: the mirror runs hourly, checks cost bytes
                why = self.verify(entry, v, expected[v], manifest)
                if why:
                    self._checked[v] = time.monotonic()
                    if self.waiting.get(v) != why:
                        log.info("lake version not fully mirrored yet", extra={"fields": {"version": v, "why": why}})
                    self.waiting[v] = why
                    continue
                self._complete.add(v)
                self.waiting.pop(v, None)
            if v != self.version:
                log.info(
                    "bigquery serves lake version",
                    extra={"fields": {"version": v, "published": version, "waiting": sorted(self.waiting)}},
                )
            return v, self.names(entry, v, expected[v])
        detail = "; ".join(f"{v}: {self.waiting[v]}" for v in history if v in self.waiting) or "no version listed"
        raise AppError(503, "lake", f"no lake version is complete in the GCS mirror yet ({detail})")

    @staticmethod
    def names(entry: Mapping[str, Any], version: str, tables: Mapping[str, int]) -> dict[str, str]:
        """Logical -> physical names of one registered version (``<dataset>.<table>__<version>``)."""
        dataset = entry["dataset"]
        out = {}
        for table in tables:
            if not (IDENT.match(dataset) and IDENT.match(table) and IDENT.match(version)):
                raise AppError(500, "catalog", f"bad BigQuery name {dataset}.{table}__{version} in the manifest")
            out[table] = f"{dataset}.{physical_name(table, version)}"
        return out

    def verify(self, entry: Mapping[str, Any], version: str, expected: Mapping[str, int], manifest: dict) -> str:
        """'' when every table of ``version`` holds the rows the manifest says, else what is missing.

        One query counts every table (a partitioned table with no rows has no files to wait for)."""
        import google.auth.exceptions
        from google.api_core import exceptions as gexc
        from google.cloud import bigquery

        layout = manifest.get("tables") or {}
        wanted = {t: int(n) for t, n in expected.items() if n or not (layout.get(t) or {}).get("partition_by")}
        names = self.names(entry, version, wanted)
        sql = "\nUNION ALL\n".join(f"SELECT '{t}' AS table_name, COUNT(*) AS n FROM {names[t]}" for t in sorted(wanted))
        config = bigquery.QueryJobConfig(use_legacy_sql=False)
        try:
            rows = self.client().query(sql, job_config=config, location=self.settings.bigquery_location).result()
            got = {row["table_name"]: int(row["n"]) for row in rows}
        except (gexc.GoogleAPIError, google.auth.exceptions.GoogleAuthError) as exc:
            return str(exc).splitlines()[0]
        short = {t: f"{got.get(t)}/{n} rows" for t, n in sorted(wanted.items()) if got.get(t) != n}
        return ", ".join(f"{t} {v}" for t, v in short.items())

    # ------------------------------------------------------------ queries

    def fetch(self, sql: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        from google.api_core import exceptions as gexc
        from google.cloud import bigquery

        try:
            compiled = compile(sql, "bigquery", self.tables())
            config = bigquery.QueryJobConfig(
                default_dataset=f"{self.settings.bigquery_project}.{self.settings.bigquery_dataset}",
                query_parameters=bigquery_parameters(compiled, params),
                use_legacy_sql=False,
            )
        except DialectError as exc:
            raise AppError(500, "query", str(exc)) from None
        try:
            job = self.client().query(compiled.sql, job_config=config, location=self.settings.bigquery_location)
            return [dict(row.items()) for row in job.result()]
        except gexc.GoogleAPIError as exc:
            raise AppError(503, "unavailable", f"bigquery: {str(exc).splitlines()[0]}") from None
