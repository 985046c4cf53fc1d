"""The one audited path: fail-closed before any mutating call, every outcome recorded as what it was."""

from __future__ import annotations

import asyncio
import os
import stat
import sys
from pathlib import Path

import pytest

from sandbox.core import Sandbox
from sandbox.runner import write_profile
from services.core.audit import audit_path, audited, read_records
from services.core.aws import AwsClients
from services.core.config import Profile
from services.core.errors import AuditUnavailable, ReadOnlyRefused

ROOT = Path(__file__).resolve().parents[2]


async def cli(sb: Sandbox, config: Path, *args: str) -> tuple[int, str, str]:
    env = {**os.environ, **sb.environ}
    env.pop("TTES_CONSOLE_CONFIG", None)
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tui.cli", "--config", str(config), *args, cwd=ROOT, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), timeout=180)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


def profile_with_audit_log(sb: Sandbox, config: Path, audit_log: Path) -> None:
    write_profile(sb, config)
    assert sb.profile is not None
    text = config.read_text()
    assert f'audit_log = "{sb.profile.audit_log}"' in text
    config.write_text(text.replace(sb.profile.audit_log, str(audit_log)))


async def test_an_unwritable_audit_log_refuses_before_calling_aws(sb: Sandbox, tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    unwritable = tmp_path / "a-directory"  # a directory cannot be opened for appending, even by root
    unwritable.mkdir()
    profile_with_audit_log(sb, config, unwritable)
    assert sb.profile is not None
    clients = AwsClients(sb.profile)
    before_snapshots = await clients.call("elasticache", "describe_snapshots")
    before_rds = await clients.call("rds", "describe_db_snapshots")

    code, _, err = await cli(sb, config, "snapshot", "create", "--redis")
    assert code == 1 and "Traceback" not in err, err
    assert len(err.strip().splitlines()) == 1
    assert f"the audit log {unwritable} cannot be written" in err and "nothing was changed" in err

    code, _, err = await cli(sb, config, "plan", "--param", "DatabaseName=other", "--keep")
    assert code == 1 and "Traceback" not in err, err
    assert "Refused to create change set" in err and "cannot be written" in err

    after_snapshots = await clients.call("elasticache", "describe_snapshots")
    assert after_snapshots["Snapshots"] == before_snapshots["Snapshots"]
    after_rds = await clients.call("rds", "describe_db_snapshots")
    assert after_rds["DBSnapshots"] == before_rds["DBSnapshots"]
    change_sets = await clients.call("cloudformation", "list_change_sets", StackName=sb.profile.stack)
    assert change_sets["Summaries"] == []
    assert read_records(sb.profile) == []  # nothing went to the usual log either


def local_profile(tmp_path: Path, name: str = "audit.jsonl") -> Profile:
    return Profile(name="local", stack="ttes-demo", audit_log=str(tmp_path / "logs" / name))


async def test_every_outcome_is_recorded_as_what_it_was(tmp_path: Path) -> None:
    profile = local_profile(tmp_path)
    async with audited(None, "restart_service", "host/unit", read_only=False, profile=profile) as rec:
        rec.detail = "restarted"
    with pytest.raises(RuntimeError):
        async with audited(None, "restart_service", "host/unit", read_only=False, profile=profile):
            raise RuntimeError("a bug, not ours")
    with pytest.raises(ReadOnlyRefused):
        async with audited(None, "restart_service", "host/unit", read_only=True, profile=profile):
            raise AssertionError("the block must not run under --read-only")

    async def interrupted() -> None:
        async with audited(None, "restart_service", "host/unit", read_only=False, profile=profile):
            await asyncio.sleep(60)

    task = asyncio.create_task(interrupted())
    await asyncio.sleep(0.2)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    from services.core.errors import ActionRefused

    with pytest.raises(ActionRefused, match="typed the wrong name"):
        async with audited(None, "restart_service", "host/unit", read_only=False, profile=profile) as rec:
            raise rec.refuse("You typed the wrong name.", "confirmation did not match")

    records = read_records(profile)
    assert [(r.outcome, r.detail) for r in records] == [
        ("ok", "restarted"),
        ("failed", "unexpected error (RuntimeError)"),
        ("refused", "--read-only"),
        ("failed", "interrupted before the outcome was known; check the resource"),
        ("refused", "confirmation did not match"),
    ]
    assert {r.action for r in records} == {"restart_service"} and all(r.os_user for r in records)
    assert stat.S_IMODE(audit_path(profile).stat().st_mode) == 0o600


async def test_a_held_record_is_written_when_the_outcome_is_known(tmp_path: Path) -> None:
    profile = local_profile(tmp_path)
    async with audited(None, "execute_change_set", "s/cs", read_only=False, profile=profile) as rec:
        rec.hold()
    assert read_records(profile) == []
    await rec.close("failed", "rolled_back: Database: no")
    await rec.close("ok")  # a second close writes nothing
    assert [(r.outcome, r.detail) for r in read_records(profile)] == [("failed", "rolled_back: Database: no")]


async def test_a_log_that_cannot_be_created_blocks_the_action(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    profile = Profile(name="p", stack="s", audit_log=str(blocker / "audit.jsonl"))
    ran = False
    with pytest.raises(AuditUnavailable, match="Refused to restart service host/unit: the audit log"):
        async with audited(None, "restart_service", "host/unit", read_only=False, profile=profile):
            ran = True
    assert not ran
