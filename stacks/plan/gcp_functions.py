"""The ``function`` kind on GCP: a Cloud Run service that only its triggers and callers may invoke.

The component's image runs as an internal Cloud Run service (``concurrency``
caps its instances) with the same service account, grants, secrets and
Direct VPC egress as any workload (``stacks.plan.gcp._workload``). Each trigger
reaches it with an OIDC token of a per-function invoker account that holds
``run.invoker`` on this service only:

- ``schedule``: a Cloud Scheduler job calling the service's URL;
- ``queue``: a Pub/Sub push subscription on the queue's topic;
- ``bucket`` (+ ``prefix``): a Cloud Storage notification (object finalize,
  ``object_name_prefix``) into a topic of its own, pushed to the service;
- ``http``: the gateway's route (planned by the gateway).
"""

from __future__ import annotations

from typing import Any

from stacks.errors import StacksError
from stacks.model import Function
from stacks.plan.core import Ref, concat
from stacks.plan.gcp import WAIVE_CMEK, GcpPlanner, _attachments, _ingress, _invokers, _workload
from stacks.project import DeployedComponent


def build_function(p: GcpPlanner, comp: DeployedComponent[Function]) -> None:
    cid, model = comp.id, comp.component
    w = _workload(p, comp)
    container = dict(w["container"])
    port = model.port
    container["ports"] = {"container_port": port, "name": "http1"}
    container["startup_probe"] = {"tcp_socket": {"port": port}, "period_seconds": 5, "failure_threshold": 24}
    container["resources"] = {**container["resources"], "cpu_idle": True, "startup_cpu_boost": True}
    service = f"{cid}-service"
    template: dict[str, Any] = {
        "service_account": Ref(w["account"], "email"),
        "execution_environment": "EXECUTION_ENVIRONMENT_GEN2",
        "timeout": f"{model.timeout}s",
        "max_instance_request_concurrency": 1,  # one event per instance at a time, as Lambda runs them
        "scaling": {"min_instance_count": 0, "max_instance_count": model.concurrency},
        "containers": [container],
        **_attachments(w),
    }
    p.add(
        "gcp:cloudrunv2/service:Service",
        service,
        {
            "project": p.gcp_project,
            "location": p.region,
            "name": p.name(cid),
            "description": getattr(model, "description", ""),
            "ingress": _ingress(p, cid, False, False),
            "launch_stage": "GA",
            "deletion_protection": p.prod_like,
            "template": template,
            "traffics": [{"type": "TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST", "percent": 100}],
        },
        cid,
        group="region",
        depends_on=w["waits"],
    )
    p.facts.setdefault("functions", {})[cid] = service
    p.later.append(lambda: _invokers(p, cid, service))
    triggers = model.triggers
    if any(not t.http for t in triggers):
        invoker = _invoker(p, cid, service)
        for i, trigger in enumerate(triggers):
            _trigger(p, cid, service, invoker, i, trigger)
    p.output(f"{cid.replace('-', '_')}_service_name", Ref(service, "name"), f"Cloud Run service of {cid}")


def _invoker(p: GcpPlanner, cid: str, service: str) -> str:
    invoker = f"{cid}-trigger-account"
    p.add(
        "gcp:serviceaccount/account:Account",
        invoker,
        {
            "project": p.gcp_project,
            "account_id": p.account_id(cid, "trig"),
            "display_name": f"invokes {cid} for its triggers ({p.deployment.name})",
            "description": f"Scheduler and Pub/Sub call {cid} as this account: run.invoker on that service only",
        },
        cid,
        group="project",
    )
    p.add(
        "gcp:cloudrunv2/serviceIamMember:ServiceIamMember",
        f"{cid}-triggers-invoke",
        {
            "project": p.gcp_project,
            "location": p.region,
            "name": Ref(service, "name"),
            "role": "roles/run.invoker",
            "member": p.member(invoker),
        },
        cid,
        group="region",
    )
    return invoker


