"""What the stacks of one account and region share while the fleet is read: clients, AWS/IoT figures, snapshots.

Building a boto3 client loads its service model (tens of milliseconds of CPU), and AWS/IoT
metrics and the snapshot listings belong to an account and region, not to a stack: fifty stacks
in five regions need five sets of clients and five reads of each, not fifty.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from services.core.aws import AwsClients, all_pages
from services.core.config import Profile
from services.core.errors import ConsoleError
from services.stack.model import Stack

UPLINK_MINUTES = 15
SIDE_TIMEOUT = 10.0  # the uplink rate and the snapshots: a row without them is still a row
RegionKey = tuple[str, str, str]  # (AWS profile, region, endpoint)
Listings = tuple[list[dict[str, Any]], list[dict[str, Any]]]  # (RDS snapshots, ElastiCache snapshots)


class StackClients(AwsClients):
    """A stack's AwsClients that borrows the boto3 clients of its account and region.

    Building a boto3 client loads its service model (tens of milliseconds of CPU); fifty stacks
    in five regions need five sets of clients, not fifty. Errors still name the stack's profile.
    """

    def __init__(self, profile: Profile, shared: AwsClients) -> None:
        super().__init__(profile)
        self._shared = shared

    def client(self, service: str) -> Any:
        return self._shared.client(service)


class FleetCache:
    """One fleet read's shared clients and per-region readings (tasks, so concurrent rows wait for one read)."""

    def __init__(self) -> None:
        self._clients: dict[RegionKey, AwsClients] = {}
        self._uplinks: dict[RegionKey, asyncio.Task[float | None]] = {}
        self._listings: dict[RegionKey, asyncio.Task[Listings | None]] = {}

    @staticmethod
    def _key(profile: Profile) -> RegionKey:
        return (profile.aws_profile, profile.region, profile.endpoint_url)

    def clients(self, profile: Profile) -> AwsClients:
        key = self._key(profile)
        if key not in self._clients:
            self._clients[key] = AwsClients(profile)
        return StackClients(profile, self._clients[key])

    def uplinks_per_minute(self, clients: AwsClients) -> asyncio.Task[float | None]:
        """AWS/IoT metrics belong to an account and region: read once for all its stacks."""
        key = self._key(clients.profile)
        if key not in self._uplinks:
            self._uplinks[key] = asyncio.ensure_future(_uplinks_per_minute(clients))
        return self._uplinks[key]

    async def last_snapshot(self, clients: AwsClients, stack: Stack) -> datetime | None:
        """The newest RDS snapshot or ElastiCache backup of the stack's databases (``None``: none, or unknown)."""
        from services.snapshots.listing import find_databases, snapshot_from_elasticache, snapshot_from_rds

        key = self._key(clients.profile)
        if key not in self._listings:
            self._listings[key] = asyncio.ensure_future(_listings(clients))
        listings = await asyncio.shield(self._listings[key])
        if listings is None:
            return None
        rds, caches = listings
        times: list[datetime | None] = []
        for db in find_databases(stack):
            if db.resource_type == "AWS::RDS::DBCluster":
                continue  # Aurora: cluster snapshots are another listing; the TTES template has an instance
            if db.kind == "rds":
                times += [snapshot_from_rds(r, db).created for r in rds if r.get("DBInstanceIdentifier") == db.physical_id]
            else:
                ids = (db.physical_id,)
                times += [
                    snapshot_from_elasticache(r, db).created
                    for r in caches
                    if r.get("ReplicationGroupId") in ids or r.get("CacheClusterId") in ids
                ]
        return max((t for t in times if t is not None), default=None)

    async def aclose(self) -> None:
        tasks = [*self._uplinks.values(), *self._listings.values()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def _uplinks_per_minute(clients: AwsClients) -> float | None:
    from services.uplinks.metrics import recent_publishes

    try:
        return await asyncio.wait_for(recent_publishes(clients, UPLINK_MINUTES), SIDE_TIMEOUT) / UPLINK_MINUTES
    except (ConsoleError, TimeoutError):
        return None


async def _listings(clients: AwsClients) -> Listings | None:
    """Every RDS snapshot and ElastiCache backup of the account in the region (both paginated)."""
    try:
        rds, caches = await asyncio.wait_for(
            asyncio.gather(
                all_pages(clients, "rds", "describe_db_snapshots", "DBSnapshots"),
                all_pages(clients, "elasticache", "describe_snapshots", "Snapshots"),
            ),
            SIDE_TIMEOUT,
        )
    except (ConsoleError, TimeoutError):
        return None
    return rds, caches
