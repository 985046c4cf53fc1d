"""RDS snapshots and ElastiCache backups of the stack's databases: what they are, list, follow.

Taking and deleting them (audited, refused under ``--read-only``) is ``services.snapshots.actions``.

Also the freshness rule the change-set guard shares: a snapshot protects a database when it is
``available`` and newer than the change set being executed (or than a configured age).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from services.core.aws import AwsClients, all_pages
from services.core.config import SnapshotSettings
from services.core.errors import (
    AwsError,
    InvalidSnapshotName,
    SnapshotFailed,
)
from services.stack.model import Stack

RDS = "rds"
ELASTICACHE = "elasticache"
# The template parameters that restore the databases from a snapshot during an update.
HANDOFF_PARAMETERS = {RDS: "RDSSnapshotArn", ELASTICACHE: "ElastiCacheSnapshotName"}
_KINDS = {
    "AWS::RDS::DBInstance": RDS,
    "AWS::RDS::DBCluster": RDS,
    "AWS::ElastiCache::ReplicationGroup": ELASTICACHE,
    "AWS::ElastiCache::CacheCluster": ELASTICACHE,
}
_WHAT = {RDS: "RDS snapshot", ELASTICACHE: "ElastiCache backup"}
# RDS identifiers and ElastiCache backup names: a letter, then letters, digits and single hyphens.
_NAME = re.compile(r"^[A-Za-z](?:-?[A-Za-z0-9])*$")
_NAME_MAX = 255
_NOT_FOUND = {"DBSnapshotNotFound", "DBClusterSnapshotNotFoundFault", "SnapshotNotFoundFault"}
_FAILED_STATES = {"failed", "error", "deleted", "deleting"}


@dataclass(frozen=True)
class Database:
    """A stack resource that holds the network's data."""

    logical_id: str
    resource_type: str
    physical_id: str

    @property
    def kind(self) -> str:
        """``rds`` or ``elasticache``: which service snapshots it."""
        return _KINDS[self.resource_type]

    @property
    def what(self) -> str:
        """What its snapshots are called: "RDS snapshot" or "ElastiCache backup"."""
        return _WHAT[self.kind]


@dataclass(frozen=True)
class Snapshot:
    """One RDS snapshot or ElastiCache backup of a database."""

    kind: str
    resource: str  # the database's logical id in the stack
    resource_type: str
    database_id: str  # the database's physical id
    id: str  # DBSnapshotIdentifier / SnapshotName
    arn: str
    status: str
    created: datetime | None
    source: str = "manual"  # manual | automated
    size: str = ""
    progress: int | None = None  # percent, RDS only
    request_id: str = ""

    @property
    def available(self) -> bool:
        return self.status == "available"

    @property
    def handoff_value(self) -> str:
        """What the change set's restore parameter takes: the RDS ARN or the ElastiCache name."""
        return self.arn if self.kind == RDS else self.id

    def age(self, now: datetime | None = None) -> timedelta | None:
        if self.created is None:
            return None
        return (now or datetime.now(UTC)) - self.created

    def as_json(self) -> dict[str, Any]:
        """The ``snapshot --json`` object."""
        return {
            "kind": self.kind,
            "resource": self.resource,
            "id": self.id,
            "arn": self.arn,
            "status": self.status,
            "progress": self.progress,
            "source": self.source,
            "size": self.size,
            "created": self.created.isoformat() if self.created else None,
        }


def age_text(delta: timedelta | None) -> str:
    """A snapshot's age the way an operator says it: "3 min", "5 h", "2 d"; "—" when unknown."""
    if delta is None:
        return "—"
    seconds = max(0, int(delta.total_seconds()))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min"
    if seconds < 86400 * 2:
        return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"
    return f"{seconds // 86400} d"


def find_databases(stack: Stack) -> tuple[Database, ...]:
    """The stack's RDS instances/clusters and ElastiCache groups/clusters, in stack order."""
    return tuple(
        Database(r.logical_id, r.type, r.physical_id) for r in stack.resources if r.type in _KINDS and r.physical_id
    )