def _push(p: GcpPlanner, cid: str, service: str, invoker: str, name: str, topic: Any, dead_letters: Any) -> None:
    inputs: dict[str, Any] = {
        "project": p.gcp_project,
        "name": p.name(cid, name),
        "topic": topic,
        "ack_deadline_seconds": 60,
        "push_config": {
            "push_endpoint": Ref(service, "uri"),
            "oidc_token": {"service_account_email": Ref(invoker, "email"), "audience": Ref(service, "uri")},
        },
        "retry_policy": {"minimum_backoff": "10s", "maximum_backoff": "600s"},
        "expiration_policy": {"ttl": ""},
    }
    if dead_letters is not None:
        inputs["dead_letter_policy"] = {"dead_letter_topic": dead_letters, "max_delivery_attempts": 5}
    p.add(
        "gcp:pubsub/subscription:Subscription",
        f"{cid}-{name}",
        inputs,
        cid,
        group="region",
        depends_on=(f"{cid}-triggers-invoke",),
    )


def _trigger(p: GcpPlanner, cid: str, service: str, invoker: str, i: int, trigger: Any) -> None:
    if trigger.schedule:
        p.add(
            "gcp:cloudscheduler/job:Job",
            f"{cid}-schedule-{i}",
            {
                "project": p.gcp_project,
                "region": p.region,
                "name": p.name(cid, f"t{i}"),
                "schedule": trigger.schedule,
                "time_zone": "Etc/UTC",
                "attempt_deadline": "320s",
                "http_target": {
                    "http_method": "POST",
                    "uri": Ref(service, "uri"),
                    "oidc_token": {"service_account_email": Ref(invoker, "email"), "audience": Ref(service, "uri")},
                },
            },
            cid,
            group="region",
            depends_on=(f"{cid}-triggers-invoke",),
        )
    elif trigger.queue:
        if trigger.queue not in p.facts.get("queues", {}):
            raise StacksError(
                f"{cid}: its trigger queue '{trigger.queue}' is not deployed by {p.deployment.name}",
                hint=f"deploy '{trigger.queue}' in the same stack",
            )
        q = trigger.queue
        _push(p, cid, service, invoker, f"from-{q}", Ref(f"{q}-topic", "id"), Ref(f"{q}-dlq", "id"))
    elif trigger.bucket:
        _bucket_trigger(p, cid, service, invoker, i, trigger)


def _bucket_trigger(p: GcpPlanner, cid: str, service: str, invoker: str, i: int, trigger: Any) -> None:
    bucket = p.facts.get("buckets", {}).get(trigger.bucket)
    if bucket is None:
        raise StacksError(
            f"{cid}: its trigger bucket '{trigger.bucket}' is not deployed by {p.deployment.name}",
            hint=f"deploy '{trigger.bucket}' in the same stack",
        )
    topic = f"{cid}-objects-{i}"
    p.add(
        "gcp:pubsub/topic:Topic",
        topic,
        {"project": p.gcp_project, "name": p.name(cid, f"objects-{i}"), "message_retention_duration": "86400s"},
        cid,
        group="region",
        waivers={"CKV_GCP_83": WAIVE_CMEK},
    )
    agent = p.lookup(
        "gcp:storage/getProjectServiceAccount:getProjectServiceAccount",
        "gcp-storage-agent",
        {"project": p.gcp_project},
    )
    p.add(
        "gcp:pubsub/topicIAMMember:TopicIAMMember",
        f"{topic}-storage-publishes",
        {
            # Cloud Storage publishes the notifications as its service agent: publisher on this topic only.
            "project": p.gcp_project,
            "topic": Ref(topic, "name"),
            "role": "roles/pubsub.publisher",
            "member": concat("serviceAccount:", Ref(agent, "email_address")),
        },
        cid,
        group="region",
    )
    p.add(
        "gcp:storage/notification:Notification",
        f"{topic}-notification",
        {
            "bucket": Ref(bucket, "name"),
            "payload_format": "JSON_API_V1",
            "topic": Ref(topic, "id"),
            "event_types": ["OBJECT_FINALIZE"],
            **({"object_name_prefix": trigger.prefix} if trigger.prefix else {}),
        },
        cid,
        group="region",
        depends_on=(f"{topic}-storage-publishes",),
    )
    _push(p, cid, service, invoker, f"objects-{i}-push", Ref(topic, "id"), None)
