"""What an executed change set leaves in moto's stack, and how its resources are listed.

moto applies a new template by re-parsing it, and leaves ``None`` for models it cannot update
(RDS and EC2 instances); and it lists every resource ``CREATE_COMPLETE`` at the stack's creation
time. CloudFormation keeps every resource and lists each one's latest status.
"""

from __future__ import annotations

import json
from typing import Any


def parameter_text(value: Any) -> str:
    """A parameter value as CloudFormation keeps it (lists comma-joined)."""
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return str(value)


def apply_change_set(stack: Any, cs: Any) -> None:
    """Let moto apply the new template and parameters; keep the stack consistent if a model cannot."""
    params = cs.sandbox_parameters
    before = dict(stack.resource_map._parsed_resources)
    try:
        stack.resource_map.update(cs.template_dict, {k: parameter_text(v) for k, v in params.items()})
    except Exception:
        stack.resource_map._template = cs.template_dict
        stack.resource_map.input_parameters = {k: parameter_text(v) for k, v in params.items()}
        stack.resource_map.load_parameters()
        stack.resource_map._resource_json_map = cs.template_dict["Resources"]
    # moto cannot update some models (RDS instances, EC2 instances) and leaves None in their place,
    # which lists as a blank resource row; keep the model it had, as the resource still exists.
    parsed = stack.resource_map._parsed_resources
    for logical_id, model in before.items():
        if parsed.get(logical_id, model) is None and model is not None:
            parsed[logical_id] = model
    stack.template = cs.template if isinstance(cs.template, str) else json.dumps(cs.template)
    stack.template_dict = cs.template_dict
    stack.parameters = {k: parameter_text(v) for k, v in params.items()}
    stack.output_map = stack._create_output_map()


def response_list_stack_resources(self: Any) -> Any:
    # moto lists every resource CREATE_COMPLETE at the stack's creation time; CloudFormation
    # shows each resource's latest status and when it changed, which the sandbox's events hold.
    from moto.core.responses import ActionResult

    stack, resources = self.cloudformation_backend.list_stack_resources(self._get_param("StackName"))
    # A listed resource exists: its DELETE_* events are the cleanup of the physical one it replaced.
    latest = {
        e.logical_resource_id: e
        for e in stack.events
        if e.resource_type != "AWS::CloudFormation::Stack" and not e.resource_status.startswith("DELETE_")
    }
    rows = []
    for resource in resources:
        logical_id = getattr(resource, "logical_resource_id", "")
        event = latest.get(logical_id)
        rows.append({
            "ResourceStatus": event.resource_status if event else "CREATE_COMPLETE",
            "LogicalResourceId": logical_id,
            "LastUpdatedTimestamp": event.timestamp if event else stack.creation_time,
            "PhysicalResourceId": getattr(resource, "physical_resource_id", ""),
            "ResourceType": getattr(resource, "cf_resource_type", ""),
        })
    return ActionResult({"StackResourceSummaries": rows})
