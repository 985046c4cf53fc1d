"""Timeline sources on shapes moto does not produce: EC2 scheduled events, paginated RDS events,
stack events over several pages, a rollback. The responses are botocore ``Stubber`` stubs,
validated against each service's API model, as AWS documents them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from services.core.config import Profile
from services.stack.model import Stack, StackResource
from services.timeline import aws_sources
from tests.stubbed_clients import StubbedClients

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
SINCE = NOW - timedelta(hours=3)


@pytest.fixture
def clients() -> Iterator[StubbedClients]:
    c = StubbedClients(Profile(name="stub", stack="ttes-prod", region="eu-west-1"), ("cloudformation", "rds", "ec2"))
    yield c
    for stubber in c.stubbers.values():
        stubber.assert_no_pending_responses()


def _stack() -> Stack:
    resources = (
        StackResource("Instance", "AWS::EC2::Instance", "i-0abc", "UPDATE_COMPLETE", "", None),
        StackResource("Database", "AWS::RDS::DBInstance", "ttes-prod-db", "UPDATE_COMPLETE", "", None),
    )
    return Stack("ttes-prod", "id", "eu-west-1", "UPDATE_COMPLETE", "", {}, (), resources, None, None)


def _event(n: int, when: datetime, status: str, lid: str = "ttes-prod", reason: str = "") -> dict[str, Any]:
    rtype = "AWS::CloudFormation::Stack" if lid == "ttes-prod" else "AWS::EC2::Instance"
    event = {
        "StackId": "arn:aws:cloudformation:eu-west-1:123456789012:stack/ttes-prod/1",
        "EventId": f"ev-{n}",
        "StackName": "ttes-prod",
        "LogicalResourceId": lid,
        "ResourceType": rtype,
        "Timestamp": when,
        "ResourceStatus": status,
    }
    if reason:
        event["ResourceStatusReason"] = reason
    return event


async def test_stack_events_are_read_back_to_the_range_and_rollbacks_marked(clients: StubbedClients) -> None:
    cfn = clients.stubbers["cloudformation"]
    page1 = [
        _event(4, NOW - timedelta(minutes=10), "UPDATE_ROLLBACK_COMPLETE"),
        _event(3, NOW - timedelta(minutes=20), "UPDATE_FAILED", "Instance", "Resource creation cancelled"),
    ]
    page2 = [
        _event(2, NOW - timedelta(minutes=30), "UPDATE_IN_PROGRESS", reason="User Initiated"),
        _event(1, NOW - timedelta(days=2), "CREATE_COMPLETE"),
    ]
    cfn.add_response("describe_stack_events", {"StackEvents": page1, "NextToken": "t2"}, {"StackName": "ttes-prod"})
    cfn.add_response(
        "describe_stack_events",
        {"StackEvents": page2, "NextToken": "t3"},
        {"StackName": "ttes-prod", "NextToken": "t2"},
    )
    items = await aws_sources.stack_event_items(clients, SINCE)  # page 3 is never asked: page 2 reached the start
    assert [(i.kind, i.severity) for i in items] == [("rollback", "warning"), ("failed", "error"), ("update", "notice")]
    assert items[1].summary == "Instance (AWS::EC2::Instance) UPDATE_FAILED: Resource creation cancelled"
    assert items[0].ref == "stack-event:ev-4"


async def test_rds_events_follow_markers(clients: StubbedClients) -> None:
    rds = clients.stubbers["rds"]
    expected = {"StartTime": SINCE, "EndTime": NOW, "SourceType": "db-instance", "SourceIdentifier": "ttes-prod-db"}
    first = {
        "SourceIdentifier": "ttes-prod-db",
        "SourceType": "db-instance",
        "Message": "Multi-AZ instance failover started",
        "Date": NOW - timedelta(minutes=40),
        "EventCategories": ["failover"],
    }
    second = {
        "SourceIdentifier": "ttes-prod-db",
        "SourceType": "db-instance",
        "Message": "DB instance restarted",
        "Date": NOW - timedelta(minutes=38),
        "EventCategories": ["availability"],
    }
    rds.add_response("describe_events", {"Events": [first], "Marker": "m2"}, expected)
    rds.add_response("describe_events", {"Events": [second]}, {**expected, "Marker": "m2"})
    items = await aws_sources.rds_items(clients, _stack(), SINCE, NOW)
    assert [(i.kind, i.severity) for i in items] == [("failover", "warning"), ("restart", "warning")]
    assert items[0].summary == "ttes-prod-db: Multi-AZ instance failover started"


async def test_ec2_scheduled_events_are_placed_at_their_start_or_now(clients: StubbedClients) -> None:
    ec2 = clients.stubbers["ec2"]
    status = {
        "InstanceId": "i-0abc",
        "Events": [
            {
                "InstanceEventId": "instance-event-1",
                "Code": "system-reboot",
                "Description": "scheduled reboot",
                "NotBefore": NOW + timedelta(days=3),
                "NotAfter": NOW + timedelta(days=3, hours=2),
            },
        ],
    }
    ec2.add_response(
        "describe_instance_status",
        {"InstanceStatuses": [status]},
        {"InstanceIds": ["i-0abc"], "IncludeAllInstances": True},
    )
    items = await aws_sources.ec2_items(clients, _stack(), NOW)
    assert len(items) == 1 and items[0].time == NOW and items[0].severity == "warning"
    assert "scheduled system-reboot from 2026-11-29 12:00 UTC: scheduled reboot" in items[0].summary
    assert items[0].ref == "ec2-event:i-0abc/instance-event-1"


def test_coarse_cloudwatch_sums_are_spread_over_their_minutes() -> None:
    assert aws_sources.spread((10.0, 0, 0, 0, 0, 5.0, 0, 0, 0, 0)) == (2.0,) * 5 + (1.0,) * 5
    assert aws_sources.spread((3.0, 4.0, 0, 0, 5.0)) == (3.0, 4.0, 0, 0, 5.0)  # per-minute data stays
