"""Change-set classification against real-shaped describe_change_set responses.

The responses are botocore ``Stubber`` stubs, validated against CloudFormation's API model:
shapes moto does not produce (Replacement True/Conditional, PolicyAction, Details, several
pages) as AWS documents them. Also the pure parts: parameter validation and impact.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from sandbox.aws import template_body
from services.changes.changesets import create_change_set, describe_change_set, validate_parameters
from services.changes.classify import parameter_impact, parse_template, template_parameters
from services.core.audit import read_records
from services.core.config import Profile
from services.core.errors import InvalidParameter, ReadOnlyRefused, StackNotReady
from services.stack.model import Stack, StackParameter
from tests.stubbed_clients import StubbedClients

CREATED = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
CS_ARN = "arn:aws:cloudformation:eu-west-1:123456789012:changeSet/ttes-console-x/0a1b2c3d"


@pytest.fixture
def clients(tmp_path: Path) -> Iterator[StubbedClients]:
    c = StubbedClients(Profile(name="stub", stack="ttes-prod", audit_log=str(tmp_path / "audit.jsonl")), ("cloudformation", "sts"))
    yield c
    for stubber in c.stubbers.values():
        stubber.assert_no_pending_responses()


def change(lid: str, rtype: str, replacement: str, *details: dict[str, Any], policy: str = "") -> dict[str, Any]:
    rc: dict[str, Any] = {
        "Action": "Modify",
        "LogicalResourceId": lid,
        "PhysicalResourceId": f"{lid.lower()}-1",
        "ResourceType": rtype,
        "Replacement": replacement,
        "Scope": ["Properties"],
        "Details": list(details),
    }
    if policy:
        rc["PolicyAction"] = policy
    return {"Type": "Resource", "ResourceChange": rc}


def detail(name: str, recreation: str, source: str = "ParameterReference", entity: str = "") -> dict[str, Any]:
    d: dict[str, Any] = {
        "Target": {"Attribute": "Properties", "Name": name, "RequiresRecreation": recreation},
        "Evaluation": "Static",
        "ChangeSource": source,
    }
    if entity:
        d["CausingEntity"] = entity
    return d


def page(
    changes: list[dict[str, Any]], token: str | None = None, status: str = "CREATE_COMPLETE", reason: str | None = None
) -> dict[str, Any]:
    p: dict[str, Any] = {
        "ChangeSetName": "ttes-console-x",
        "ChangeSetId": CS_ARN,
        "StackName": "ttes-prod",
        "StackId": "arn:aws:cloudformation:eu-west-1:123456789012:stack/ttes-prod/1",
        "CreationTime": CREATED,
        "ExecutionStatus": "AVAILABLE" if status == "CREATE_COMPLETE" else "UNAVAILABLE",
        "Status": status,
        "Changes": changes,
        "Parameters": [{"ParameterKey": "DatabaseName", "ParameterValue": "other"}],
    }
    if token:
        p["NextToken"] = token
    if reason:
        p["StatusReason"] = reason
    return p


async def test_stub_every_page_is_read_and_dangerous_changes_come_first(clients: StubbedClients) -> None:
    first = [
        change(
            "SecurityGroup",
            "AWS::EC2::SecurityGroup",
            "False",
            detail("SecurityGroupIngress", "Never", entity="SSHLocation"),
        ),
        change(
            "Instance",
            "AWS::EC2::Instance",
            "Conditional",
            detail("InstanceType", "Conditionally", entity="InstanceType"),
            policy="ReplaceAndDelete",
        ),
    ]
    second = [
        change(
            "Database",
            "AWS::RDS::DBInstance",
            "True",
            detail("DBName", "Always", entity="DatabaseName"),
            detail("DBName", "Always", "DirectModification"),
            policy="ReplaceAndSnapshot",
        ),
        change(
            "Redis",
            "AWS::ElastiCache::ReplicationGroup",
            "Conditional",
            detail("AuthToken", "Conditionally", entity="ElastiCachePassword"),
            policy="ReplaceAndSnapshot",
        ),
    ]
    cfn = clients.stubbers["cloudformation"]
    cfn.add_response(
        "describe_change_set",
        page(first, token="page-2"),
        {"ChangeSetName": "ttes-console-x", "StackName": "ttes-prod"},
    )
    cfn.add_response(
        "describe_change_set",
        page(second),
        {"ChangeSetName": "ttes-console-x", "StackName": "ttes-prod", "NextToken": "page-2"},
    )

    plan = await describe_change_set(clients, "ttes-console-x")

    assert [c.logical_id for c in plan.changes] == ["Database", "Redis", "Instance", "SecurityGroup"]
    assert [c.logical_id for c in plan.requires_snapshot] == ["Database", "Redis"]
    db = plan.changes[0]
    assert (db.replacement, db.policy_action, db.stateful) == ("True", "ReplaceAndSnapshot", True)
    assert db.cause_texts == (
        "DBName ← parameter DatabaseName (always recreates)",
        "DBName ← template edit (always recreates)",
    )
    assert plan.verdict == (
        "4 changes, 1 replaces the RDS database database-1, 1 may replace the ElastiCache Redis redis-1, "
        "1 may replace the EC2 instance instance-1"
    )
    assert any("Let's Encrypt" in w and "5 per domain per week" in w for w in plan.warnings)
    doc = plan.as_json()
    assert doc["requires_snapshot"] == ["Database", "Redis"]
    assert doc["changes"][3] == {
        "action": "Modify",
        "logical_id": "SecurityGroup",
        "type": "AWS::EC2::SecurityGroup",
        "replacement": "False",
        "policy_action": "",
        "stateful": False,
        "causes": ["SecurityGroupIngress ← parameter SSHLocation"],
    }
    assert plan.created == CREATED and plan.parameters == {"DatabaseName": "other"}


async def test_stub_no_changes_is_nothing_to_do_not_an_error(clients: StubbedClients) -> None:
    reason = "The submitted information didn't contain changes. Submit different information to create a change set."
    clients.stubbers["cloudformation"].add_response(
        "describe_change_set",
        page([], status="FAILED", reason=reason),
        {"ChangeSetName": "ttes-console-x", "StackName": "ttes-prod"},
    )
    plan = await describe_change_set(clients, "ttes-console-x")
    assert plan.no_changes and plan.as_json()["status"] == "no changes" and plan.requires_snapshot == ()


async def test_stub_a_busy_stack_is_refused_before_creating(clients: StubbedClients) -> None:
    stack = Stack("ttes-prod", "id", "eu-west-1", "UPDATE_IN_PROGRESS", "", {}, (), (), None, None)
    from services.changes.changesets import UpdateDraft

    draft = UpdateDraft(stack=stack, declared=(), values={}, changed=(), impact={}, api_parameters=())
    clients.stubbers["cloudformation"].add_response(
        "describe_stacks",
        {"Stacks": [{"StackName": "ttes-prod", "StackStatus": "UPDATE_IN_PROGRESS", "CreationTime": CREATED}]},
        {"StackName": "ttes-prod"},
    )
    with pytest.raises(StackNotReady, match="is UPDATE_IN_PROGRESS; an update can start only from a"):
        await create_change_set(clients, draft, read_only=False)
    with pytest.raises(ReadOnlyRefused):
        await create_change_set(clients, draft, read_only=True)
    records = read_records(clients.profile)
    assert [(r.action, r.outcome) for r in records] == [("create_change_set", "refused")] * 2
    assert "UPDATE_IN_PROGRESS" in records[0].detail and records[1].detail == "--read-only"


# --- parameters -------------------------------------------------------------------------

SANDBOX_TEMPLATE = parse_template(template_body())


def declared() -> tuple[Any, ...]:
    """The sandbox template's parameters in get_template_summary's shape."""
    summary = {
        "Parameters": [
            {
                "ParameterKey": key,
                "Description": p.get("Description", ""),
                "DefaultValue": p.get("Default"),
                "NoEcho": p.get("NoEcho", False),
                "ParameterType": p.get("Type", "String"),
                "ParameterConstraints": {"AllowedValues": p["AllowedValues"]} if "AllowedValues" in p else {},
            }
            for key, p in SANDBOX_TEMPLATE["Parameters"].items()
        ]
    }
    return template_parameters(summary)


def current_stack() -> Stack:
    params = tuple(
        StackParameter(p.key, "secret" if p.no_echo else (p.default or "x"), p.description, p.no_echo)
        for p in declared()
    )
    return Stack("ttes-demo", "id", "eu-west-1", "UPDATE_COMPLETE", "", {}, params, (), None, None)


def test_unchanged_and_no_echo_parameters_are_sent_as_previous_values() -> None:
    api, changed = validate_parameters(
        declared(), current_stack(), {"DatabaseName": "other", "InstanceType": "t3.small"}
    )
    assert changed == ("DatabaseName",)
    by_key = {p["ParameterKey"]: p for p in api}
    assert by_key["DatabaseName"] == {"ParameterKey": "DatabaseName", "ParameterValue": "other"}
    assert by_key["DatabasePassword"] == {"ParameterKey": "DatabasePassword", "UsePreviousValue": True}
    assert all("ParameterValue" not in by_key[k] for k in ("AdminPassword", "ElastiCachePassword"))


def test_unknown_and_disallowed_values_are_refused_with_the_choices() -> None:
    with pytest.raises(InvalidParameter, match=r"'t3\.nano' is not an allowed value of InstanceType; choose one of"):
        validate_parameters(declared(), current_stack(), {"InstanceType": "t3.nano"})
    with pytest.raises(InvalidParameter, match="The template has no parameter DBName"):
        validate_parameters(declared(), current_stack(), {"DBName": "x"})


def test_parameter_impact_names_resources_and_migration_warnings() -> None:
    impact = parameter_impact(SANDBOX_TEMPLATE, declared())
    assert impact["DatabaseName"].resources == (("Database", "AWS::RDS::DBInstance"),)
    assert impact["DatabaseName"].requires_migration and "manual migration" in impact["DatabaseName"].warning
    assert impact["ElastiCachePassword"].stateful_resources == ("Redis",)
    assert impact["SSHLocation"].resources == (("SecurityGroup", "AWS::EC2::SecurityGroup"),)
    assert impact["InstanceType"].resources == (("Instance", "AWS::EC2::Instance"),)
    assert not impact["InstanceType"].requires_migration and impact["InstanceType"].warning == ""
    assert impact["Domain"].resources == ()


def test_conditions_carry_parameters_to_the_resources_they_gate() -> None:
    template = parse_template(
        "Parameters: {Snap: {Type: String}}\n"
        "Conditions:\n  HasSnap: !Not [!Equals [!Ref Snap, '']]\n"
        "Resources:\n  Db:\n    Type: AWS::RDS::DBInstance\n"
        "    Properties:\n      DBSnapshotIdentifier: !If [HasSnap, !Ref Snap, !Ref 'AWS::NoValue']\n"
        "      DBName: !Sub '${AWS::StackName}-db'\n"
    )
    impact = parameter_impact(template, template_parameters({"Parameters": [{"ParameterKey": "Snap"}]}))
    assert impact["Snap"].resources == (("Db", "AWS::RDS::DBInstance"),)


async def test_stub_an_execution_that_fails_before_touching_the_stack_ends_the_follow(
    clients: StubbedClients,
) -> None:
    from services.changes.changesets import plan_from_pages
    from services.changes.execute import Execution, follow_update

    plan = plan_from_pages(page([]), [])
    cfn = clients.stubbers["cloudformation"]
    cfn.add_response("describe_stack_events", {"StackEvents": []}, {"StackName": "ttes-prod"})
    cfn.add_response(
        "describe_stacks",
        {"Stacks": [{"StackName": "ttes-prod", "StackStatus": "UPDATE_COMPLETE", "CreationTime": CREATED}]},
        {"StackName": "ttes-prod"},
    )
    failed = dict(page([]), ExecutionStatus="EXECUTE_FAILED", StatusReason="Action denied by stack policy")
    cfn.add_response("describe_change_set", failed, {"ChangeSetName": CS_ARN, "StackName": "ttes-prod"})
    progress = [p async for p in follow_update(clients, Execution(plan=plan, seen=set()), interval=0)]
    assert len(progress) == 1 and progress[0].finished and not progress[0].succeeded
    assert progress[0].failures == ("ttes-console-x: execution EXECUTE_FAILED: Action denied by stack policy",)
