"""The command line as an operator runs it: a child process, real sandbox, real exit codes."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import RunningSandbox, run_cli


def test_help_documents_commands_and_exit_codes() -> None:
    result = run_cli("--help")
    assert result.returncode == 0
    for word in (
        "stack",
        "check",
        "logs",
        "uplinks",
        "plan",
        "apply",
        "snapshot",
        "sandbox",
        "exit codes",
        "--read-only",
    ):
        assert word in result.stdout
    assert run_cli("--version").stdout.startswith("ttes-console ")


def test_demo_stack_json_shows_the_sandbox_stack() -> None:
    result = run_cli("--demo", "stack", "--json")
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["stack"] == "ttes-demo" and doc["region"] == "eu-west-1"
    assert doc["outputs"]["PublicIP"] == "198.51.100.7"
    assert doc["outputs"]["Domain"] == "demo.ttes.test"
    types = {r["type"] for r in doc["resources"]}
    assert {"AWS::RDS::DBInstance", "AWS::ElastiCache::ReplicationGroup"} <= types
    assert set(doc) == {
        "stack",
        "region",
        "status",
        "status_reason",
        "outputs",
        "parameters",
        "resources",
        "last_updated",
    }


def test_a_wrong_stack_name_is_one_sentence_and_non_zero(sandbox: RunningSandbox) -> None:
    result = run_cli("--config", str(sandbox.config_path), "--stack", "nope", "stack", env=sandbox.environ)
    assert result.returncode == 1
    assert result.stderr.startswith("ttes-console: Stack nope not found in eu-west-1")
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert result.stdout == ""


def test_plain_stack_output_lists_outputs_and_resources(sandbox: RunningSandbox) -> None:
    result = run_cli("--config", str(sandbox.config_path), "stack", env=sandbox.environ)
    assert result.returncode == 0, result.stderr
    assert "PublicIP             198.51.100.7" in result.stdout
    assert "DatabaseName               ttn_lorawan  (database migration on change)" in result.stdout


def test_a_typo_in_the_config_file_is_one_sentence(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[profiles.prod]\nstack = "s"\nregoin = "eu-west-1"\n')
    result = run_cli("--config", str(config), "stack")
    assert result.returncode == 2
    assert result.stderr == (
        f"ttes-console: {config}: unknown key 'regoin' in [profiles.prod]; expected one of: "
        "audit_log, aws_profile, dns, endpoint_url, exports_dir, health_history, host, iot, journal, region, snapshots, ssh, stack, tls.\n"
    )


def test_missing_credentials_are_said_not_thrown(sandbox: RunningSandbox, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.write_text("")
    env = {
        "AWS_ACCESS_KEY_ID": "",
        "AWS_SECRET_ACCESS_KEY": "",
        "AWS_SHARED_CREDENTIALS_FILE": str(empty),
        "AWS_CONFIG_FILE": str(empty),
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    result = run_cli("--config", str(sandbox.config_path), "stack", env=env)
    assert result.returncode == 1
    assert result.stderr.startswith("ttes-console: No AWS credentials found")
    assert "Traceback" not in result.stderr


def test_demo_scenario_without_demo_is_a_usage_error() -> None:
    result = run_cli("--demo-scenario", "dns-mismatch", "stack")
    assert result.returncode == 2
    assert "--demo-scenario needs --demo" in result.stderr


def test_sandbox_command_writes_a_profile_other_shells_can_use(tmp_path: Path) -> None:
    import os
    import signal
    import subprocess
    import sys
    import time

    from sandbox.process import read_env_file
    from tests.conftest import ROOT

    config = tmp_path / "ttes.toml"
    proc = subprocess.Popen(
        [sys.executable, "-m", "tui.cli", "sandbox", "--write-config", str(config), "--workdir", str(tmp_path / "w")],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=ROOT,
        env={k: v for k, v in os.environ.items() if k != "TTES_CONSOLE_CONFIG"},
    )
    try:
        for _ in range(600):
            if config.exists() or proc.poll() is not None:
                break
            time.sleep(0.05)
        assert config.exists(), proc.stdout.read() if proc.stdout else ""
        env = read_env_file(config.with_name("ttes.toml.env"))
        result = run_cli("--config", str(config), "stack", "--json", env=env)
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout)["outputs"]["PublicIP"] == "198.51.100.7"
    finally:
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=20)
    assert proc.returncode == 0
    assert f"Profile written to {config}" in out
    assert "Traceback" not in out


def test_a_demo_sandbox_stops_when_the_console_is_killed(tmp_path: Path) -> None:
    """A console killed outright (terminal closed) must not leave its simulated deployment running."""
    import os
    import subprocess
    import sys
    import time

    code = (
        "import os; from sandbox.process import SandboxProcess\n"
        "sb = SandboxProcess(); sb.start(); print(sb._proc.pid, flush=True); os._exit(0)\n"
    )
    # A process killed outright cannot remove its directory: keep it in the test's own.
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True, env=env)
    child = int(out.stdout.strip())
    for _ in range(300):
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    os.kill(child, 9)
    raise AssertionError("the sandbox outlived the process that started it")
