"""`ttes-console snapshot list|create`: in-process against the sandbox, and the real --demo path."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys

import pytest

from sandbox.core import Sandbox
from services.core.audit import read_records
from services.core.errors import AccessDenied, ConfigError, ReadOnlyRefused
from tui.cli import snapshot_cmd
from tui.cli.session import Session


async def snapshot(sb: Sandbox, *argv: str, read_only: bool = False) -> int:
    # Only this command's parser: the others are not under test here.
    parser = argparse.ArgumentParser(prog="ttes-console snapshot")
    snapshot_cmd.add_arguments(parser)
    args = parser.parse_args(list(argv))
    assert sb.profile is not None
    return await snapshot_cmd.run(args, Session(sb.profile, read_only=read_only))


def json_lines(text: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in text.splitlines()]


async def test_create_all_wait_json_streams_progress_until_available(
    sb: Sandbox, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import sandbox.snapshots

    # The command polls every second: let the snapshot take long enough to be seen creating.
    monkeypatch.setattr(sandbox.snapshots, "PROGRESS_SECONDS", 2.5)
    assert await snapshot(sb, "create", "--all", "--wait", "--json") == 0
    lines = json_lines(capsys.readouterr().out)
    assert all({"kind", "resource", "id", "arn", "status"} <= set(line) for line in lines)
    rds = [line for line in lines if line["kind"] == "rds"]
    redis = [line for line in lines if line["kind"] == "elasticache"]
    assert rds[0]["status"] == "creating" and redis[0]["status"] == "creating"
    assert any(line["status"] == "creating" and 0 < int(str(line["progress"])) < 100 for line in rds)
    assert rds[-1]["status"] == "available" and str(rds[-1]["arn"]).startswith("arn:aws:rds:eu-west-1:")
    assert redis[-1]["status"] == "available" and str(redis[-1]["id"]).startswith("ttes-demo-redis-")
    assert len({line["id"] for line in rds}) == 1

    assert await snapshot(sb, "list", "--rds", "--json") == 0
    listed = json_lines(capsys.readouterr().out)
    assert listed[0]["id"] == rds[-1]["id"] and [x["source"] for x in listed] == ["manual", "automated"]


async def test_create_text_ends_with_the_change_set_parameters(sb: Sandbox, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(ConfigError, match="--rds or --redis"):
        await snapshot(sb, "create", "--name", "x")
    assert await snapshot(sb, "create", "--redis", "--name", "pre-update", "--wait") == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split()[:3] == ["Redis", "started", "pre-update"]
    assert out[-1] == "For the change set: --param ElastiCacheSnapshotName=pre-update"


async def test_read_only_refuses_once_creates_nothing_and_audits(
    sb: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(ReadOnlyRefused, match="--read-only"):
        await snapshot(sb, "create", "--all", "--json", read_only=True)
    assert capsys.readouterr().out == ""
    assert [r.outcome for r in read_records(sb.profile)] == ["refused"]  # type: ignore[arg-type]
    await snapshot(sb, "list", "--json")
    assert [x["source"] for x in json_lines(capsys.readouterr().out)] == ["automated", "automated"]


async def test_read_only_iam_is_aws_sentence_and_audited(
    sb_read_only_iam: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(AccessDenied, match="not authorized"):
        await snapshot(sb_read_only_iam, "create", "--all")
    assert capsys.readouterr().out == ""
    [entry] = read_records(sb_read_only_iam.profile)  # type: ignore[arg-type]
    assert entry.outcome == "denied" and entry.principal.endswith(":user/oncall") and entry.request_id


async def run_cli(*argv: str) -> tuple[int, str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tui.cli", *argv,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env,
    )  # fmt: skip
    out, err = await proc.communicate()
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def test_demo_must_show() -> None:
    """The snapshot commands an operator runs, through the real entry point and a sandbox process.

    (--read-only takes the same path to stderr; its sentence and audit are checked in-process above.)
    """
    created, denied = await asyncio.gather(
        run_cli("--demo", "snapshot", "create", "--all", "--wait", "--json"),
        run_cli("--demo", "--demo-scenario", "read-only-iam", "snapshot", "create", "--all"),
    )
    code, out, err = created
    assert code == 0, err
    lines = json_lines(out)
    final = {line["kind"]: line for line in lines[-2:]}
    assert final["rds"]["status"] == final["elasticache"]["status"] == "available"
    assert str(final["rds"]["arn"]).startswith("arn:aws:rds:")
    assert any(line["status"] == "creating" and line["progress"] not in (None, 0) for line in lines)
    code, out, err = denied
    assert code == 1 and out == ""
    assert len(err.strip().splitlines()) == 1 and "not authorized" in err and "Traceback" not in err
