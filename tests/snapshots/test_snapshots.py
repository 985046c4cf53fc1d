"""services/snapshots.py against the sandbox's moto (real HTTP), and the freshness rule."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sandbox.core import Sandbox
from services.core.audit import read_records
from services.core.aws import AwsClients
from services.core.config import SnapshotSettings
from services.core.errors import (
    AccessDenied,
    DatabaseBusy,
    InvalidSnapshotName,
    ReadOnlyRefused,
    SnapshotAlreadyExists,
    SnapshotQuotaExceeded,
)
from services.snapshots.actions import create_snapshot, delete_snapshot
from services.snapshots.listing import (
    ELASTICACHE,
    RDS,
    Database,
    Snapshot,
    age_text,
    default_snapshot_name,
    find_databases,
    follow_snapshot,
    freshness_cutoff,
    handoff_parameters,
    latest_protection,
    list_snapshots,
    protects,
    validate_snapshot_name,
)
from services.stack.model import load_stack

RDS_DB = Database("Database", "AWS::RDS::DBInstance", "ttes-demo-database-abc")
REDIS = Database("Redis", "AWS::ElastiCache::ReplicationGroup", "ttes-demo-redis-abc")
FOLLOW = {"interval": 0.1, "max_interval": 0.2}


async def databases_of(sb: Sandbox) -> tuple[AwsClients, dict[str, Database]]:
    assert sb.profile is not None
    clients = AwsClients(sb.profile)
    stack = await load_stack(clients)
    return clients, {d.logical_id: d for d in find_databases(stack)}


async def run_to_end(clients: AwsClients, snapshot: Snapshot) -> list[Snapshot]:
    return [s async for s in follow_snapshot(clients, snapshot, **FOLLOW)]


def one_sentence(text: str) -> bool:
    return "\n" not in text and text.endswith(".") and "Traceback" not in text


# --- names ------------------------------------------------------------------------------


def test_default_name_is_stack_resource_utc_timestamp() -> None:
    now = datetime(2026, 11, 26, 10, 46, 52, tzinfo=UTC)
    assert default_snapshot_name("ttes-demo", RDS_DB, now) == "ttes-demo-database-20261126-104652"
    local = now.astimezone(timezone(timedelta(hours=2)))
    assert default_snapshot_name("ttes-demo", REDIS, local) == "ttes-demo-redis-20261126-104652"


@given(stack=st.text(min_size=1, max_size=300), logical=st.text(min_size=1, max_size=60))
def test_default_names_always_pass_both_services_rules(stack: str, logical: str) -> None:
    for database in (Database(logical, RDS_DB.resource_type, "x"), Database(logical, REDIS.resource_type, "x")):
        name = default_snapshot_name(stack, database)
        assert validate_snapshot_name(database, name) == name


@pytest.mark.parametrize("name", ["", "9lives", "a--b", "ends-", "under_score", "space d", "x" * 256])
@pytest.mark.parametrize("database", [RDS_DB, REDIS])
def test_invalid_names_are_refused_with_one_sentence(database: Database, name: str) -> None:
    with pytest.raises(InvalidSnapshotName) as caught:
        validate_snapshot_name(database, name)
    assert one_sentence(str(caught.value))
    assert database.what in str(caught.value)


def test_elasticache_reserves_automatic_prefix() -> None:
    assert validate_snapshot_name(RDS_DB, "automatic-1") == "automatic-1"
    with pytest.raises(InvalidSnapshotName, match="automatic"):
        validate_snapshot_name(REDIS, "automatic-1")


# --- the freshness rule -------------------------------------------------------------------


def snap(status: str, created: datetime | None, kind: str = RDS) -> Snapshot:
    db = RDS_DB if kind == RDS else REDIS
    return Snapshot(kind, db.logical_id, db.resource_type, db.physical_id, "s-1", "arn:aws:rds:x", status, created)


def test_protects_needs_available_and_newer_than_the_cutoff() -> None:
    t = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
    assert protects(snap("available", t + timedelta(seconds=1)), newer_than=t)
    assert not protects(snap("available", t), newer_than=t)
    assert not protects(snap("available", t - timedelta(hours=1)), newer_than=t)
    assert not protects(snap("creating", t + timedelta(minutes=1)), newer_than=t)
    assert not protects(snap("available", None), newer_than=t)
    # A naive cutoff (CloudFormation timestamps sometimes are) is read as UTC.
    assert protects(snap("available", t + timedelta(seconds=1)), newer_than=t.replace(tzinfo=None))


def test_freshness_cutoff_prefers_the_change_set_else_the_configured_age() -> None:
    now = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
    created = datetime(2026, 11, 26, 11, 30, tzinfo=UTC)
    assert freshness_cutoff(SnapshotSettings(), change_set_created=created, now=now) == created
    assert freshness_cutoff(SnapshotSettings(max_age_hours=2), now=now) == now - timedelta(hours=2)


def test_handoff_takes_rds_arn_and_elasticache_name_of_available_snapshots() -> None:
    t = datetime(2026, 11, 26, tzinfo=UTC)
    rds, redis = snap("available", t), snap("available", t, ELASTICACHE)
    assert handoff_parameters([rds, redis]) == {"RDSSnapshotArn": rds.arn, "ElastiCacheSnapshotName": "s-1"}
    assert handoff_parameters([snap("creating", t)]) == {}


def test_age_text() -> None:
    assert age_text(None) == "—"
    assert age_text(timedelta(seconds=42)) == "42 s"
    assert age_text(timedelta(minutes=5, seconds=3)) == "5 min"
    assert age_text(timedelta(hours=3, minutes=4)) == "3 h 04 min"
    assert age_text(timedelta(days=9)) == "9 d"


def test_service_layer_imports_no_ui_and_no_sdk() -> None:
    code = (
        "import sys, services.snapshots.listing; "
        "bad = [m for m in ('textual', 'rich', 'boto3', 'botocore') if m in sys.modules]; "
        "print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


# --- against the sandbox ----------------------------------------------------------------


async def test_rds_snapshot_progresses_to_available_and_is_audited(sb: Sandbox) -> None:
    clients, dbs = await databases_of(sb)
    assert sorted(dbs) == ["Database", "Redis"]
    assert dbs["Database"].kind == RDS and dbs["Redis"].kind == ELASTICACHE
    [automated] = await list_snapshots(clients, dbs["Database"])
    assert automated.source == "automated" and automated.available and automated.size == "20 GiB"
    [nightly] = await list_snapshots(clients, dbs["Redis"])
    assert nightly.source == "automated" and nightly.id.startswith("automatic.") and nightly.size == "6 MB"
    assert (nightly.age() or timedelta()) > timedelta(hours=6)

    for _ in range(3):  # the sandbox's snapshot takes 4 s: a poll stalled that long on a busy machine sees none of it
        started = await create_snapshot(clients, dbs["Database"], read_only=False)
        assert started.status == "creating" and started.id.startswith("ttes-demo-database-")
        states = await run_to_end(clients, started)
        progress = [s.progress for s in states]
        assert states[-1].available and progress[-1] == 100
        assert progress == sorted(progress, key=lambda p: p or 0)
        if any(s.status == "creating" and 0 < (s.progress or 0) < 100 for s in states):
            break
    else:
        raise AssertionError(f"three snapshots went from creating to available without a progress between: {states}")
    listed = await list_snapshots(clients, dbs["Database"])
    assert listed[0].id == started.id and listed[0].source == "manual"
    assert listed[0].arn == f"arn:aws:rds:eu-west-1:123456789012:snapshot:{started.id}"
    entry = [r for r in read_records(sb.profile) if r.action == "create_snapshot"][-1]  # type: ignore[arg-type]
    assert entry.outcome == "ok" and entry.request_id == started.request_id != ""
    assert entry.principal == "arn:aws:iam::123456789012:user/oncall"
    assert entry.target.endswith(started.id)


async def test_latest_protection_follows_new_snapshots(sb: Sandbox) -> None:
    clients, dbs = await databases_of(sb)
    assert sb.profile is not None
    stack = await load_stack(clients)
    before = await latest_protection(clients, stack)
    assert before["Redis"] is not None and before["Redis"].source == "automated"
    assert before["Database"] is not None and before["Database"].source == "automated"
    cutoff = datetime.now(UTC) - timedelta(milliseconds=1)
    taken = [await create_snapshot(clients, d, read_only=False) for d in dbs.values()]
    during = await latest_protection(clients, stack)
    assert during["Redis"] == before["Redis"]  # the new one is still creating: not a protection yet
    ends = {s.resource: await run_to_end(clients, s) for s in taken}
    # An ElastiCache backup has no percentage: creating, then available with its size and time.
    assert [s.status for s in ends["Redis"]] == ["creating", "available"]
    assert ends["Redis"][-1].size == "6 MB" and ends["Redis"][-1].created is not None
    after = await latest_protection(clients, stack)
    assert {k: v.id for k, v in after.items() if v} == {t.resource: t.id for t in taken}
    assert all(v is not None and protects(v, newer_than=cutoff) for v in after.values())
    assert not any(v is not None and protects(v, newer_than=datetime.now(UTC)) for v in after.values())


async def test_busy_database_and_existing_name_are_one_sentence_each(
    sb: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sandbox.snapshots as sandbox_snapshots

    # Long enough that the first snapshots are still running when the second ones are asked for.
    monkeypatch.setattr(sandbox_snapshots, "PROGRESS_SECONDS", 3.0)
    clients, dbs = await databases_of(sb)
    firsts = [await create_snapshot(clients, d, read_only=False, name=f"pre-change-{d.kind}") for d in dbs.values()]
    for database in dbs.values():
        with pytest.raises(DatabaseBusy) as busy:
            await create_snapshot(clients, database, read_only=False, name="second")
        assert one_sentence(str(busy.value)) and "wait" in str(busy.value)
    for first in firsts:
        await run_to_end(clients, first)
    for database in dbs.values():
        with pytest.raises(SnapshotAlreadyExists) as exists:
            await create_snapshot(clients, database, read_only=False, name=f"pre-change-{database.kind}")
        assert one_sentence(str(exists.value)) and f"pre-change-{database.kind}" in str(exists.value)
    outcomes = [r.outcome for r in read_records(sb.profile) if r.action == "create_snapshot"]  # type: ignore[arg-type]
    assert outcomes == ["ok", "ok", "failed", "failed", "failed", "failed"]


async def test_read_only_and_quota_refuse_with_one_sentence_and_create_nothing(
    sb: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    clients, dbs = await databases_of(sb)
    monkeypatch.setenv("MOTO_RDS_SNAPSHOT_LIMIT", "1")  # the automated snapshot fills it
    with pytest.raises(SnapshotQuotaExceeded) as caught:
        await create_snapshot(clients, dbs["Database"], read_only=False)
    assert one_sentence(str(caught.value)) and "quota" in str(caught.value)
    for database in dbs.values():
        with pytest.raises(ReadOnlyRefused) as caught:
            await create_snapshot(clients, database, read_only=True)
        assert one_sentence(str(caught.value)) and "--read-only" in str(caught.value)
    for database in dbs.values():
        assert [s.source for s in await list_snapshots(clients, database)] == ["automated"]
    records = read_records(sb.profile)  # type: ignore[arg-type]
    assert [r.outcome for r in records] == ["failed", "refused", "refused"]


async def test_read_only_iam_is_denied_by_aws_and_audited(sb_read_only_iam: Sandbox) -> None:
    clients, dbs = await databases_of(sb_read_only_iam)
    with pytest.raises(AccessDenied) as caught:
        await create_snapshot(clients, dbs["Redis"], read_only=False)
    assert one_sentence(str(caught.value)) and "elasticache:CreateSnapshot" in str(caught.value)
    assert [s.source for s in await list_snapshots(clients, dbs["Redis"])] == ["automated"]
    [entry] = read_records(sb_read_only_iam.profile)  # type: ignore[arg-type]
    assert entry.outcome == "denied" and entry.request_id
    assert entry.principal == "arn:aws:iam::123456789012:user/oncall"


async def test_delete_is_audited_and_refused_under_read_only(sb: Sandbox) -> None:
    clients, dbs = await databases_of(sb)
    for database in dbs.values():
        taken = (await run_to_end(clients, await create_snapshot(clients, database, read_only=False)))[-1]
        with pytest.raises(ReadOnlyRefused):
            await delete_snapshot(clients, taken, read_only=True)
        await delete_snapshot(clients, taken, read_only=False)
        assert taken.id not in [s.id for s in await list_snapshots(clients, database)]
    deletes = [r.outcome for r in read_records(sb.profile) if r.action == "delete_snapshot"]  # type: ignore[arg-type]
    assert deletes == ["refused", "ok", "refused", "ok"]
