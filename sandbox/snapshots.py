"""Realistic snapshot progress for the sandbox's moto (pinned at 5.2.5).

moto makes RDS snapshots and ElastiCache backups ``available`` the moment they are asked for.
Real ones take minutes: an RDS snapshot is ``creating`` with ``PercentProgress`` rising while
its instance shows ``backing-up``, an ElastiCache backup is ``creating`` while its replication
group shows ``snapshotting``, and a second snapshot of a busy database is refused with
``InvalidDBInstanceState`` / ``InvalidReplicationGroupState``. :func:`install` patches moto's
models in this process so the console sees the same life cycle over the real API, only faster
(:data:`PROGRESS_SECONDS`). Snapshots that exist before they are patched (moto's automated
RDS snapshot) stay ``available``.
"""

from __future__ import annotations

import functools
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

# How long a manual snapshot or backup stays ``creating``. Read at snapshot time, so a test
# running the sandbox in-process may shorten it.
PROGRESS_SECONDS = 4.0
# The size ElastiCache reports for the sandbox's (tiny) Redis node.
REDIS_CACHE_SIZE = "6 MB"
# Automated backups were taken in last night's backup window, not when the sandbox started.
AUTOMATED_AGE = timedelta(hours=7)

_installed = False
_lock = threading.Lock()
# (kind, database id) -> monotonic time its running snapshot finishes
_busy_until: dict[tuple[str, str], float] = {}


def _fraction(obj: Any) -> float:
    """How far the snapshot ``obj`` has got: 0.0 … 1.0 (1.0 when it was not made by us)."""
    started = obj.__dict__.get("_sandbox_started")
    duration = obj.__dict__.get("_sandbox_duration", 0.0)
    if started is None or duration <= 0:
        return 1.0
    return min(1.0, float((time.monotonic() - started) / duration))


def _busy(kind: str, database_id: str) -> bool:
    with _lock:
        return _busy_until.get((kind, database_id), 0.0) > time.monotonic()


def _mark_busy(kind: str, database_id: str, duration: float) -> None:
    with _lock:
        _busy_until[(kind, database_id)] = time.monotonic() + duration


def install() -> None:
    """Patch moto's RDS and ElastiCache models (idempotent; call before the server starts)."""
    global _installed
    if _installed:
        return
    _patch_rds()
    _patch_elasticache()
    _installed = True


def _patch_rds() -> None:
    from moto.rds.exceptions import RDSClientError
    from moto.rds.models import DBInstance, DBSnapshot, RDSBackend

    def snapshot_status(self: Any) -> str:
        stored = str(self.__dict__.get("_sandbox_status", self.__dict__.get("status", "available")))
        return "creating" if stored == "available" and _fraction(self) < 1.0 else stored

    def set_snapshot_status(self: Any, value: str) -> None:
        self.__dict__["_sandbox_status"] = value

    def percent_progress(self: Any) -> int:
        return int(_fraction(self) * 100)

    DBSnapshot.status = property(snapshot_status, set_snapshot_status)  # type: ignore[assignment]
    DBSnapshot.percent_progress = property(percent_progress)  # type: ignore[attr-defined]

    def instance_status(self: Any) -> str:
        stored = str(self.__dict__.get("_sandbox_status", self.__dict__.get("status", "available")))
        if stored == "available" and _busy("rds", str(getattr(self, "db_instance_identifier", ""))):
            return "backing-up"
        return stored

    def set_instance_status(self: Any, value: str) -> None:
        self.__dict__["_sandbox_status"] = value

    DBInstance.status = property(instance_status, set_instance_status)  # type: ignore[assignment]

    original = RDSBackend.create_db_snapshot

    @functools.wraps(original)
    def create_db_snapshot(
        self: Any, db_instance_identifier: str, db_snapshot_identifier: str, *a: Any, **kw: Any
    ) -> Any:
        manual = (a[0] if a else kw.get("snapshot_type", "manual")) == "manual"
        database = self.databases.get(db_instance_identifier)
        if manual and database is not None and database.status != "available":
            raise RDSClientError(
                "InvalidDBInstanceState",
                f"Cannot create a snapshot because the database instance {db_instance_identifier} "
                f"is not currently in the available state (it is {database.status}).",
            )
        snapshot = original(self, db_instance_identifier, db_snapshot_identifier, *a, **kw)
        if not manual:
            snapshot.created = snapshot.original_snapshot_create_time = snapshot.created - AUTOMATED_AGE
        if manual:
            duration = PROGRESS_SECONDS
            snapshot.__dict__["_sandbox_started"] = time.monotonic()
            snapshot.__dict__["_sandbox_duration"] = duration
            _mark_busy("rds", db_instance_identifier, duration)
        return snapshot

    RDSBackend.create_db_snapshot = create_db_snapshot  # type: ignore[method-assign]


