"""The AWS half of the sandbox's story (sandbox/history.py): the update's stack events, backdated on
moto's stack, and ``DescribeEvents`` of RDS and ElastiCache answered around moto, which has none
for ElastiCache and keeps no RDS events for what it did not do, in the services' own XML.
"""

from __future__ import annotations

import io
import json
import time
import urllib.parse
from datetime import UTC, datetime
from typing import Any
from xml.sax.saxutils import escape

from sandbox.history import NEW_INSTANCE_TYPE, Story

# --- CloudFormation ------------------------------------------------------------------------


def add_stack_events(stack: Any, story: Story) -> None:
    """The update that changed the instance type, as backdated events on moto's stack."""
    from moto.cloudformation.models import Event

    instance = next((r for r in stack.resource_map.values() if type(r).__name__ == "Instance"), None)
    instance_id = getattr(instance, "id", "") or ""
    steps = [
        (
            story.update_start,
            stack.name,
            "AWS::CloudFormation::Stack",
            stack.stack_id,
            "UPDATE_IN_PROGRESS",
            "User Initiated",
        ),
        (story.update_start + 20, "Instance", "AWS::EC2::Instance", instance_id, "UPDATE_IN_PROGRESS", None),
        (story.update_end - 20, "Instance", "AWS::EC2::Instance", instance_id, "UPDATE_COMPLETE", None),
        (
            story.update_end - 10,
            stack.name,
            "AWS::CloudFormation::Stack",
            stack.stack_id,
            "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS",
            None,
        ),
        (story.update_end, stack.name, "AWS::CloudFormation::Stack", stack.stack_id, "UPDATE_COMPLETE", None),
    ]
    for when, lid, rtype, physical, status, reason in steps:
        event = Event(
            stack_id=stack.stack_id,
            stack_name=stack.name,
            logical_resource_id=lid,
            physical_resource_id=physical,
            resource_type=rtype,
            resource_status=status,
            resource_status_reason=reason,
            resource_properties=json.dumps({"InstanceType": NEW_INSTANCE_TYPE})
            if rtype == "AWS::EC2::Instance"
            else None,
        )
        event.timestamp = datetime.fromtimestamp(when, UTC)
        stack.events.append(event)
    stack.events.sort(key=lambda e: e.timestamp)


def seed_stack(ctx: Any, story: Story) -> None:
    """Backdate the stack's creation before the story and add the update's events."""
    from moto.cloudformation.models import cloudformation_backends

    from sandbox.context import ACCOUNT_ID

    backend = cloudformation_backends[ACCOUNT_ID][ctx.region]
    stack = next(s for s in backend.stacks.values() if s.name == ctx.stack_name)
    for logical, resource in stack.resource_map.items():
        physical = str(getattr(resource, "physical_resource_id", "") or "")
        if logical == "Database" and physical:
            story.database = physical
        elif logical == "Redis" and physical:
            story.redis = physical
    created = datetime.fromtimestamp(story.started - 30 * 86400, UTC)
    stack.creation_time = created
    for event in stack.events:
        event.timestamp = created
    add_stack_events(stack, story)
    # What the update left behind: the new instance type, and the stack's status.
    stack.resource_map.resolved_parameters["InstanceType"] = NEW_INSTANCE_TYPE
    if isinstance(stack.parameters, dict) and "InstanceType" in stack.parameters:
        stack.parameters["InstanceType"] = NEW_INSTANCE_TYPE
    stack.status = "UPDATE_COMPLETE"


# --- RDS and ElastiCache events -------------------------------------------------------------


def rds_events(story: Story) -> list[dict[str, Any]]:
    return [
        {
            "SourceIdentifier": story.database,
            "SourceType": "db-instance",
            "time": story.snapshot,
            "Message": "Manual snapshot created",
            "EventCategories": ["backup"],
        },
        {
            "SourceIdentifier": story.database,
            "SourceType": "db-instance",
            "time": story.started - 5 * 3600,
            "Message": "Automated backup completed",
            "EventCategories": ["backup"],
        },
    ]


def elasticache_events(story: Story) -> list[dict[str, Any]]:
    node = f"{story.redis}-001"
    return [
        {
            "SourceIdentifier": story.redis,
            "SourceType": "replication-group",
            "time": story.failover,
            "Message": f"Failover from primary node {node} to replica node {story.redis}-002 completed",
        },
        {
            "SourceIdentifier": node,
            "SourceType": "cache-cluster",
            "time": story.failover + 180,
            "Message": "Recovering cache nodes 0001",
        },
    ]


class EventsMiddleware:
    """Answers RDS and ElastiCache ``DescribeEvents`` from the story; everything else goes to moto."""

    def __init__(self, app: Any, story: Story) -> None:
        self.app = app
        self.story = story

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        auth = environ.get("HTTP_AUTHORIZATION", "")
        service = next((s for s in ("elasticache", "rds") if f"/{s}/aws4_request" in auth), "")
        if not service or not environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded"):
            return self.app(environ, start_response)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(length)
        form = dict(urllib.parse.parse_qsl(raw.decode()))
        if form.get("Action") != "DescribeEvents":
            environ["wsgi.input"] = io.BytesIO(raw)
            return self.app(environ, start_response)
        body = self._describe(service, form).encode()
        start_response("200 OK", [("Content-Type", "text/xml"), ("Content-Length", str(len(body)))])
        return [body]

    def _describe(self, service: str, form: dict[str, str]) -> str:
        events = rds_events(self.story) if service == "rds" else elasticache_events(self.story)
        start = _parse_time(form.get("StartTime")) or time.time() - 3600
        end = _parse_time(form.get("EndTime")) or time.time()
        ident = form.get("SourceIdentifier")
        kind = form.get("SourceType")
        chosen = [
            e
            for e in events
            if start <= e["time"] <= end
            and (not ident or ident == e["SourceIdentifier"])
            and (not kind or kind == e["SourceType"])
        ]
        items = "".join(_event_xml(service, e) for e in sorted(chosen, key=lambda e: e["time"]))
        ns = (
            "http://rds.amazonaws.com/doc/2014-10-31/"
            if service == "rds"
            else "http://elasticache.amazonaws.com/doc/2015-02-02/"
        )
        return (
            f'<DescribeEventsResponse xmlns="{ns}"><DescribeEventsResult><Events>{items}</Events>'
            f"</DescribeEventsResult><ResponseMetadata><RequestId>sandbox-events</RequestId></ResponseMetadata>"
            f"</DescribeEventsResponse>"
        )


def _parse_time(text: str | None) -> float | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def _event_xml(service: str, event: dict[str, Any]) -> str:
    stamp = datetime.fromtimestamp(event["time"], UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    categories = "".join(f"<EventCategory>{escape(c)}</EventCategory>" for c in event.get("EventCategories", []))
    extra = f"<EventCategories>{categories}</EventCategories>" if service == "rds" else ""
    return (
        f"<Event><SourceIdentifier>{escape(event['SourceIdentifier'])}</SourceIdentifier>"
        f"<SourceType>{escape(event['SourceType'])}</SourceType><Message>{escape(event['Message'])}</Message>"
        f"<Date>{stamp}</Date>{extra}</Event>"
    )
