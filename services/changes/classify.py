"""What a change set will do, in the operator's words: pure classification, no AWS calls.

``classify_changes`` turns ``describe_change_set`` ``Changes`` into :class:`ResourceChange`
values (replacement, policy action, stateful, the parameters and properties that cause it);
``parameter_impact`` reads a template to say which parameters feed which resources and which
carry the template's database-migration warning, before anything is created.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from services.stack.model import MIGRATION_WARNING, STATEFUL_TYPES

INSTANCE_TYPE = "AWS::EC2::Instance"
CERTIFICATE_WARNING = (
    "a new instance requests new Let's Encrypt certificates, and Let's Encrypt allows 5 per domain per week"
)
_RECREATION_ORDER = {"Always": 0, "Conditionally": 1, "Never": 2, "": 3}
_SUB_VARIABLE = re.compile(r"\$\{([A-Za-z0-9_:.]+)\}")


@dataclass(frozen=True)
class ChangeCause:
    """One ``Details`` entry: which property changes, because of what, and whether it recreates."""

    attribute: str  # Properties, Tags, Metadata, CreationPolicy, UpdatePolicy, DeletionPolicy…
    name: str  # the property name (empty for non-property attributes)
    requires_recreation: str  # Never | Conditionally | Always
    source: str  # ParameterReference | ResourceReference | ResourceAttribute | DirectModification | Automatic
    causing_entity: str = ""  # the parameter or resource behind it
    evaluation: str = ""  # Static | Dynamic

    @property
    def text(self) -> str:
        """e.g. ``DBName ← parameter DatabaseName (always recreates)``."""
        what = self.name or self.attribute
        origin = {
            "ParameterReference": f"parameter {self.causing_entity}",
            "ResourceReference": f"resource {self.causing_entity}",
            "ResourceAttribute": f"attribute {self.causing_entity}",
            "DirectModification": "template edit",
            "Automatic": f"nested stack {self.causing_entity}".strip(),
        }.get(self.source, self.source or "unknown")
        recreates = {"Always": " (always recreates)", "Conditionally": " (may recreate)"}.get(
            self.requires_recreation, ""
        )
        return f"{what} ← {origin}{recreates}"


@dataclass(frozen=True)
class ResourceChange:
    """One resource the change set adds, modifies or removes."""

    action: str  # Add | Modify | Remove | Import | Dynamic
    logical_id: str
    type: str
    replacement: str = ""  # True | False | Conditional ("" when not a Modify)
    policy_action: str = ""  # Delete | Retain | Snapshot | ReplaceAndDelete | ReplaceAndRetain | ReplaceAndSnapshot
    physical_id: str = ""
    scope: tuple[str, ...] = ()
    causes: tuple[ChangeCause, ...] = ()

    @property
    def stateful(self) -> bool:
        """It holds the network's data (RDS, ElastiCache)."""
        return self.type in STATEFUL_TYPES

    @property
    def replaces(self) -> bool:
        """CloudFormation will (or may) create a new physical resource and drop the old one."""
        return self.action == "Modify" and self.replacement in ("True", "Conditional")

    @property
    def destroys_data(self) -> bool:
        """A database or cache is replaced or removed: its data needs a snapshot first."""
        return self.stateful and (self.replaces or self.action == "Remove")

    @property
    def warnings(self) -> tuple[str, ...]:
        found: list[str] = []
        if self.type == INSTANCE_TYPE and self.replaces:
            found.append(f"{self.verb} the {self.label}: {CERTIFICATE_WARNING}")
        if self.destroys_data:
            found.append(f"{self.verb} the {self.label}: snapshot it first")
        return tuple(found)

    @property
    def label(self) -> str:
        """``RDS database ttn-db-1`` (the physical id when known)."""
        return f"{short_type(self.type)} {self.physical_id or self.logical_id}"

    @property
    def verb(self) -> str:
        """What happens to the physical resource: removes, replaces, may replace, modifies, adds."""
        if self.action == "Remove":
            return "removes"
        if self.action == "Add":
            return "adds"
        if self.replaces:
            return "may replace" if self.replacement == "Conditional" else "replaces"
        return "modifies"

    @property
    def cause_texts(self) -> tuple[str, ...]:
        ordered = sorted(self.causes, key=lambda c: _RECREATION_ORDER.get(c.requires_recreation, 3))
        return tuple(dict.fromkeys(c.text for c in ordered))

    @property
    def severity(self) -> int:
        """Sort key: data-destroying first, then other replacements, removals, then the rest."""
        if self.destroys_data:
            return 0
        if self.replaces:
            return 1
        if self.action == "Remove":
            return 2
        return 3


