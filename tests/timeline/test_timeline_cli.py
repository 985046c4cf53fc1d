"""`ttes-console timeline` against the simulated deployment: the sandbox's story from every source."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

from services.core.config import SshSettings, render_profile_toml
from tests.conftest import RunningSandbox, run_cli
from tests.health_sandbox import closed_port

SHAPE = {"time", "source", "kind", "severity", "summary", "ref", "count", "new"}


def _items(stdout: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in stdout.splitlines()]


def test_demo_timeline_tells_the_story_in_time_order_from_every_source() -> None:
    done = run_cli("--demo", "timeline", "--since", "3h", "--json")
    assert done.returncode == 0, done.stderr
    items = _items(done.stdout)
    assert items and all(set(i) == SHAPE for i in items)
    assert [i["time"] for i in items] == sorted(i["time"] for i in items)
    assert all(i["ref"] for i in items)
    sources = {i["source"] for i in items}
    assert {"stack", "journal", "health", "uplinks", "rds", "elasticache", "audit"} <= sources
    assert not [i for i in items if i["kind"] == "unavailable"]

    def first(pred: object) -> dict[str, object]:
        return next(i for i in items if pred(i))  # type: ignore[operator]

    update = first(lambda i: i["source"] == "stack" and i["summary"].startswith("Stack ttes-demo UPDATE_IN_PROGRESS"))
    stopped = first(lambda i: i["source"] == "journal" and i["kind"] == "stop")
    started = first(lambda i: i["source"] == "journal" and i["kind"] == "start")
    redis = [i for i in items if i["source"] == "journal" and "pkg/redis:connection" in str(i["summary"])]
    failover = first(lambda i: i["source"] == "elasticache" and i["kind"] == "failover")
    drop = first(lambda i: i["source"] == "uplinks" and i["kind"] == "drop")
    snapshot = first(lambda i: i["source"] == "audit" and i["kind"] == "create_snapshot")
    assert "arn:aws:iam::123456789012:user/oncall" in str(snapshot["summary"])
    assert str(snapshot["time"]) < str(update["time"]) < str(stopped["time"]) < str(started["time"])
    # The Redis errors start two minutes after the restart, marked new once (never seen before).
    assert redis[0]["new"] is True and all(i["new"] is False for i in redis[1:])
    assert str(redis[0]["time"]) > str(started["time"])
    assert str(redis[0]["time"]) <= str(failover["time"])
    # Uplinks are compared in 15-minute windows: the drop is placed within one of the restart.
    gap = datetime.fromisoformat(str(drop["time"])) - datetime.fromisoformat(str(started["time"]))
    assert timedelta(minutes=-15) <= gap <= timedelta(minutes=15)
    # Routine warnings were there in the range before: not new.
    pings = [i for i in items if "Gateway missed too many pings" in str(i["summary"])]
    assert pings and not any(i["new"] for i in pings)
    assert redis[0]["ref"].startswith("journal:s=")  # type: ignore[union-attr]
    assert failover["ref"].startswith("elasticache-event:")  # type: ignore[union-attr]


def test_a_source_that_fails_is_one_line_and_the_others_still_show(sandbox: RunningSandbox, tmp_path: Path) -> None:
    profile = sandbox.profile()
    broken = replace(profile, ssh=replace(profile.ssh, port=closed_port()))
    config = tmp_path / "ssh-down.toml"
    config.write_text(render_profile_toml(broken))
    done = run_cli("--config", str(config), "timeline", "--since", "3h", "--json", env=sandbox.environ)
    assert done.returncode == 0, done.stderr
    items = _items(done.stdout)
    failed = [i for i in items if i["kind"] == "unavailable"]
    assert len(failed) == 1 and failed[0]["source"] == "journal", failed
    assert "could not be read" in str(failed[0]["summary"]) and "\n" not in str(failed[0]["summary"])
    assert {"stack", "health", "uplinks", "rds", "elasticache", "audit"} <= {i["source"] for i in items}
    assert "Traceback" not in done.stderr


def test_nothing_readable_exits_1_with_one_line_per_source(sandbox: RunningSandbox, tmp_path: Path) -> None:
    profile = sandbox.profile()
    dead = replace(
        profile,
        endpoint_url=f"http://127.0.0.1:{closed_port()}",
        ssh=SshSettings(**{**profile.ssh.__dict__, "port": closed_port()}),
    )
    config = tmp_path / "dead.toml"
    config.write_text(render_profile_toml(dead))
    done = run_cli("--config", str(config), "timeline", "--source", "stack", "journal", "uplinks", env=sandbox.environ)
    assert done.returncode == 1, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 3 and all("could not be read" in line for line in lines), lines
    assert done.stderr.startswith("ttes-console: nothing could be read from the deployment")
    assert "Traceback" not in done.stderr


def test_a_bad_range_is_one_sentence(sandbox: RunningSandbox) -> None:
    done = run_cli("--config", str(sandbox.config_path), "timeline", "--since", "8d", env=sandbox.environ)
    assert done.returncode == 2
    assert done.stderr == (
        "ttes-console: --since '8d' is longer than the 7 days the timeline covers; use 7d or less.\n"
    )


def test_source_filter_keeps_only_those_sources(sandbox: RunningSandbox) -> None:
    done = run_cli(
        "--config",
        str(sandbox.config_path),
        "timeline",
        "--since",
        "3h",
        "--source",
        "audit",
        "elasticache",
        "--json",
        env=sandbox.environ,
    )
    assert done.returncode == 0, done.stderr
    assert {i["source"] for i in _items(done.stdout)} == {"audit", "elasticache"}
