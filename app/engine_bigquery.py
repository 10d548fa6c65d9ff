"""The ``bigquery`` engine: the app's queries, transpiled to BigQuery SQL, on the stack's dataset.

``STACKS_APP_BIGQUERY_PROJECT`` / ``_DATASET`` / ``_LOCATION`` come from the gcp and hybrid stacks.
Every ``$name`` becomes an ``@name`` query parameter typed from ``app.dialects.PARAM_TYPES``.
Credentials: Application Default Credentials on GCP; in the hybrid stack (ECS on AWS) the workload
identity federation config stored in SSM (``STACKS_APP_GCP_CREDENTIAL_PARAMETER``) is fed the task
role's credentials by ``aws_federated_credentials`` (Fargate has no EC2 metadata endpoint).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from app.dialects import DialectError, bigquery_parameters, compile
from app.engine_remote import RemoteEngine
from app.errors import AppError

SCOPES = ("https://www.googleapis.com/auth/bigquery",)


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


class BigQueryEngine(RemoteEngine):
    name = "bigquery"
    catalog = "bigquery"

    def __init__(self, settings, client=None, manifest_loader=None):
        super().__init__(settings, manifest_loader)
        self._client = client

    def _credentials(self):
        if not self.settings.gcp_credential_parameter:
            return None  # Application Default Credentials (Cloud Run's service account)
        import boto3

        ssm = boto3.client("ssm", region_name=self.settings.aws_region)
        value = ssm.get_parameter(Name=self.settings.gcp_credential_parameter, WithDecryption=True)
        return aws_federated_credentials(json.loads(value["Parameter"]["Value"]), self.settings.aws_region)

    def client(self):
        if self._client is None:
            from google.cloud import bigquery

            self._client = bigquery.Client(
                project=self.settings.bigquery_project,
                credentials=self._credentials(),
                location=self.settings.bigquery_location,
            )
        return self._client

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
