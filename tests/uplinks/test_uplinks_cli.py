"""`ttes-console uplinks` as a process against the sandbox broker and simulator."""

from __future__ import annotations

import json
from datetime import datetime

from services.health.iot_check import telemetry_enabled, telemetry_off_sentence
from services.stack.model import Stack, StackParameter
from tests.conftest import RunningSandbox, run_cli
from tests.uplinks.test_uplinks_parse import NDJSON_KEYS as KEYS

FAST = {"TTES_SANDBOX_UPLINK_RATE": "200"}


def check_counters(lines: list[dict]) -> None:
    """Per device: f_cnt increases (or restarts on a rejoin) and every gap is the counter's jump."""
    last: dict[str, int] = {}
    for d in lines:
        device, f_cnt = d["device_id"], d["f_cnt"]
        if device in last and f_cnt > last[device]:
            assert d["gap"] == f_cnt - last[device] - 1, d
        else:
            assert d["gap"] == 0, d
        last[device] = f_cnt
    pairs = [(d["device_id"], d["f_cnt"]) for d in lines]
    assert len(pairs) == len(set(pairs)), "a (device, f_cnt) pair was printed twice"


def test_json_lines_have_the_documented_keys_and_consistent_gaps(sandbox: RunningSandbox) -> None:
    done = run_cli("--config", str(sandbox.config_path), "uplinks", "--count", "80", "--json", env=sandbox.environ)
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(lines) == 80
    assert all(list(d)[: len(KEYS)] == KEYS for d in lines)
    assert {d["application_id"] for d in lines} == {"motion-sensors", "climate-sensors", "asset-trackers"}
    assert all(d["spreading_factor"] in range(7, 13) and 863e6 < d["frequency"] < 870e6 for d in lines)
    check_counters(lines)


def test_plain_output_narrowed_to_one_device(sandbox: RunningSandbox) -> None:
    device = "eui-70b3d57ed0000002"  # every device talks about once in 2.5 s at the demo's 20 msg/s
    done = run_cli(
        "--config", str(sandbox.config_path), "uplinks", "--device", device, "--count", "1", env=sandbox.environ
    )
    assert done.returncode == 0, done.stderr
    assert f"/{device}  f_cnt " in done.stdout and "MHz" in done.stdout
    assert "connecting…" in done.stderr


def test_seconds_bounds_the_run_even_when_nothing_arrives(sandbox: RunningSandbox) -> None:
    done = run_cli(
        "--config",
        str(sandbox.config_path),
        "uplinks",
        "--app",
        "no-such-app",
        "--seconds",
        "1",
        "--json",
        env=sandbox.environ,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""


def test_garbage_is_shown_not_dropped() -> None:
    done = run_cli("--demo", "--demo-scenario", "uplink-garbage", "uplinks", "--count", "60", "--json", env=FAST)
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(lines) == 60
    broken = [d for d in lines if d.get("problems")]
    assert broken and all(d["device_id"] for d in broken)


def test_broker_flaky_resumes_without_duplicates() -> None:
    done = run_cli("--demo", "--demo-scenario", "broker-flaky", "uplinks", "--seconds", "8", "--json", env=FAST)
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    check_counters(lines)
    seconds = sorted({d["received_at"][:19] for d in lines})
    first, last = (datetime.fromisoformat(s) for s in (seconds[0], seconds[-1]))
    assert (last - first).total_seconds() > 5.5  # messages from after the restart at 5 s


def _stack(value: str | None) -> Stack:
    params = (StackParameter("Domain", "x"),) + (
        (StackParameter("AWSIoTTelemetry", value, "AWS IoT Telemetry. Publishes uplinks."),) if value else ()
    )
    return Stack("ttes-prod", "id", "eu-west-1", "UPDATE_COMPLETE", "", {}, params, (), None, None)


def test_telemetry_parameter() -> None:
    assert telemetry_enabled(_stack("true")) is True
    assert telemetry_enabled(_stack("false")) is False
    assert telemetry_enabled(_stack(None)) is None
    sentence = telemetry_off_sentence(_stack("false"))
    assert "AWS IoT Telemetry is off" in sentence and "--param AWSIoTTelemetry=true" in sentence
