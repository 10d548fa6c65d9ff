"""Mock answers for GCP resources and lookups, and the mocks of plans that span clouds.

``cloud_mocks(plan)`` answers each registration by its provider: AWS types go to
``deploy.offline.AwsMocks``, GCP types to ``GcpMocks``. GCP resources answer with
what later resources read (a service account's ``email``, a Cloud Run ``uri``,
a connection's ``cloudResource.serviceAccountId``, an address, an uptime check
id, a pool's ``name``); a missing one would make dependent inputs vanish.
"""

from __future__ import annotations

from typing import Any

from pulumi.runtime import mocks as pmocks

from stacks.plan.core import Plan

PROJECT_NUMBER = "123456789012"
TRANSFER_SUBJECT = "109876543210987654321"


class GcpMocks(pmocks.Mocks):
    def __init__(self, project: str, region: str):
        self.project = project
        self.region = region

    def new_resource(self, args: pmocks.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        inputs: dict[str, Any] = dict(args.inputs)
        if not args.custom:
            return f"{args.name}-component", inputs
        token = args.typ
        project = inputs.get("project", self.project)
        name = inputs.get("name") if isinstance(inputs.get("name"), str) else args.name
        state: dict[str, Any] = {
            "name": name,
            "project": project,
            "selfLink": f"https://www.googleapis.com/compute/v1/projects/{project}/{name}",
        }
        rid = f"projects/{project}/{args.name}"
        if token == "gcp:serviceaccount/account:Account":
            email = f"{inputs['accountId']}@{project}.iam.gserviceaccount.com"
            state.update(
                email=email,
                member=f"serviceAccount:{email}",
                name=f"projects/{project}/serviceAccounts/{email}",
                uniqueId="1" * 21,
            )
            rid = state["name"]
        elif token == "gcp:cloudrunv2/service:Service":
            state.update(
                uri=f"https://{name}-{PROJECT_NUMBER}.{self.region}.run.app",
                urls=[f"https://{name}-{PROJECT_NUMBER}.{self.region}.run.app"],
            )
        elif token == "gcp:storage/bucket:Bucket":
            state.update(url=f"gs://{name}")
        elif token == "gcp:bigquery/connection:Connection":
            state.update(
                name=f"projects/{project}/locations/{self.region}/connections/{inputs.get('connectionId')}",
                cloudResource={
                    "serviceAccountId": f"bqcx-{PROJECT_NUMBER}-abcd@gcp-sa-bigquery-condel.iam.gserviceaccount.com"
                },
            )
        elif token == "gcp:compute/globalAddress:GlobalAddress":
            state.update(address="203.0.113.10")
        elif token == "gcp:monitoring/uptimeCheckConfig:UptimeCheckConfig":
            state.update(uptimeCheckId=f"{args.name}-check")
        elif token == "gcp:monitoring/notificationChannel:NotificationChannel":
            state.update(name=f"projects/{project}/notificationChannels/{args.name}")
        elif token == "gcp:iam/workloadIdentityPool:WorkloadIdentityPool":
            pool = inputs.get("workloadIdentityPoolId")
            state.update(name=f"projects/{PROJECT_NUMBER}/locations/global/workloadIdentityPools/{pool}")
        elif token == "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider":
            state.update(
                name=(
                    f"projects/{PROJECT_NUMBER}/locations/global/workloadIdentityPools/"
                    f"{inputs.get('workloadIdentityPoolId')}/providers/"
                    f"{inputs.get('workloadIdentityPoolProviderId')}"
                )
            )
        elif token == "gcp:sql/databaseInstance:DatabaseInstance":
            state.update(
                privateIpAddress="10.0.16.3",
                connectionName=f"{project}:{self.region}:{name}",
                firstIpAddress="10.0.16.3",
            )
        elif token == "gcp:redis/instance:Instance":
            state.update(
                host="10.0.16.8",
                port=6378,
                authString="mock-auth-string",
                serverCaCerts=[{"cert": "-----BEGIN CERTIFICATE-----\nmock\n-----END CERTIFICATE-----"}],
            )
        elif token == "gcp:secretmanager/secret:Secret":
            rid = f"projects/{project}/secrets/{inputs.get('secretId')}"
            state.update(name=rid)
        elif token == "gcp:compute/network:Network":
            rid = f"projects/{project}/global/networks/{name}"
        elif token == "gcp:logging/projectBucketConfig:ProjectBucketConfig":
            rid = f"projects/{project}/locations/global/buckets/{inputs.get('bucketId')}"
        elif token == "docker-build:index:Image":
            tags = inputs.get("tags") or [args.name]
            state.update(ref=f"{str(tags[0]).rsplit(':', 1)[0]}@sha256:{'0' * 64}")
        return rid, {**inputs, **state}

    def answer(self, args: pmocks.MockCallArgs) -> dict[str, Any]:
        """What the provider function ``args.token`` returns."""
        token = args.token
        if token.endswith("getProject"):
            project = args.args.get("projectId", self.project)
            return {"number": PROJECT_NUMBER, "projectId": project, "name": project, "id": f"projects/{project}"}
        if token.endswith("getClientConfig"):
            return {"accessToken": "mock-access-token", "project": self.project, "region": self.region, "id": "c"}
        if token.endswith("getManagedZone"):
            return {"name": args.args.get("name", ""), "dnsName": "shop.example.com.", "id": "zone"}
        if token.endswith("storage/getProjectServiceAccount:getProjectServiceAccount"):
            email = f"service-{PROJECT_NUMBER}@gs-project-accounts.iam.gserviceaccount.com"
            return {"emailAddress": email, "member": f"serviceAccount:{email}", "id": "gcs"}
        if token.endswith("getTransferProjectServiceAccount"):
            return {
                "email": f"project-{PROJECT_NUMBER}@storage-transfer-service.iam.gserviceaccount.com",
                "subjectId": TRANSFER_SUBJECT,
                "member": "serviceAccount:transfer",
                "id": "sts",
            }
        return {"id": "mock"}

    def call(self, args: pmocks.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        return self.answer(args), []


class CloudMocks(pmocks.Mocks):
    """Routes each registration and call to the mocks of its provider."""

    def __init__(self, by_provider: dict[str, pmocks.Mocks], default: pmocks.Mocks):
        self.by_provider = by_provider
        self.default = default

    def _for(self, token: str) -> pmocks.Mocks:
        return self.by_provider.get(token.split(":", 1)[0], self.default)

    def new_resource(self, args: pmocks.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        if args.typ == "docker-build:index:Image":
            tags = [str(t) for t in (args.inputs.get("tags") or [])]
            if any(".pkg.dev/" in t for t in tags):
                return self.by_provider["gcp"].new_resource(args)
        return self._for(args.typ).new_resource(args)

    def call(self, args: pmocks.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        return self._for(args.token).call(args)


def cloud_mocks(plan: Plan, aws_mocks: pmocks.Mocks) -> pmocks.Mocks:
    """The mocks for ``plan``: AWS answers as before; GCP types get ``GcpMocks``."""
    gcp = plan.providers.get("gcp")
    if not gcp:
        return aws_mocks
    gcp_mocks = GcpMocks(gcp.get("project", "project"), gcp.get("region", "europe-west1"))
    return CloudMocks({"aws": aws_mocks, "gcp": gcp_mocks}, gcp_mocks if "aws" not in plan.providers else aws_mocks)