def short_type(resource_type: str) -> str:
    """``AWS::RDS::DBInstance`` → ``RDS database``; other types keep their last two parts."""
    names = {
        "AWS::RDS::DBInstance": "RDS database",
        "AWS::RDS::DBCluster": "RDS cluster",
        "AWS::ElastiCache::ReplicationGroup": "ElastiCache Redis",
        "AWS::ElastiCache::CacheCluster": "ElastiCache cluster",
        INSTANCE_TYPE: "EC2 instance",
    }
    return names.get(resource_type, " ".join(resource_type.split("::")[1:]))


def classify_change(raw: Mapping[str, Any]) -> ResourceChange | None:
    """One ``Changes[]`` entry of describe_change_set (``Type: Resource``); ``None`` for other kinds."""
    if raw.get("Type", "Resource") != "Resource":
        return None
    rc = raw.get("ResourceChange", {})
    causes = tuple(
        ChangeCause(
            attribute=str(d.get("Target", {}).get("Attribute", "")),
            name=str(d.get("Target", {}).get("Name", "")),
            requires_recreation=str(d.get("Target", {}).get("RequiresRecreation", "")),
            source=str(d.get("ChangeSource", "")),
            causing_entity=str(d.get("CausingEntity", "")),
            evaluation=str(d.get("Evaluation", "")),
        )
        for d in rc.get("Details", [])
    )
    return ResourceChange(
        action=str(rc.get("Action", "")),
        logical_id=str(rc.get("LogicalResourceId", "")),
        type=str(rc.get("ResourceType", "")),
        replacement=str(rc.get("Replacement", "")),
        policy_action=str(rc.get("PolicyAction", "")),
        physical_id=str(rc.get("PhysicalResourceId", "")),
        scope=tuple(str(s) for s in rc.get("Scope", [])),
        causes=causes,
    )


def classify_changes(raw_changes: Iterable[Mapping[str, Any]]) -> tuple[ResourceChange, ...]:
    """Every resource change, most dangerous first (stable within a level)."""
    changes = [c for c in (classify_change(r) for r in raw_changes) if c is not None]
    return tuple(sorted(changes, key=lambda c: c.severity))


def verdict(changes: Sequence[ResourceChange]) -> str:
    """One line: ``2 changes, 1 replaces the RDS database ttn_lorawan``."""
    if not changes:
        return "No changes: the stack already matches."
    n = len(changes)
    parts = [f"{n} change{'s' if n != 1 else ''}"]
    for c in changes:
        if c.destroys_data or (c.type == INSTANCE_TYPE and c.replaces):
            parts.append(f"1 {c.verb} the {c.label}")
    others = sum(1 for c in changes if c.replaces and not c.destroys_data and c.type != INSTANCE_TYPE)
    if others:
        parts.append(f"{others} other replacement{'s' if others != 1 else ''}")
    return ", ".join(parts)


# --- templates and parameter impact ---------------------------------------------------


def parse_template(body: str | Mapping[str, Any]) -> dict[str, Any]:
    """A CloudFormation template (JSON or YAML with short-form intrinsics) as plain data."""
    if isinstance(body, Mapping):
        return dict(body)
    text = body.strip()
    if text.startswith("{"):
        loaded = json.loads(text)
        return loaded if isinstance(loaded, dict) else {}
    import importlib

    # PyYAML ships no type stubs; it is used through Any here on purpose.
    yaml: Any = importlib.import_module("yaml")
    loader_cls: Any = type("_TemplateLoader", (yaml.SafeLoader,), {})

    def intrinsic(loader: Any, suffix: str, node: Any) -> dict[str, Any]:
        value: Any
        if isinstance(node, yaml.ScalarNode):
            value = loader.construct_scalar(node)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)
        if suffix == "Ref":
            return {"Ref": value}
        if suffix == "GetAtt" and isinstance(value, str):
            value = value.split(".", 1)
        return {f"Fn::{suffix}": value}

    loader_cls.add_multi_constructor("!", intrinsic)
    loaded = yaml.load(text, Loader=loader_cls)
    return loaded if isinstance(loaded, dict) else {}


