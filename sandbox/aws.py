"""The AWS half of the sandbox: a moto server on loopback holding a TTES-like stack.

moto is pinned (see pyproject) because the sandbox extends it: moto's CloudFormation cannot
create an ``AWS::ElastiCache::ReplicationGroup``, so the sandbox registers a model that creates
the replication group in moto's ElastiCache backend, keeping the stack's resource list and the
ElastiCache API consistent.
"""

from __future__ import annotations

import asyncio
import inspect
import itertools
import threading
import uuid
from importlib import resources
from typing import Any

from sandbox.context import SandboxContext

OPERATOR = "oncall"
KEY_PAIR = "ttes-demo-key"
STACK_PARAMETERS = {
    "Domain": "demo.ttes.test",
    "AdminEmail": "admin@demo.ttes.test",
    "AdminPassword": "sandbox-admin-password",
    "KeyName": KEY_PAIR,
    "ElastiCachePassword": "sandbox-redis-password-0123456789",
    "DatabasePassword": "sandbox-db-password",
    "NetworkTitle": "TTES sandbox",
}
READ_ONLY_POLICY = """{
  "Version": "2012-10-17",
  "Statement": [{"Effect": "Allow", "Action": ["cloudformation:Describe*", "cloudformation:List*",
    "cloudformation:Get*", "rds:Describe*", "rds:List*", "elasticache:Describe*", "elasticache:List*",
    "ec2:Describe*", "iot:Describe*", "cloudwatch:Get*", "cloudwatch:List*", "sts:GetCallerIdentity"],
    "Resource": "*"}]
}"""
ADMIN_POLICY = '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}'


def template_body() -> str:
    """The TTES-like CloudFormation template the sandbox deploys."""
    return resources.files("sandbox").joinpath("ttes-template.yaml").read_text()


class AwsPart:
    """moto server + the ``ttes-demo`` stack and an operator IAM user."""

    def __init__(self) -> None:
        self._server: Any = None
        self._thread: threading.Thread | None = None

    async def start(self, ctx: SandboxContext) -> None:
        await asyncio.to_thread(self._start_blocking, ctx)

    def _start_blocking(self, ctx: SandboxContext) -> None:
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
        from werkzeug.serving import make_server

        from sandbox.changesets import install_change_set_fidelity
        from sandbox.snapshots import install as install_snapshot_progress

        register_elasticache_model()
        install_change_set_fidelity(ctx)
        install_snapshot_progress()
        fix_elastic_ip(ctx.public_ip)
        from sandbox.history import Story
        from sandbox.history_aws import EventsMiddleware

        story = Story(ctx.started)
        app: Any = DomainDispatcherApplication(create_backend_app)
        if ctx.history:
            app = EventsMiddleware(app, story)
        if ctx.scenario("aws-throttle"):
            app = ThrottlingMiddleware(app)
        self._server = make_server("127.0.0.1", 0, app, threaded=True)
        # A short poll interval lets shutdown() return quickly (the default waits up to 0.5 s).
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="sandbox-moto", daemon=True
        )
        self._thread.start()
        ctx.endpoint_url = f"http://127.0.0.1:{self._server.server_port}"
        deploy(ctx)
        if ctx.history:
            seed_history(ctx, story)

    async def stop(self) -> None:
        if self._server is not None:
            await asyncio.to_thread(self._server.shutdown)
            self._server = None

    def settings(self) -> dict[str, dict[str, Any]]:
        return {}


def deploy(ctx: SandboxContext) -> None:
    """Create the operator's credentials and the stack, and check its outputs."""
    iam = ctx.aws_client("iam")
    iam.create_user(UserName=OPERATOR)
    read_only = ctx.scenario("read-only-iam")
    iam.put_user_policy(
        UserName=OPERATOR,
        PolicyName="ttes-console-read-only" if read_only else "ttes-console-admin",
        PolicyDocument=READ_ONLY_POLICY if read_only else ADMIN_POLICY,
    )
    key = iam.create_access_key(UserName=OPERATOR)["AccessKey"]
    ctx.environ = {"AWS_ACCESS_KEY_ID": key["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"]}

    # No EC2 key pair is created: the template takes its name as a string, and loading the EC2
    # client's model would add ~0.4 s to every start.
    cfn = ctx.aws_client("cloudformation")
    params = dict(STACK_PARAMETERS, Domain=ctx.domain)
    if ctx.scenario("ssh-blocked"):
        from sandbox.context import BLOCKED_SSH_RANGE

        params["SSHLocation"] = BLOCKED_SSH_RANGE
    cfn.create_stack(
        StackName=ctx.stack_name,
        TemplateBody=template_body(),
        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in params.items()],
        Capabilities=["CAPABILITY_IAM"],
        Tags=[{"Key": "Application", "Value": "The Things Enterprise Stack"}],
    )
    stack = cfn.describe_stacks(StackName=ctx.stack_name)["Stacks"][0]
    if stack["StackStatus"] != "CREATE_COMPLETE":
        raise RuntimeError(f"sandbox stack ended {stack['StackStatus']}: {stack.get('StackStatusReason', '')}")
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
    if outputs["PublicIP"] != ctx.public_ip:
        raise RuntimeError(f"sandbox stack got PublicIP {outputs['PublicIP']}, expected {ctx.public_ip}")
    if read_only:
        enforce_iam()


