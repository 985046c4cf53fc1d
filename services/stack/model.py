"""The CloudFormation stack: status, outputs, parameters, resources, and its event stream."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from services.core.aws import AwsClients

STATEFUL_TYPES = frozenset(
    {
        "AWS::RDS::DBInstance",
        "AWS::RDS::DBCluster",
        "AWS::ElastiCache::ReplicationGroup",
        "AWS::ElastiCache::CacheCluster",
    }
)
MIGRATION_WARNING = "requires manual migration of the database"


@dataclass(frozen=True)
class StackParameter:
    """A template parameter with its current value and the template's description."""

    key: str
    value: str
    description: str = ""
    no_echo: bool = False

    @property
    def requires_migration(self) -> bool:
        """The template warns that changing it needs a manual database migration."""
        return MIGRATION_WARNING in self.description.lower()


@dataclass(frozen=True)
class StackResource:
    """One resource of the stack."""

    logical_id: str
    type: str
    physical_id: str
    status: str
    status_reason: str = ""
    last_updated: datetime | None = None

    @property
    def stateful(self) -> bool:
        """It holds the network's data (a database or a cache)."""
        return self.type in STATEFUL_TYPES


@dataclass(frozen=True)
class Stack:
    """What the stack deployed and what state it is in."""

    name: str
    stack_id: str
    region: str
    status: str
    status_reason: str
    outputs: Mapping[str, str]
    parameters: tuple[StackParameter, ...]
    resources: tuple[StackResource, ...]
    created: datetime | None
    last_updated: datetime | None
    description: str = ""
    output_descriptions: Mapping[str, str] = field(default_factory=dict)

    @property
    def public_ip(self) -> str:
        return self.outputs.get("PublicIP", "")

    @property
    def domain(self) -> str:
        return self.outputs.get("Domain", "")

    def parameter(self, key: str) -> StackParameter | None:
        return next((p for p in self.parameters if p.key == key), None)


@dataclass(frozen=True)
class StackEvent:
    """One stack event (CloudFormation's describe_stack_events)."""

    event_id: str
    timestamp: datetime
    logical_id: str
    resource_type: str
    status: str
    reason: str = ""
    physical_id: str = ""


async def load_stack(clients: AwsClients) -> Stack:
    """Load the profile's stack: description, template parameter descriptions and resources."""
    name = clients.profile.stack
    described, summary, resources = await asyncio.gather(
        clients.call("cloudformation", "describe_stacks", StackName=name),
        clients.call("cloudformation", "get_template_summary", StackName=name),
        _list_resources(clients, name),
    )
    raw = described["Stacks"][0]
    declared = {p["ParameterKey"]: p for p in summary.get("Parameters", [])}
    parameters = tuple(
        StackParameter(
            key=p["ParameterKey"],
            value=str(p.get("ParameterValue", "")),
            description=str(declared.get(p["ParameterKey"], {}).get("Description", "")),
            no_echo=bool(declared.get(p["ParameterKey"], {}).get("NoEcho", False)),
        )
        for p in raw.get("Parameters", [])
    )
    outputs = {o["OutputKey"]: str(o.get("OutputValue", "")) for o in raw.get("Outputs", [])}
    return Stack(
        name=raw.get("StackName", name),
        stack_id=raw.get("StackId", ""),
        region=clients.profile.region,
        status=raw.get("StackStatus", ""),
        status_reason=raw.get("StackStatusReason", ""),
        outputs=outputs,
        output_descriptions={o["OutputKey"]: str(o.get("Description", "")) for o in raw.get("Outputs", [])},
        parameters=parameters,
        resources=resources,
        created=raw.get("CreationTime"),
        last_updated=raw.get("LastUpdatedTime") or raw.get("CreationTime"),
        description=str(raw.get("Description", "")),
    )


async def _list_resources(clients: AwsClients, name: str) -> tuple[StackResource, ...]:
    resources: list[StackResource] = []
    kwargs: dict[str, Any] = {"StackName": name}
    while True:
        page = await clients.call("cloudformation", "list_stack_resources", **kwargs)
        for r in page.get("StackResourceSummaries", []):
            resources.append(
                StackResource(
                    logical_id=r["LogicalResourceId"],
                    type=r["ResourceType"],
                    physical_id=r.get("PhysicalResourceId", ""),
                    status=r.get("ResourceStatus", ""),
                    status_reason=r.get("ResourceStatusReason", ""),
                    last_updated=r.get("LastUpdatedTimestamp"),
                )
            )
        token = page.get("NextToken")
        if not token:
            return tuple(resources)
        kwargs["NextToken"] = token


def _event(raw: Mapping[str, Any]) -> StackEvent:
    return StackEvent(
        event_id=raw["EventId"],
        timestamp=raw["Timestamp"],
        logical_id=raw.get("LogicalResourceId", ""),
        resource_type=raw.get("ResourceType", ""),
        status=raw.get("ResourceStatus", ""),
        reason=raw.get("ResourceStatusReason", ""),
        physical_id=raw.get("PhysicalResourceId", ""),
    )


async def new_events(clients: AwsClients, seen: set[str], stack: str | None = None) -> list[StackEvent]:
    """Events not in ``seen`` (which is updated), oldest first.

    CloudFormation returns events newest first, paginated: read pages until one holds an event
    already seen, so following a busy stack costs one call per poll.
    """
    kwargs: dict[str, Any] = {"StackName": stack or clients.profile.stack}
    fresh: list[StackEvent] = []
    while True:
        page = await clients.call("cloudformation", "describe_stack_events", **kwargs)
        reached_seen = False
        for raw in page.get("StackEvents", []):
            if raw["EventId"] in seen:
                reached_seen = True
                continue
            seen.add(raw["EventId"])
            fresh.append(_event(raw))
        token = page.get("NextToken")
        if reached_seen or not token:
            break
        kwargs["NextToken"] = token
    fresh.reverse()  # pages are newest first; the stable sort keeps same-second events in order
    fresh.sort(key=lambda e: e.timestamp)
    return fresh


async def follow_events(
    clients: AwsClients, interval: float = 5.0, backlog: int = 50, stack: str | None = None
) -> AsyncIterator[list[StackEvent]]:
    """Yield the latest ``backlog`` events, then each poll's new events (oldest first)."""
    seen: set[str] = set()
    first = await new_events(clients, seen, stack)
    yield first[-backlog:] if backlog else []
    while True:
        await asyncio.sleep(interval)
        batch = await new_events(clients, seen, stack)
        if batch:
            yield batch


def stack_as_json(stack: Stack) -> dict[str, Any]:
    """The ``stack --json`` document."""
    return {
        "stack": stack.name,
        "region": stack.region,
        "status": stack.status,
        "status_reason": stack.status_reason,
        "outputs": dict(stack.outputs),
        "parameters": {p.key: ("****" if p.no_echo else p.value) for p in stack.parameters},
        "resources": [
            {"logical_id": r.logical_id, "type": r.type, "physical_id": r.physical_id, "status": r.status}
            for r in stack.resources
        ],
        "last_updated": stack.last_updated.isoformat() if stack.last_updated else None,
    }
