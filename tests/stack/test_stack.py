"""The stack service against the sandbox's moto server over HTTP, and its errors."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from dataclasses import replace

import pytest
from botocore.stub import Stubber

from sandbox.ports import free_port
from sandbox.process import SandboxProcess
from services.core.aws import AwsClients, caller_arn
from services.core.errors import AccessDenied, CredentialsExpired, EndpointUnreachable, StackNotFound, Throttled
from services.stack.model import follow_events, load_stack, new_events, stack_as_json
from tests.conftest import RunningSandbox


async def test_load_stack_reads_outputs_parameters_and_resources(aws_env: RunningSandbox) -> None:
    stack = await load_stack(AwsClients(aws_env.profile()))
    assert stack.status == "UPDATE_COMPLETE"  # the sandbox's story: an update changed the instance type
    assert stack.parameter("InstanceType").value == "t3.medium"  # type: ignore[union-attr]
    assert stack.public_ip == "198.51.100.7"
    assert stack.domain == "demo.ttes.test"
    assert stack.outputs["ConsoleURL"] == "https://demo.ttes.test/console"
    types = {r.type for r in stack.resources}
    assert {"AWS::RDS::DBInstance", "AWS::ElastiCache::ReplicationGroup", "AWS::EC2::Instance"} <= types
    assert {r.logical_id for r in stack.resources if r.stateful} == {"Database", "Redis"}
    migration = {p.key for p in stack.parameters if p.requires_migration}
    assert migration == {"ElastiCacheKmsKeyId", "ElastiCachePassword", "DatabaseName", "RDSBackupRetentionPeriod"}
    assert stack.parameter("DatabasePassword") is not None and stack.parameter("DatabasePassword").no_echo
    doc = stack_as_json(stack)
    assert doc["parameters"]["DatabasePassword"] == "****"
    assert doc["outputs"]["PublicIP"] == "198.51.100.7"


async def test_the_elasticache_group_of_the_stack_exists_in_elasticache(aws_env: RunningSandbox) -> None:
    clients = AwsClients(aws_env.profile())
    stack = await load_stack(clients)
    redis = next(r for r in stack.resources if r.type == "AWS::ElastiCache::ReplicationGroup")
    groups = await clients.call("elasticache", "describe_replication_groups", ReplicationGroupId=redis.physical_id)
    assert groups["ReplicationGroups"][0]["ReplicationGroupId"] == redis.physical_id


async def test_events_are_followed_without_repeats(aws_env: RunningSandbox) -> None:
    clients = AwsClients(aws_env.profile())
    stream = follow_events(clients, interval=0.05)
    first = await anext(stream)
    assert first and first[-1].status == "UPDATE_COMPLETE"
    assert [e.timestamp for e in first] == sorted(e.timestamp for e in first)
    seen = {e.event_id for e in first}
    assert await new_events(clients, seen) == []
    await stream.aclose()


async def test_caller_identity_is_the_sandbox_operator(aws_env: RunningSandbox) -> None:
    assert await caller_arn(AwsClients(aws_env.profile())) == "arn:aws:iam::123456789012:user/oncall"


async def test_a_missing_stack_is_one_sentence(aws_env: RunningSandbox) -> None:
    with pytest.raises(StackNotFound) as caught:
        await load_stack(AwsClients(aws_env.profile(stack="nope")))
    assert str(caught.value).startswith("Stack nope not found in eu-west-1")


@pytest.fixture(scope="module")
def strict_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSandbox]:
    """A sandbox whose operator is read-only (IAM enforced) and whose API throttles every other call."""
    with SandboxProcess(["read-only-iam", "aws-throttle"], workdir=tmp_path_factory.mktemp("strict")) as proc:
        yield RunningSandbox(proc.config_path, proc.environ, proc.workdir)


async def test_throttled_calls_get_through_on_retry(
    strict_sandbox: RunningSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in strict_sandbox.environ.items():
        monkeypatch.setenv(key, value)
    stack = await load_stack(AwsClients(strict_sandbox.profile()))
    assert stack.public_ip == "198.51.100.7"


async def test_a_denied_call_says_who_was_denied_what(
    strict_sandbox: RunningSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in strict_sandbox.environ.items():
        monkeypatch.setenv(key, value)
    clients = AwsClients(strict_sandbox.profile())
    with pytest.raises(AccessDenied) as caught:
        await clients.call("rds", "create_db_snapshot", DBInstanceIdentifier="x", DBSnapshotIdentifier="y")
    assert str(caught.value).startswith("AWS denied rds:create_db_snapshot to these credentials")
    assert caught.value.request_id  # for the audit log and for AWS support


async def test_an_unreachable_endpoint_is_said_in_words(aws_env: RunningSandbox) -> None:
    port = free_port()  # nothing listens there
    profile = replace(aws_env.profile(), endpoint_url=f"http://127.0.0.1:{port}")
    clients = AwsClients(profile)
    with pytest.raises(EndpointUnreachable, match=re.escape("Could not reach http://127.0.0.1")):
        await load_stack(clients)


async def test_boto3_calls_do_not_block_the_event_loop(aws_env: RunningSandbox) -> None:
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.001)
            ticks += 1

    task = asyncio.create_task(ticker())
    await load_stack(AwsClients(aws_env.profile()))
    task.cancel()
    assert ticks > 3  # the loop kept turning while three calls ran in threads


# --- errors no real peer can produce on demand: botocore's Stubber, validated against the API model ---


def stubbed(profile_stack: str = "ttes-demo", aws_profile: str = "oncall") -> tuple[AwsClients, Stubber]:
    """A stub (botocore Stubber) in place of CloudFormation, for error responses only."""
    from services.core.config import Profile

    clients = AwsClients(
        Profile(name="stub", stack=profile_stack, region="eu-west-1", aws_profile="", endpoint_url="http://127.0.0.1:9")
    )
    client = clients.client("cloudformation")
    clients.profile = replace(clients.profile, aws_profile=aws_profile)
    stub = Stubber(client)
    stub.activate()
    return clients, stub


@pytest.mark.parametrize("code", ["ExpiredToken", "ExpiredTokenException", "RequestExpired"])
async def test_expired_credentials_point_at_sso_login(code: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "stub")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "stub")
    clients, stub = stubbed()
    stub.add_client_error("describe_stacks", service_error_code=code, http_status_code=403)
    with pytest.raises(CredentialsExpired, match=r"aws sso login --profile oncall"):
        await clients.call("cloudformation", "describe_stacks", StackName="ttes-demo")


async def test_throttling_past_retries_is_one_sentence(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "stub")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "stub")
    clients, stub = stubbed()
    stub.add_client_error("describe_stacks", service_error_code="Throttling", http_status_code=400)
    with pytest.raises(Throttled, match="throttling cloudformation:describe_stacks"):
        await clients.call("cloudformation", "describe_stacks", StackName="ttes-demo")


async def test_access_denied_names_the_call(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "stub")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "stub")
    clients, stub = stubbed()
    stub.add_client_error(
        "describe_stacks",
        service_error_code="AccessDenied",
        service_message="User: arn:aws:iam::1:user/x is not authorized to perform: cloudformation:DescribeStacks",
        http_status_code=403,
    )
    with pytest.raises(AccessDenied, match="AWS denied cloudformation:describe_stacks"):
        await clients.call("cloudformation", "describe_stacks", StackName="ttes-demo")
