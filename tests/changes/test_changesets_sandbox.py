"""Change sets end to end against the sandbox's CloudFormation (moto + the change-set fidelity layer)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

import sandbox.changesets as sandbox_changesets
from sandbox.core import Sandbox
from sandbox.runner import write_profile
from services.changes.changesets import create_change_set, delete_change_set, describe_change_set, prepare_update
from services.changes.execute import check_snapshot_guard, execute_change_set, follow_update
from services.core.audit import read_records
from services.core.aws import AwsClients
from services.core.errors import ExecutionRefused, ReadOnlyRefused
from services.snapshots.actions import create_snapshot
from services.snapshots.listing import find_databases, follow_snapshot
from services.stack.model import load_stack

ROOT = Path(__file__).resolve().parents[2]


def clients_of(sb: Sandbox) -> AwsClients:
    assert sb.profile is not None
    return AwsClients(sb.profile)


async def test_changes_carry_replacement_policy_and_causes_from_the_schemas(sb: Sandbox) -> None:
    clients = clients_of(sb)
    db = await create_change_set(clients, await prepare_update(clients, {"DatabaseName": "other"}), read_only=False)
    assert [(c.logical_id, c.replacement, c.policy_action) for c in db.changes] == [
        ("Database", "True", "ReplaceAndSnapshot")
    ]
    assert db.changes[0].cause_texts == ("DBName ← parameter DatabaseName (always recreates)",)
    assert [c.logical_id for c in db.requires_snapshot] == ["Database"]

    ec2 = await create_change_set(
        clients, await prepare_update(clients, {"InstanceType": "t3.large"}), read_only=False, name="instance-type"
    )
    by_id = {c.logical_id: c for c in ec2.changes}
    assert by_id["Instance"].replacement == "Conditional"
    assert by_id["Instance"].cause_texts == ("InstanceType ← parameter InstanceType (may recreate)",)
    assert by_id["PublicAddress"].cause_texts == ("InstanceId ← resource Instance",)
    assert ec2.requires_snapshot == () and any("Let's Encrypt" in w for w in ec2.warnings)

    await delete_change_set(clients, "instance-type", read_only=False)
    outcomes = [(r.action, r.outcome) for r in read_records(clients.profile)]
    assert outcomes == [("create_change_set", "ok")] * 2 + [("delete_change_set", "ok")]


async def test_change_sets_progress_and_unchanged_ones_end_failed_as_nothing_to_do(
    sb: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sandbox_changesets, "CREATE_SECONDS", 3.0)  # the first describe must see it in progress
    clients = clients_of(sb)
    cfn = clients.client("cloudformation")
    cfn.create_change_set(
        StackName="ttes-demo",
        ChangeSetName="raw",
        ChangeSetType="UPDATE",
        UsePreviousTemplate=True,
        Parameters=[
            {"ParameterKey": "KeyName", "ParameterValue": "other-key"},
            {"ParameterKey": "SSHLocation", "ParameterValue": "10.0.0.0/8"},
        ],
    )
    first = cfn.describe_change_set(StackName="ttes-demo", ChangeSetName="raw")
    assert first["Status"] in ("CREATE_PENDING", "CREATE_IN_PROGRESS")
    assert first["ExecutionStatus"] == "UNAVAILABLE"

    plan = await create_change_set(clients, await prepare_update(clients, {}), read_only=False)
    assert plan.no_changes and plan.changes == ()
    assert plan.status_reason.startswith("The submitted information didn't contain changes.")

    page = cfn.describe_change_set(StackName="ttes-demo", ChangeSetName="raw")
    assert page["Status"] == "CREATE_COMPLETE" and len(page["Changes"]) == 2 and page["NextToken"]
    raw = await describe_change_set(clients, "raw")
    assert [(c.logical_id, c.replacement) for c in raw.changes] == [
        ("Instance", "True"),
        ("SecurityGroup", "False"),
        ("PublicAddress", "False"),
    ]


async def test_execution_is_confirmed_guarded_and_followed_to_update_complete(sb: Sandbox) -> None:
    clients = clients_of(sb)
    plan = await create_change_set(clients, await prepare_update(clients, {"DatabaseName": "other"}), read_only=False)
    with pytest.raises(ReadOnlyRefused):
        await execute_change_set(clients, plan, read_only=True, confirm="ttes-demo")
    with pytest.raises(ExecutionRefused, match="confirmation 'ttes-dem' is not the stack name"):
        await execute_change_set(clients, plan, read_only=False, confirm="ttes-dem")
    with pytest.raises(ExecutionRefused, match=r"Execution blocked: .*RDS database"):
        await execute_change_set(clients, plan, read_only=False, confirm="ttes-demo")

    stack = await load_stack(clients)
    database = next(d for d in find_databases(stack) if d.logical_id == "Database")
    snap = await create_snapshot(clients, database, read_only=False)
    [_ async for _ in follow_snapshot(clients, snap, interval=0.1, max_interval=0.2)]
    assert not (await check_snapshot_guard(clients, plan)).blocked

    execution = await execute_change_set(clients, plan, read_only=False, confirm="ttes-demo")
    seen = [p async for p in follow_update(clients, execution, interval=0.2)]
    final = seen[-1]
    assert final.finished and final.succeeded and not final.rolled_back
    statuses = [(e.logical_id, e.status) for p in seen for e in p.events]
    assert statuses[0] == ("ttes-demo", "UPDATE_IN_PROGRESS") and statuses[-1] == ("ttes-demo", "UPDATE_COMPLETE")
    db_events = [s for lid, s in statuses if lid == "Database"]
    assert db_events == [
        "UPDATE_IN_PROGRESS",
        "UPDATE_IN_PROGRESS",
        "UPDATE_COMPLETE",
        "DELETE_IN_PROGRESS",
        "DELETE_COMPLETE",
    ]
    assert final.outputs["PublicIP"] == "198.51.100.7"
    after = await load_stack(clients)
    assert after.status == "UPDATE_COMPLETE" and after.parameter("DatabaseName").value == "other"  # type: ignore[union-attr]
    audit = [(r.action, r.outcome) for r in read_records(clients.profile) if r.action == "execute_change_set"]
    assert audit == [("execute_change_set", "refused")] * 3 + [("execute_change_set", "ok")]


async def test_an_override_is_audited_and_a_failing_update_rolls_back(sb_fails: Sandbox) -> None:
    clients = clients_of(sb_fails)
    plan = await create_change_set(clients, await prepare_update(clients, {"DatabaseName": "other"}), read_only=False)
    execution = await execute_change_set(
        clients, plan, read_only=False, confirm="ttes-demo", allow_without_snapshot=True
    )
    final = [p async for p in follow_update(clients, execution, interval=0.2)][-1]
    assert final.stack_status == "UPDATE_ROLLBACK_COMPLETE" and final.rolled_back and not final.succeeded
    assert final.failures[0].startswith("Database: Resource handler returned message:")
    assert "The following resource(s) failed to update: [Database]" in final.failures[1]
    overrides = [r for r in read_records(clients.profile) if r.action == "override_snapshot_guard"]
    assert len(overrides) == 1 and "RDS database ttes-demo-database-" in overrides[0].detail
    assert overrides[0].outcome == "ok"
    executed = [r for r in read_records(clients.profile) if r.action == "execute_change_set"]
    assert [r.outcome for r in executed] == ["failed"]  # a rolled-back update is not "ok"
    assert executed[0].detail.startswith("rolled_back: Database: Resource handler returned message:")
    assert (await load_stack(clients)).parameter("DatabaseName").value == "ttn_lorawan"  # type: ignore[union-attr]


async def test_plan_and_apply_commands_against_one_sandbox(sb_fails: Sandbox, tmp_path: Path) -> None:
    import asyncio
    import json

    config = tmp_path / "config.toml"
    write_profile(sb_fails, config)
    env = {**os.environ, **sb_fails.environ}
    env.pop("TTES_CONSOLE_CONFIG", None)

    async def cli(*args: str) -> tuple[int, str, str]:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tui.cli",
            "--config",
            str(config),
            *args,
            cwd=ROOT,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await proc.communicate()
        assert proc.returncode is not None
        return proc.returncode, out.decode(), err.decode()

    code, out, _ = await cli("plan", "--param", "DatabaseName=other", "--keep", "--json")
    doc = json.loads(out)
    assert code == 0 and doc["requires_snapshot"] == ["Database"] and doc["changes"][0]["replacement"] == "True"
    name = doc["change_set"]
    code, _, err = await cli("apply", "--change-set", name, "--confirm", "ttes-demo")
    assert code == 1 and "snapshot create --all --wait" in err and "Traceback" not in err
    code, out, _ = await cli(
        "apply",
        "--change-set",
        name,
        "--confirm",
        "ttes-demo",
        "--allow-without-snapshot",
        "--interval",
        "0.2",
        "--json",
    )
    lines = [json.loads(line) for line in out.splitlines()]
    assert code == 2 and lines[-1]["status"] == "UPDATE_ROLLBACK_COMPLETE" and lines[-1]["failures"]
    assert any(line.get("event", {}).get("status") == "UPDATE_FAILED" for line in lines)
    assert sb_fails.profile is not None
    executed = [(r.outcome, r.detail.split(":")[0]) for r in read_records(sb_fails.profile)
                if r.action == "execute_change_set"]
    assert executed == [("refused", "no fresh snapshot"), ("failed", "rolled_back")]
