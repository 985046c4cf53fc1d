"""What CloudFormation would say a template/parameter change does, computed for the sandbox.

For each resource: which properties change (after resolving ``Ref``/``Fn::Sub`` against the
parameters), why (``ParameterReference`` / ``DirectModification`` / a replaced resource it
refers to), and whether that recreates it according to the resource schema's
``createOnlyProperties`` (Always) and ``conditionalCreateOnlyProperties`` (Conditionally).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from services.changes.classify import references

NO_CHANGES_REASON = (
    "The submitted information didn't contain changes. Submit different information to create a change set."
)
SCHEMA_REGION = "us-east-1"
_SUB_VARIABLE = re.compile(r"\$\{([A-Za-z0-9_:.]+)\}")
_RESOURCE_ATTRIBUTES = ("Metadata", "DeletionPolicy", "UpdateReplacePolicy", "CreationPolicy", "UpdatePolicy")


@cache
def create_only(resource_type: str) -> tuple[frozenset[str], frozenset[str]]:
    """Top-level properties that always / conditionally force replacement, from cfn-lint's schemas."""
    base = resources.files("cfnlint.data.schemas")
    providers = json.loads(base.joinpath("providers", f"{SCHEMA_REGION}.json").read_text())
    key = providers.get(resource_type)
    if not key:
        return frozenset(), frozenset()
    schema = json.loads(base.joinpath("resources", f"{key}.json").read_text())

    def names(paths: list[str] | None) -> frozenset[str]:
        return frozenset(p.split("/")[2] for p in paths or [] if p.startswith("/properties/"))

    return names(schema.get("createOnlyProperties")), names(schema.get("conditionalCreateOnlyProperties"))


def recreation(resource_type: str, prop: str) -> str:
    always, conditionally = create_only(resource_type)
    if prop in always:
        return "Always"
    if prop in conditionally:
        return "Conditionally"
    return "Never"


def _text(value: Any) -> str:
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return str(value)


NO_VALUE = object()  # AWS::NoValue: the property is absent


def resolve(node: Any, params: dict[str, Any], conditions: dict[str, bool] | None = None) -> Any:
    """A property value with parameters substituted and ``Fn::If`` decided; resource references stay symbolic."""
    conditions = conditions or {}
    if isinstance(node, dict):
        if set(node) == {"Ref"}:
            name = node["Ref"]
            if name == "AWS::NoValue":
                return NO_VALUE
            return _text(params[name]) if name in params else f"<Ref {name}>"
        if set(node) == {"Fn::Sub"} and isinstance(node["Fn::Sub"], str):
            return _SUB_VARIABLE.sub(lambda m: _text(params.get(m.group(1), m.group(0))), node["Fn::Sub"])
        if set(node) == {"Fn::If"} and isinstance(node["Fn::If"], list) and len(node["Fn::If"]) == 3:
            name, yes, no = node["Fn::If"]
            if name in conditions:
                return resolve(yes if conditions[name] else no, params, conditions)
        resolved = {k: resolve(v, params, conditions) for k, v in node.items()}
        return {k: v for k, v in resolved.items() if v is not NO_VALUE}
    if isinstance(node, list):
        return [v for v in (resolve(item, params, conditions) for item in node) if v is not NO_VALUE]
    return _text(node) if isinstance(node, (int, float, bool)) else node


def evaluate_conditions(template: dict[str, Any], params: dict[str, Any]) -> dict[str, bool]:
    """The template's conditions (Fn::Equals/Not/And/Or/Condition) for these parameter values."""
    declared: dict[str, Any] = template.get("Conditions") or {}
    known: dict[str, bool] = {}

    def condition(name: str) -> bool:
        if name not in known:
            known[name] = False  # a cycle evaluates to false instead of recursing forever
            known[name] = truth(declared.get(name))
        return known[name]

    def truth(node: Any) -> bool:
        if isinstance(node, dict) and len(node) == 1:
            (fn, args), = node.items()
            if fn == "Condition":
                return condition(str(args))
            if fn == "Fn::Equals" and isinstance(args, list) and len(args) == 2:
                return bool(resolve(args[0], params, known) == resolve(args[1], params, known))
            if fn == "Fn::Not" and isinstance(args, list) and args:
                return not truth(args[0])
            if fn == "Fn::And" and isinstance(args, list):
                return all(truth(a) for a in args)
            if fn == "Fn::Or" and isinstance(args, list):
                return any(truth(a) for a in args)
        return False

    for name in declared:
        condition(name)
    return known


def _detail(prop: str, requires: str, source: str, entity: str = "", evaluation: str = "Static",
            attribute: str = "Properties") -> dict[str, Any]:
    detail: dict[str, Any] = {
        "Target": {"Attribute": attribute, "RequiresRecreation": requires},
        "Evaluation": evaluation,
        "ChangeSource": source,
    }
    if attribute == "Properties":
        detail["Target"]["Name"] = prop
    if entity:
        detail["CausingEntity"] = entity
    return detail


@dataclass(frozen=True)
class Side:
    """One side of the comparison: a template's parameters and the conditions they decide."""

    params: dict[str, Any]
    conditions: dict[str, bool]

    condition_bodies: dict[str, Any]

    def value(self, node: Any) -> Any:
        return resolve(node, self.params, self.conditions)

    def referenced(self, node: Any) -> set[str]:
        """Names a fragment depends on, through the conditions it uses too."""
        names, todo, seen = set(), list(references(node)), set()
        while todo:
            name = todo.pop()
            if name.startswith("Condition:"):
                if name not in seen:
                    seen.add(name)
                    todo += references(self.condition_bodies.get(name.split(":", 1)[1], {}))
            else:
                names.add(name)
        return names