def references(node: Any) -> set[str]:
    """Names a template fragment refers to: ``Ref``, ``${Name}`` in ``Fn::Sub``, ``Fn::GetAtt``."""
    found: set[str] = set()
    if isinstance(node, Mapping):
        for key, value in node.items():
            if key == "Ref" and isinstance(value, str):
                found.add(value)
            elif key == "Fn::GetAtt" and isinstance(value, list) and value:
                found.add(str(value[0]))
            elif key == "Fn::Sub":
                text = value[0] if isinstance(value, list) and value else value
                if isinstance(text, str):
                    found.update(v.split(".")[0] for v in _SUB_VARIABLE.findall(text))
                if isinstance(value, list) and len(value) > 1:
                    found |= references(value[1])
            elif key in ("Fn::If", "Condition") and isinstance(value, (str, list)):
                found |= references(value[1:] if isinstance(value, list) else [])
                found.add("Condition:" + (value[0] if isinstance(value, list) else value))
            else:
                found |= references(value)
    elif isinstance(node, list):
        for item in node:
            found |= references(item)
    return found


@dataclass(frozen=True)
class TemplateParameter:
    """A declared parameter of the template (from get_template_summary)."""

    key: str
    description: str = ""
    default: str | None = None
    no_echo: bool = False
    allowed_values: tuple[str, ...] = ()
    type: str = "String"

    @property
    def requires_migration(self) -> bool:
        return MIGRATION_WARNING in self.description.lower()


def template_parameters(summary: Mapping[str, Any]) -> tuple[TemplateParameter, ...]:
    """The parameters of a ``get_template_summary`` response."""
    return tuple(
        TemplateParameter(
            key=str(p["ParameterKey"]),
            description=str(p.get("Description", "") or ""),
            default=None if p.get("DefaultValue") is None else str(p.get("DefaultValue")),
            no_echo=bool(p.get("NoEcho", False)),
            allowed_values=tuple(str(v) for v in p.get("ParameterConstraints", {}).get("AllowedValues", []) or []),
            type=str(p.get("ParameterType", "String")),
        )
        for p in summary.get("Parameters", [])
    )


@dataclass(frozen=True)
class ParameterImpact:
    """Which resources a parameter feeds, and whether changing it endangers a database."""

    key: str
    resources: tuple[tuple[str, str], ...]  # (logical id, type)
    requires_migration: bool

    @property
    def stateful_resources(self) -> tuple[str, ...]:
        return tuple(logical for logical, rtype in self.resources if rtype in STATEFUL_TYPES)

    @property
    def warning(self) -> str:
        if self.requires_migration:
            return "changing it requires manual migration of the database: snapshot first"
        if self.stateful_resources:
            return "feeds " + ", ".join(self.stateful_resources)
        return ""


def parameter_impact(template: Mapping[str, Any], declared: Sequence[TemplateParameter]) -> dict[str, ParameterImpact]:
    """For each declared parameter, the resources that use it (directly, via conditions or outputs)."""
    resources: Mapping[str, Any] = template.get("Resources", {}) or {}
    conditions: Mapping[str, Any] = template.get("Conditions", {}) or {}
    condition_params: dict[str, set[str]] = {}
    for name in conditions:
        condition_params[name] = _condition_refs(name, conditions, set())
    uses: dict[str, list[tuple[str, str]]] = {p.key: [] for p in declared}
    for logical_id, resource in resources.items():
        if not isinstance(resource, Mapping):
            continue
        names = references(resource.get("Properties", {}))
        if "Condition" in resource:
            names.add("Condition:" + str(resource["Condition"]))
        params = {n for n in names if not n.startswith("Condition:")}
        for n in names:
            if n.startswith("Condition:"):
                params |= condition_params.get(n.split(":", 1)[1], set())
        for key in sorted(params & uses.keys()):
            uses[key].append((str(logical_id), str(resource.get("Type", ""))))
    return {
        p.key: ParameterImpact(key=p.key, resources=tuple(uses[p.key]), requires_migration=p.requires_migration)
        for p in declared
    }


def _condition_refs(name: str, conditions: Mapping[str, Any], visiting: set[str]) -> set[str]:
    if name in visiting:
        return set()
    visiting.add(name)
    found: set[str] = set()
    for ref in references(conditions.get(name, {})):
        if ref.startswith("Condition:"):
            found |= _condition_refs(ref.split(":", 1)[1], conditions, visiting)
        else:
            found.add(ref)
    return found