def default_snapshot_name(stack_name: str, database: Database, now: datetime | None = None) -> str:
    """``<stack>-<resource>-<UTC timestamp>``, shaped to fit both services' naming rules."""
    stamp = (now or datetime.now(UTC)).astimezone(UTC).strftime("%Y%m%d-%H%M%S")
    base = re.sub(r"[^a-z0-9]+", "-", f"{stack_name}-{database.logical_id}".lower()).strip("-")
    if not base or not base[0].isalpha():
        base = f"s-{base}".rstrip("-")
    return f"{base[: _NAME_MAX - len(stamp) - 1].rstrip('-')}-{stamp}"


def validate_snapshot_name(database: Database, name: str) -> str:
    """Return ``name`` if the service accepts it, else raise :class:`InvalidSnapshotName`."""
    what = database.what
    if not name or len(name) > _NAME_MAX:
        raise InvalidSnapshotName(f"The {what} name must be 1 to {_NAME_MAX} characters long.")
    if not _NAME.match(name):
        raise InvalidSnapshotName(
            f"The {what} name {name!r} must start with a letter and hold only letters, digits and single "
            "hyphens, not ending with a hyphen."
        )
    if database.kind == ELASTICACHE and name.lower().startswith("automatic"):
        raise InvalidSnapshotName(f"The {what} name {name!r} must not start with 'automatic' (reserved by AWS).")
    return name


def _utc(value: Any) -> datetime | None:
    if not isinstance(value, datetime):
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def snapshot_from_rds(raw: Mapping[str, Any], database: Database) -> Snapshot:
    cluster = database.resource_type == "AWS::RDS::DBCluster"
    prefix = "DBClusterSnapshot" if cluster else "DBSnapshot"
    storage = raw.get("AllocatedStorage")
    progress = raw.get("PercentProgress")
    return Snapshot(
        kind=RDS,
        resource=database.logical_id,
        resource_type=database.resource_type,
        database_id=database.physical_id,
        id=str(raw.get(f"{prefix}Identifier", "")),
        arn=str(raw.get(f"{prefix}Arn", "")),
        status=str(raw.get("Status", "")),
        created=_utc(raw.get("SnapshotCreateTime")),
        source=str(raw.get("SnapshotType", "manual")),
        size=f"{storage} GiB" if storage else "",
        progress=int(progress) if progress is not None else None,
    )


def snapshot_from_elasticache(raw: Mapping[str, Any], database: Database) -> Snapshot:
    nodes = raw.get("NodeSnapshots") or []
    times = [t for t in (_utc(n.get("SnapshotCreateTime")) for n in nodes) if t is not None]
    return Snapshot(
        kind=ELASTICACHE,
        resource=database.logical_id,
        resource_type=database.resource_type,
        database_id=database.physical_id,
        id=str(raw.get("SnapshotName", "")),
        arn=str(raw.get("ARN", "")),
        status=str(raw.get("SnapshotStatus", "")),
        created=min(times) if times else None,
        source=str(raw.get("SnapshotSource", "manual")),
        size=" + ".join(str(n["CacheSize"]) for n in nodes if n.get("CacheSize")),
    )


def _newest_first(snapshots: Iterable[Snapshot]) -> list[Snapshot]:
    # A snapshot still being taken may have no time yet: it is the newest.
    far_future = datetime.max.replace(tzinfo=UTC)
    return sorted(snapshots, key=lambda s: s.created or far_future, reverse=True)


async def list_snapshots(clients: AwsClients, database: Database) -> list[Snapshot]:
    """Manual and automated snapshots/backups of ``database``, newest first."""
    if database.resource_type == "AWS::RDS::DBCluster":
        raw = await all_pages(
            clients, "rds", "describe_db_cluster_snapshots", "DBClusterSnapshots",
            DBClusterIdentifier=database.physical_id,
        )  # fmt: skip
        return _newest_first(snapshot_from_rds(r, database) for r in raw)
    if database.kind == RDS:
        args = {"DBInstanceIdentifier": database.physical_id}
        raw = await all_pages(clients, "rds", "describe_db_snapshots", "DBSnapshots", **args)
        return _newest_first(snapshot_from_rds(r, database) for r in raw)
    raw = await all_pages(clients, "elasticache", "describe_snapshots", "Snapshots", **cache_target(database))
    return _newest_first(snapshot_from_elasticache(r, database) for r in raw)


