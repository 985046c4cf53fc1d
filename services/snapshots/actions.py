"""Taking and deleting RDS snapshots and ElastiCache backups through the one audited path (refused
under ``--read-only``, recorded whatever the outcome); AWS's refusals (quota, name taken, database
busy) as one sentence each.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from services.core.audit import audited
from services.core.aws import AwsClients
from services.core.errors import (
    AccessDenied,
    AwsError,
    DatabaseBusy,
    SnapshotAlreadyExists,
    SnapshotQuotaExceeded,
)
from services.snapshots.listing import (
    RDS,
    Database,
    Snapshot,
    cache_target,
    database_of,
    default_snapshot_name,
    snapshot_from_elasticache,
    snapshot_from_rds,
    validate_snapshot_name,
)

_QUOTA = {"SnapshotQuotaExceeded", "SnapshotQuotaExceededFault"}
_EXISTS = {"DBSnapshotAlreadyExists", "DBClusterSnapshotAlreadyExistsFault", "SnapshotAlreadyExistsFault"}
_BUSY = {
    "InvalidDBInstanceState",
    "InvalidDBInstanceStateFault",
    "InvalidDBClusterStateFault",
    "InvalidReplicationGroupState",
    "InvalidCacheClusterState",
    "InvalidDBSnapshotState",
    "InvalidSnapshotState",
}


def _translate(exc: AwsError, database: Database, name: str, action: str) -> AwsError:
    what = database.what
    code, rid = exc.code, exc.request_id
    if code in _QUOTA:
        return SnapshotQuotaExceeded(
            f"AWS refused to {action} {what} {name}: the account has reached its quota of manual "
            f"{what}s; delete old manual ones or ask AWS for a higher quota, then retry.",
            code=code,
            request_id=rid,
        )
    if code in _EXISTS:
        return SnapshotAlreadyExists(
            f"A {what} named {name} already exists; choose another name.", code=code, request_id=rid
        )
    if code in _BUSY:
        return DatabaseBusy(
            f"{database.logical_id} ({database.physical_id}) cannot {action} {what} {name} now: "
            f"{_aws_reason(exc)}; wait until it is available (another snapshot may be running) and retry.",
            code=code,
            request_id=rid,
        )
    return exc


def _aws_reason(exc: AwsError) -> str:
    # AwsError's generic sentence is "AWS refused <op>: <message> (<code>)."; keep the message.
    text = str(exc)
    _, _, rest = text.partition(": ")
    return (rest or text).rsplit(" (", 1)[0].rstrip(".")


async def _audited_call(
    clients: AwsClients,
    database: Database,
    *,
    read_only: bool,
    action: str,
    name: str,
    service: str,
    operation: str,
    **kwargs: Any,
) -> dict[str, Any]:
    """Make the call through the one audited path, AWS's refusals turned into this module's sentences."""
    verb = action.split("_", 1)[0]
    async with audited(clients, action, f"{database.physical_id}/{name}", read_only=read_only) as rec:
        try:
            response = await clients.call(service, operation, **kwargs)
        except AccessDenied:
            raise
        except AwsError as exc:
            error = _translate(exc, database, name, verb)
            if error is exc:
                raise
            raise error from exc
        rec.request_id = str(response.get("ResponseMetadata", {}).get("RequestId", ""))
    return response


def _create_request(database: Database, name: str) -> tuple[str, str, str, dict[str, str]]:
    """(service, operation, response key, arguments) that start a snapshot of ``database``."""
    if database.resource_type == "AWS::RDS::DBCluster":
        args = {"DBClusterIdentifier": database.physical_id, "DBClusterSnapshotIdentifier": name}
        return "rds", "create_db_cluster_snapshot", "DBClusterSnapshot", args
    if database.kind == RDS:
        args = {"DBInstanceIdentifier": database.physical_id, "DBSnapshotIdentifier": name}
        return "rds", "create_db_snapshot", "DBSnapshot", args
    return "elasticache", "create_snapshot", "Snapshot", {"SnapshotName": name, **cache_target(database)}


async def create_snapshot(
    clients: AwsClients, database: Database, *, read_only: bool, name: str = "", stack_name: str = ""
) -> Snapshot:
    """Start a snapshot/backup of ``database`` (named by default ``<stack>-<resource>-<UTC time>``)."""
    name = name or default_snapshot_name(stack_name or clients.profile.stack, database)
    validate_snapshot_name(database, name)
    service, operation, key, args = _create_request(database, name)
    response = await _audited_call(
        clients, database, read_only=read_only, action="create_snapshot", name=name,
        service=service, operation=operation, **args,
    )  # fmt: skip
    raw = response[key]
    snapshot = snapshot_from_rds(raw, database) if database.kind == RDS else snapshot_from_elasticache(raw, database)
    request_id = str(response.get("ResponseMetadata", {}).get("RequestId", ""))
    return replace(snapshot, request_id=request_id)


async def delete_snapshot(clients: AwsClients, snapshot: Snapshot, *, read_only: bool) -> None:
    """Delete a manual snapshot/backup (the caller has confirmed)."""
    database = database_of(snapshot)
    if snapshot.resource_type == "AWS::RDS::DBCluster":
        service, operation, args = "rds", "delete_db_cluster_snapshot", {"DBClusterSnapshotIdentifier": snapshot.id}
    elif snapshot.kind == RDS:
        service, operation, args = "rds", "delete_db_snapshot", {"DBSnapshotIdentifier": snapshot.id}
    else:
        service, operation, args = "elasticache", "delete_snapshot", {"SnapshotName": snapshot.id}
    await _audited_call(
        clients, database, read_only=read_only, action="delete_snapshot", name=snapshot.id,
        service=service, operation=operation, **args,
    )  # fmt: skip
