"""The sandbox's change computation: schemas, conditions, template edits, additions and removals."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sandbox.changes_diff import compute_changes, create_only
from services.changes.classify import classify_changes, parse_template

TEMPLATE = """
Parameters:
  RDSSnapshotArn: {Type: String, Default: ""}
  DatabaseName: {Type: String, Default: ttn_lorawan}
Conditions:
  Restore: !Not [!Equals [!Ref RDSSnapshotArn, ""]]
Resources:
  Database:
    Type: AWS::RDS::DBInstance
    DeletionPolicy: Snapshot
    UpdateReplacePolicy: Snapshot
    Properties:
      DBName: !Ref DatabaseName
      DBSnapshotIdentifier: !If [Restore, !Ref RDSSnapshotArn, !Ref "AWS::NoValue"]
      AllocatedStorage: "20"
  Bucket:
    Type: AWS::S3::Bucket
    DeletionPolicy: Retain
"""


@dataclass
class FakeResource:
    logical_resource_id: str
    physical_resource_id: str


@dataclass
class FakeResourceMap:
    resolved_parameters: dict[str, Any]
    resources: list[FakeResource] = field(default_factory=list)

    def values(self) -> list[FakeResource]:
        return self.resources


@dataclass
class FakeStack:
    """The two things compute_changes reads from a moto Stack."""

    template_dict: dict[str, Any]
    resource_map: FakeResourceMap


def stack(params: dict[str, Any]) -> FakeStack:
    resources = [FakeResource("Database", "db-1"), FakeResource("Bucket", "bucket-1")]
    return FakeStack(parse_template(TEMPLATE), FakeResourceMap(params, resources))


BASE = {"RDSSnapshotArn": "", "DatabaseName": "ttn_lorawan"}


def test_schemas_come_from_cfn_lint() -> None:
    always, conditionally = create_only("AWS::RDS::DBInstance")
    assert "DBName" in always and "DBSnapshotIdentifier" in conditionally
    assert create_only("AWS::Nope::Nothing") == (frozenset(), frozenset())


def test_a_condition_decided_by_a_parameter_is_a_conditional_replacement_caused_by_it() -> None:
    changes = compute_changes(stack(BASE), parse_template(TEMPLATE), dict(BASE, RDSSnapshotArn="arn:snap"))
    assert changes == [
        {
            "Action": "Modify",
            "LogicalResourceId": "Database",
            "PhysicalResourceId": "db-1",
            "ResourceType": "AWS::RDS::DBInstance",
            "Replacement": "Conditional",
            "Scope": ["Properties"],
            "PolicyAction": "ReplaceAndSnapshot",
            "Details": [
                {
                    "Target": {
                        "Attribute": "Properties",
                        "RequiresRecreation": "Conditionally",
                        "Name": "DBSnapshotIdentifier",
                    },
                    "Evaluation": "Static",
                    "ChangeSource": "ParameterReference",
                    "CausingEntity": "RDSSnapshotArn",
                }
            ],
        }
    ]


def test_unchanged_values_make_no_changes() -> None:
    assert compute_changes(stack(BASE), parse_template(TEMPLATE), dict(BASE)) == []


def test_template_edits_additions_and_removals() -> None:
    edited = parse_template(
        TEMPLATE.replace('AllocatedStorage: "20"', 'AllocatedStorage: "50"').replace(
            "  Bucket:\n    Type: AWS::S3::Bucket\n    DeletionPolicy: Retain\n",
            "  Topic:\n    Type: AWS::SNS::Topic\n",
        )
    )
    changes = classify_changes(
        {"Type": "Resource", "ResourceChange": c} for c in compute_changes(stack(BASE), edited, dict(BASE))
    )
    summary = [(c.action, c.logical_id, c.replacement, c.policy_action, c.cause_texts) for c in changes]
    assert summary == [
        ("Remove", "Bucket", "", "Retain", ()),
        ("Modify", "Database", "False", "", ("AllocatedStorage ← template edit",)),
        ("Add", "Topic", "", "", ()),
    ]