def seed_history(ctx: SandboxContext, story: Any) -> None:
    """The incident story's past in the stack's events, the audit log and the health history."""
    from sandbox.history import seed_audit, seed_health
    from sandbox.history_aws import seed_stack

    seed_stack(ctx, story)
    seed_audit(ctx.workdir / "audit.jsonl", ctx, story)
    seed_health(ctx.workdir / "health-history.jsonl", story)


def enforce_iam() -> None:
    """From now on moto checks every request against the caller's IAM policies."""
    from moto import settings
    from moto.core.authorization import ActionAuthenticatorMixin

    settings.INITIAL_NO_AUTH_ACTION_COUNT = 0
    ActionAuthenticatorMixin.request_count = 0


class ThrottlingMiddleware:
    """Scenario ``aws-throttle``: every other query-protocol AWS request is throttled.

    boto3's retries get every call through on its second attempt, slower; the console must
    stay responsive and say so when a call is throttled past its retries.
    """

    BODY = (
        '<ErrorResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><Error><Type>Sender</Type>'
        "<Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>{rid}</RequestId></ErrorResponse>"
    )

    def __init__(self, app: Any) -> None:
        self.app = app
        self._counter = itertools.count()
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        form = environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded")
        with self._lock:
            n = next(self._counter)
        if form and n % 2 == 0:
            body = self.BODY.format(rid=uuid.uuid4()).encode()
            start_response("400 Bad Request", [("Content-Type", "text/xml"), ("Content-Length", str(len(body)))])
            return [body]
        return self.app(environ, start_response)


def fix_elastic_ip(address: str) -> None:
    """Allocate the stack's Elastic IP from the documentation range, the same on every run."""
    from moto.ec2.models import elastic_ip_addresses

    elastic_ip_addresses.random_ip = lambda: address  # type: ignore[attr-defined]  # moto imports it, not defines it


_registered = False


def register_elasticache_model() -> None:
    """Teach moto's CloudFormation to create ElastiCache replication groups."""
    global _registered
    if _registered:
        return
    from moto.cloudformation import parsing
    from moto.core.common_models import CloudFormationModel
    from moto.elasticache.models import elasticache_backends

    class ReplicationGroupModel(CloudFormationModel):
        @staticmethod
        def cloudformation_name_type() -> str:
            return "ReplicationGroupId"

        @staticmethod
        def cloudformation_type() -> str:
            return "AWS::ElastiCache::ReplicationGroup"

        @classmethod
        def has_cfn_attr(cls, attr: str) -> bool:
            return attr in ("PrimaryEndPoint.Address", "PrimaryEndPoint.Port")

        @classmethod
        def create_from_cloudformation_json(
            cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kw: Any
        ) -> Any:
            props = cloudformation_json.get("Properties", {})
            backend = elasticache_backends[account_id][region_name]
            group_id = props.get("ReplicationGroupId") or resource_name.lower().replace("_", "-")[:40]
            given = {
                "replication_group_id": group_id,
                "replication_group_description": props.get("ReplicationGroupDescription", ""),
                "cache_node_type": props.get("CacheNodeType", "cache.t4g.small"),
                "engine": props.get("Engine", "redis"),
                "engine_version": props.get("EngineVersion", "7.1"),
                "num_cache_clusters": int(props.get("NumCacheClusters", 1)),
                "automatic_failover_enabled": str(props.get("AutomaticFailoverEnabled", "false")).lower() == "true",
                "snapshot_retention_limit": int(props.get("SnapshotRetentionLimit", 0)),
                "auth_token": props.get("AuthToken", ""),
                "kms_key_id": props.get("KmsKeyId", ""),
                "tags": [],
            }
            params = inspect.signature(backend.create_replication_group).parameters
            kwargs: dict[str, Any] = {name: given.get(name) for name in params}
            group = backend.create_replication_group(**kwargs)
            return _as_cfn_resource(group, group_id)

        @classmethod
        def update_from_cloudformation_json(
            cls,
            original_resource: Any,
            new_resource_name: str,
            cloudformation_json: dict[str, Any],
            account_id: str,
            region_name: str,
        ) -> Any:
            return original_resource

        @classmethod
        def delete_from_cloudformation_json(
            cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str
        ) -> None:
            backend = elasticache_backends[account_id][region_name]
            backend.replication_groups.pop(resource_name, None)

    parsing.get_model_list.cache_clear()
    parsing.get_model_map.cache_clear()
    parsing.get_name_type_map.cache_clear()
    assert "AWS::ElastiCache::ReplicationGroup" in parsing.get_model_map(), ReplicationGroupModel
    _registered = True


def _as_cfn_resource(group: Any, group_id: str) -> Any:
    """Give a moto ReplicationGroup the attributes moto's CloudFormation reads from a resource."""

    def get_cfn_attribute(attr: str) -> Any:
        if attr == "PrimaryEndPoint.Address":
            return f"{group_id}.sandbox.cache.amazonaws.com"
        if attr == "PrimaryEndPoint.Port":
            return 6379
        raise KeyError(attr)

    group.physical_resource_id = group_id
    group.is_created = lambda: True
    group.get_cfn_attribute = get_cfn_attribute
    return group
