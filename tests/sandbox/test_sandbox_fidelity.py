"""Sandbox fidelity: what real CloudFormation says and shows, where moto alone does not."""

from __future__ import annotations

from pathlib import Path

import pytest

from sandbox.core import Sandbox
from services.changes.changesets import create_change_set, describe_change_set, prepare_update
from services.changes.execute import execute_change_set, follow_update
from services.core.aws import AwsClients
from services.core.errors import AwsError, StackNotFound
from services.stack.model import load_stack


def clients_of(sb: Sandbox) -> AwsClients:
    assert sb.profile is not None
    return AwsClients(sb.profile)


async def test_a_change_set_that_does_not_exist_is_change_set_not_found(sb: Sandbox) -> None:
    clients = clients_of(sb)
    with pytest.raises(AwsError) as caught:
        await describe_change_set(clients, "nonexistent")
    assert not isinstance(caught.value, StackNotFound)
    assert caught.value.code == "ChangeSetNotFound"
    assert str(caught.value).startswith("Change set nonexistent does not exist on stack ttes-demo (ChangeSetNotFound)")


async def test_after_a_database_replacing_update_every_resource_row_is_filled(sb: Sandbox) -> None:
    clients = clients_of(sb)
    before = await load_stack(clients)
    plan = await create_change_set(clients, await prepare_update(clients, {"DatabaseName": "other"}), read_only=False)
    execution = await execute_change_set(clients, plan, read_only=False, confirm="ttes-demo",
                                         allow_without_snapshot=True)
    final = [p async for p in follow_update(clients, execution, interval=0.2)][-1]
    assert final.succeeded, final.failures
    after = await load_stack(clients)
    assert after.parameter("DatabaseName").value == "other"  # type: ignore[union-attr]
    assert [r.logical_id for r in after.resources] == [r.logical_id for r in before.resources]
    for row in after.resources:
        assert row.type and row.status and row.physical_id, row
    status = {r.logical_id: r.status for r in after.resources}
    earlier = {r.logical_id: r.status for r in before.resources}
    changed = {c.logical_id for c in plan.changes}
    assert "Database" in changed and {status[lid] for lid in changed} == {"UPDATE_COMPLETE"}, status
    assert all(status[lid] == earlier[lid] for lid in status if lid not in changed), (status, earlier)


async def test_apply_of_a_change_set_that_does_not_exist_says_so(sb: Sandbox, tmp_path: Path) -> None:
    from sandbox.runner import write_profile
    from tests.core.test_audit import cli

    config = tmp_path / "config.toml"
    write_profile(sb, config)
    code, out, err = await cli(sb, config, "apply", "--change-set", "nonexistent", "--confirm", "ttes-demo")
    assert code == 1 and out == "" and err.count("\n") == 1
    assert "Change set nonexistent does not exist on stack ttes-demo (ChangeSetNotFound)" in err
    assert "Stack ttes-demo not found" not in err