def cache_target(database: Database) -> dict[str, str]:
    if database.resource_type == "AWS::ElastiCache::CacheCluster":
        return {"CacheClusterId": database.physical_id}
    return {"ReplicationGroupId": database.physical_id}


def database_of(snapshot: Snapshot) -> Database:
    return Database(snapshot.resource, snapshot.resource_type, snapshot.database_id)


async def get_snapshot(clients: AwsClients, snapshot: Snapshot) -> Snapshot:
    """The current state of ``snapshot``; :class:`SnapshotFailed` if it no longer exists."""
    database = database_of(snapshot)
    try:
        if snapshot.resource_type == "AWS::RDS::DBCluster":
            page = await clients.call("rds", "describe_db_cluster_snapshots", DBClusterSnapshotIdentifier=snapshot.id)
            found = [snapshot_from_rds(r, database) for r in page.get("DBClusterSnapshots", [])]
        elif snapshot.kind == RDS:
            page = await clients.call("rds", "describe_db_snapshots", DBSnapshotIdentifier=snapshot.id)
            found = [snapshot_from_rds(r, database) for r in page.get("DBSnapshots", [])]
        else:
            page = await clients.call("elasticache", "describe_snapshots", SnapshotName=snapshot.id)
            found = [snapshot_from_elasticache(r, database) for r in page.get("Snapshots", [])]
    except AwsError as exc:
        if exc.code not in _NOT_FOUND:
            raise
        found = []
    if not found:
        raise SnapshotFailed(f"The {database.what} {snapshot.id} of {snapshot.resource} no longer exists.")
    return found[0]


async def follow_snapshot(
    clients: AwsClients, snapshot: Snapshot, *, interval: float = 1.0, max_interval: float = 10.0
) -> AsyncIterator[Snapshot]:
    """Yield ``snapshot`` each time its status or progress changes, ending once it is available.

    Polls start every ``interval`` seconds and slow down to ``max_interval`` while nothing
    changes: a real snapshot can take an hour. Raises :class:`SnapshotFailed` if it fails.
    """
    current = snapshot
    seen = (current.status, current.progress)
    yield current
    delay = interval
    while not current.available:
        if current.status in _FAILED_STATES:
            what = database_of(current).what
            raise SnapshotFailed(
                f"The {what} {current.id} of {current.resource} ended {current.status}; take a new one."
            )
        await asyncio.sleep(delay)
        current = await get_snapshot(clients, current)
        state = (current.status, current.progress)
        if state != seen:
            seen = state
            delay = interval
            yield current
        else:
            delay = min(max_interval, delay * 1.25)


# --- the freshness rule, shared with the change-set guard ---------------------------------


def protects(snapshot: Snapshot, *, newer_than: datetime) -> bool:
    """The snapshot can restore its database as of ``newer_than``: available and taken after it."""
    return snapshot.available and snapshot.created is not None and snapshot.created > _utc_required(newer_than)


def _utc_required(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def freshness_cutoff(
    settings: SnapshotSettings, *, change_set_created: datetime | None = None, now: datetime | None = None
) -> datetime:
    """What a snapshot must be newer than: the change set being executed, else the configured age."""
    if change_set_created is not None:
        return _utc_required(change_set_created)
    return (now or datetime.now(UTC)) - timedelta(hours=settings.max_age_hours)


async def latest_protection(clients: AwsClients, stack: Stack) -> dict[str, Snapshot | None]:
    """For each database of ``stack`` (by logical id): its newest available snapshot, or None."""
    databases = find_databases(stack)
    listed = await asyncio.gather(*(list_snapshots(clients, d) for d in databases))
    return {
        d.logical_id: next((s for s in snapshots if s.available), None)
        for d, snapshots in zip(databases, listed, strict=True)
    }


def handoff_parameters(snapshots: Iterable[Snapshot]) -> dict[str, str]:
    """The change-set parameters that restore from these snapshots: RDSSnapshotArn, ElastiCacheSnapshotName."""
    params: dict[str, str] = {}
    for snapshot in snapshots:
        if snapshot.available and snapshot.handoff_value:
            params[HANDOFF_PARAMETERS[snapshot.kind]] = snapshot.handoff_value
    return params