def _patch_elasticache() -> None:
    from moto.elasticache.exceptions import ElastiCacheException
    from moto.elasticache.models import ElastiCacheBackend, ReplicationGroup, Snapshot

    class InvalidReplicationGroupState(ElastiCacheException):
        code = "InvalidReplicationGroupState"

    def snapshot_status(self: Any) -> str:
        stored = str(self.__dict__.get("_sandbox_status", self.__dict__.get("snapshot_status", "available")))
        return "creating" if stored == "available" and _fraction(self) < 1.0 else stored

    def set_snapshot_status(self: Any, value: str) -> None:
        self.__dict__["_sandbox_status"] = value

    def node_snapshots(self: Any) -> list[dict[str, Any]]:
        # Real ElastiCache reports the size and time per node, once the node's backup is done.
        if _fraction(self) < 1.0:
            return []
        return [
            {
                "CacheClusterId": f"{self.replication_group_id}-001",
                "NodeGroupId": "0001",
                "CacheNodeId": "0001",
                "CacheSize": REDIS_CACHE_SIZE,
                "CacheNodeCreateTime": self.__dict__.get("_sandbox_created"),
                "SnapshotCreateTime": self.__dict__.get("_sandbox_created"),
            }
        ]

    Snapshot.snapshot_status = property(snapshot_status, set_snapshot_status)  # type: ignore[assignment]
    Snapshot.node_snapshots = property(node_snapshots)  # type: ignore[attr-defined]

    def group_status(self: Any) -> str:
        stored = str(self.__dict__.get("_sandbox_status", self.__dict__.get("status", "available")))
        if stored == "available" and _busy("elasticache", str(getattr(self, "replication_group_id", ""))):
            return "snapshotting"
        return stored

    def set_group_status(self: Any, value: str) -> None:
        self.__dict__["_sandbox_status"] = value

    ReplicationGroup.status = property(group_status, set_group_status)  # type: ignore[assignment]

    original = ElastiCacheBackend.create_snapshot

    @functools.wraps(original)
    def create_snapshot(self: Any, snapshot_name: str, replication_group_id: str | None, *a: Any, **kw: Any) -> Any:
        group = self.replication_groups.get(replication_group_id or "")
        if group is not None and group.status != "available":
            raise InvalidReplicationGroupState(
                f"Cannot create a snapshot of replication group {replication_group_id} "
                f"while it is in the {group.status} state."
            )
        created = datetime.now(UTC)
        snapshot = original(self, snapshot_name, replication_group_id, *a, **kw)
        duration = PROGRESS_SECONDS
        snapshot.__dict__["_sandbox_created"] = created
        snapshot.__dict__["_sandbox_started"] = time.monotonic()
        snapshot.__dict__["_sandbox_duration"] = duration
        if replication_group_id:
            _mark_busy("elasticache", replication_group_id, duration)
        return snapshot

    ElastiCacheBackend.create_snapshot = create_snapshot  # type: ignore[method-assign]

    original_group = ElastiCacheBackend.create_replication_group

    # inspect.signature sees the original's parameters (the stack's ElastiCache model reads them).
    @functools.wraps(original_group)
    def create_replication_group(self: Any, *a: Any, **kw: Any) -> Any:
        # A group with backup retention has had its daily automatic backup already.
        group = original_group(self, *a, **kw)
        if getattr(group, "snapshot_retention_limit", 0):
            taken = datetime.now(UTC) - AUTOMATED_AGE
            name = f"automatic.{group.replication_group_id}-{taken:%Y-%m-%d-%H-%M}"
            backup = original(self, name, group.replication_group_id, None, None, None)
            backup.snapshot_source = "automated"
            backup.__dict__["_sandbox_created"] = taken
        return group

    ElastiCacheBackend.create_replication_group = create_replication_group  # type: ignore[method-assign]
