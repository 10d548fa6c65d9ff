"""The hybrid stack's credential configuration works with the real google-auth library, keylessly.

The configuration the plan writes to SSM (as the mocked Pulumi run resolves it) is loaded by
google-auth exactly as the app's bootstrap does (README: GCP and hybrid stacks), against a local
stand-in for Google's STS and IAM Credentials endpoints on 127.0.0.1: the library signs an AWS
GetCallerIdentity request with the task role's temporary credentials, exchanges it for a federated
token for the pool provider the plan created, and impersonates the service account the plan
created. No key file and no long-lived secret takes part.
"""

from __future__ import annotations

import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from .gcp_support import recording

ACCESS_KEY = "ASIATESTONLYTASKROLE"  # temporary task-role credentials, as ECS hands them out
SESSION = "task-role-session-token"


class FakeGoogle(BaseHTTPRequestHandler):
    calls: list = []

    def log_message(self, *args):  # keep pytest output clean
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
        if self.path == "/v1/token":
            form = dict(urllib.parse.parse_qsl(body))
            FakeGoogle.calls.append(("sts", form))
            reply = {
                "access_token": "federated-token",
                "issued_token_type": "urn:ietf:params:oauth:token-type:access_token",
                "token_type": "Bearer",
                "expires_in": 3600,
            }
        else:
            FakeGoogle.calls.append(
                (
                    "iam",
                    {
                        "path": self.path,
                        "authorization": self.headers.get("Authorization"),
                        "body": json.loads(body or "{}"),
                    },
                )
            )
            reply = {"accessToken": "service-account-token", "expireTime": "2099-01-01T00:00:00Z"}
        data = json.dumps(reply).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture()
def google_endpoints():
    FakeGoogle.calls = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeGoogle)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _config() -> dict:
    rec = {r.name: r for r in recording("hybrid-prod").resources}
    return json.loads(rec["api-gcp-credential-config"].inputs["value"]["value"])


def _local(info: dict, base: str) -> dict:
    """The same configuration, with Google's hosts replaced by the local stand-in."""
    path = urllib.parse.urlparse(info["service_account_impersonation_url"]).path
    return {**info, "token_url": f"{base}/v1/token", "service_account_impersonation_url": f"{base}{path}"}


def _check_exchange(info: dict):
    sts, iam = FakeGoogle.calls
    assert sts[0] == "sts" and iam[0] == "iam"
    form = sts[1]
    assert form["grant_type"] == "urn:ietf:params:oauth:grant-type:token-exchange"
    assert form["audience"] == info["audience"]
    assert form["audience"].endswith("/workloadIdentityPools/shop-hybrid-prod/providers/aws-ecs-tasks")
    assert form["subject_token_type"] == "urn:ietf:params:aws:token-type:aws4_request"
    signed = json.loads(urllib.parse.unquote(form["subject_token"]))
    assert signed["url"] == "https://sts.eu-west-1.amazonaws.com?Action=GetCallerIdentity&Version=2011-06-15"
    headers = {h["key"].lower(): h["value"] for h in signed["headers"]}
    assert headers["authorization"].startswith(f"AWS4-HMAC-SHA256 Credential={ACCESS_KEY}/")
    assert headers["x-amz-security-token"] == SESSION
    assert headers["x-goog-cloud-target-resource"] == info["audience"]
    assert iam[1]["path"] == (
        "/v1/projects/-/serviceAccounts/api-hybrid-prod@shop-analytics-prod.iam.gserviceaccount.com:generateAccessToken"
    )
    assert iam[1]["authorization"] == "Bearer federated-token"


def test_the_plans_config_is_a_keyless_external_account_config():
    info = _config()
    assert info["type"] == "external_account"
    assert not {"private_key", "private_key_id", "client_secret", "refresh_token"} & set(info)
    assert info["credential_source"] == {
        "environment_id": "aws1",
        "regional_cred_verification_url": "https://sts.{region}.amazonaws.com?Action=GetCallerIdentity&Version=2011-06-15",
    }


def test_bootstrap_with_a_task_role_supplier_gets_a_service_account_token(google_endpoints):
    """The README bootstrap: Fargate has no EC2 metadata, so the task role's credentials come from a supplier."""
    from google.auth import aws
    from google.auth.transport.requests import Request

    info = _local(_config(), google_endpoints)

    class TaskRole(aws.AwsSecurityCredentialsSupplier):
        def get_aws_security_credentials(self, context, request):
            return aws.AwsSecurityCredentials(ACCESS_KEY, "temporary-secret", SESSION)

        def get_aws_region(self, context, request):
            return "eu-west-1"

    creds = aws.Credentials(
        audience=info["audience"],
        subject_token_type=info["subject_token_type"],
        token_url=info["token_url"],
        service_account_impersonation_url=info["service_account_impersonation_url"],
        aws_security_credentials_supplier=TaskRole(),
        scopes=["https://www.googleapis.com/auth/bigquery"],
    )
    creds.refresh(Request())
    assert creds.token == "service-account-token"
    _check_exchange(info)


def test_config_file_as_is_works_with_environment_credentials(google_endpoints, monkeypatch):
    """Loaded unchanged (as GOOGLE_APPLICATION_CREDENTIALS would), it reads the AWS identity from the environment."""
    from google.auth import aws
    from google.auth.transport.requests import Request

    info = _local(_config(), google_endpoints)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "temporary-secret")
    monkeypatch.setenv("AWS_SESSION_TOKEN", SESSION)
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    creds = aws.Credentials.from_info(info, scopes=["https://www.googleapis.com/auth/bigquery"])
    creds.refresh(Request())
    assert creds.token == "service-account-token"
    _check_exchange(info)