def _property_details(rtype: str, old_res: dict[str, Any], new_res: dict[str, Any], old: Side, new: Side
                      ) -> list[dict[str, Any]]:
    details: list[dict[str, Any]] = []
    old_props, new_props = old_res.get("Properties") or {}, new_res.get("Properties") or {}
    changed_params = {p for p in new.params if _text(old.params.get(p, "")) != _text(new.params[p])}
    for prop in sorted(set(old_props) | set(new_props)):
        raw_old, raw_new = old_props.get(prop), new_props.get(prop)
        if old.value(raw_old) == new.value(raw_new):
            continue
        requires = recreation(rtype, prop)
        causing = sorted(new.referenced(raw_new) & changed_params) if raw_old == raw_new else []
        if causing:
            details += [_detail(prop, requires, "ParameterReference", p) for p in causing]
        else:
            details.append(_detail(prop, requires, "DirectModification"))
    for attr in _RESOURCE_ATTRIBUTES:
        if old_res.get(attr) != new_res.get(attr):
            details.append(_detail(attr, "Never", "DirectModification", attribute=attr))
    return details


def _replacement(details: list[dict[str, Any]]) -> str:
    needs = {d["Target"]["RequiresRecreation"] for d in details}
    return "True" if "Always" in needs else "Conditional" if "Conditionally" in needs else "False"


def compute_changes(stack: Any, new_template: dict[str, Any], new_params: dict[str, Any]) -> list[dict[str, Any]]:
    """``ResourceChange`` dicts for moving ``stack`` (a moto Stack) to the new template and parameters."""
    old_template = stack.template_dict
    old_params = dict(stack.resource_map.resolved_parameters)
    params = {k: v.get("Default") for k, v in (new_template.get("Parameters") or {}).items() if "Default" in v}
    params.update(new_params)
    old_side = Side(old_params, evaluate_conditions(old_template, old_params), old_template.get("Conditions") or {})
    new_side = Side(params, evaluate_conditions(new_template, params), new_template.get("Conditions") or {})
    old_res_all: dict[str, Any] = old_template.get("Resources") or {}
    new_res_all: dict[str, Any] = new_template.get("Resources") or {}
    physical = {
        getattr(r, "logical_resource_id", ""): str(getattr(r, "physical_resource_id", "") or "")
        for r in stack.resource_map.values()
        if r is not None and not isinstance(r, (str, int, float, list))
    }

    changes: dict[str, dict[str, Any]] = {}
    for lid, new_res in new_res_all.items():
        if lid not in old_res_all:
            changes[lid] = {"Action": "Add", "LogicalResourceId": lid, "ResourceType": new_res["Type"],
                            "Scope": [], "Details": []}
            continue
        details = _property_details(new_res["Type"], old_res_all[lid], new_res, old_side, new_side)
        if details:
            changes[lid] = _modify(lid, new_res, details, physical.get(lid, ""))
    _add_dynamic_references(changes, new_res_all, physical)
    for lid, old_res in old_res_all.items():
        if lid not in new_res_all:
            policy = old_res.get("DeletionPolicy", "Delete")
            changes[lid] = {"Action": "Remove", "LogicalResourceId": lid, "ResourceType": old_res["Type"],
                            "PhysicalResourceId": physical.get(lid, ""), "PolicyAction": policy,
                            "Scope": [], "Details": []}
    order = list(new_res_all) + [lid for lid in old_res_all if lid not in new_res_all]
    return [changes[lid] for lid in order if lid in changes]


def _modify(lid: str, res: dict[str, Any], details: list[dict[str, Any]], physical: str) -> dict[str, Any]:
    replacement = _replacement(details)
    change: dict[str, Any] = {
        "Action": "Modify",
        "LogicalResourceId": lid,
        "PhysicalResourceId": physical,
        "ResourceType": res["Type"],
        "Replacement": replacement,
        "Scope": sorted({d["Target"]["Attribute"] for d in details}),
        "Details": details,
    }
    if replacement != "False":
        change["PolicyAction"] = "ReplaceAnd" + res.get("UpdateReplacePolicy", "Delete")
    return change


def _add_dynamic_references(
    changes: dict[str, dict[str, Any]], resources_: dict[str, Any], physical: dict[str, str]
) -> None:
    """Resources referring to a replaced one change too (their new value is known only at execution)."""
    handled: set[str] = set()
    while True:
        replaced = {lid for lid, c in changes.items() if c.get("Replacement") in ("True", "Conditional")} - handled
        if not replaced:
            return
        handled |= replaced
        for lid, res in resources_.items():
            for prop, value in sorted((res.get("Properties") or {}).items()):
                for target in sorted(references(value) & replaced):
                    entity = target
                    if _getatt_of(value, target):
                        entity = f"{target}.{_getatt_of(value, target)}"
                    detail = _detail(prop, recreation(res["Type"], prop), "ResourceReference", entity, "Dynamic")
                    if lid in changes and changes[lid]["Action"] == "Modify":
                        changes[lid]["Details"].append(detail)
                        changes[lid].update(_modify(lid, res, changes[lid]["Details"], physical.get(lid, "")))
                    elif lid not in changes:
                        changes[lid] = _modify(lid, res, [detail], physical.get(lid, ""))


def _getatt_of(node: Any, target: str) -> str:
    if isinstance(node, dict):
        value = node.get("Fn::GetAtt")
        if isinstance(value, list) and value and value[0] == target:
            return str(value[1]) if len(value) > 1 else ""
        return next((a for v in node.values() if (a := _getatt_of(v, target))), "")
    if isinstance(node, list):
        return next((a for v in node if (a := _getatt_of(v, target))), "")
    return ""
