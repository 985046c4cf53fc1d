"""`ttes-console host …` as an operator runs it: against a running sandbox and through --demo.

Every output of every command here (stdout and stderr) is searched for the sandbox's secrets.
"""

from __future__ import annotations

import json
import subprocess

import pytest

from sandbox.host_files import SECRETS
from tests.conftest import RunningSandbox, run_cli


def host(sandbox: RunningSandbox, *args: str) -> subprocess.CompletedProcess[str]:
    result = run_cli("--config", str(sandbox.config_path), "host", *args, env=sandbox.environ)
    assert_clean(result)
    return result


def assert_clean(result: subprocess.CompletedProcess[str]) -> None:
    """No secret value, and never a traceback."""
    for stream in (result.stdout, result.stderr):
        assert not [s for s in SECRETS if s in stream], stream
        assert "Traceback" not in stream


def test_demo_host_json_has_version_disk_clock_sockets_and_tree() -> None:
    result = run_cli("--demo", "host", "--json")
    assert_clean(result)
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    facts = doc["facts"]
    assert facts["version"]["version"] == "3.33.1"
    assert [d["mount"] for d in facts["disks"]] == ["/", "/tti"]
    assert facts["clock_synchronized"] is True
    assert "udp/1700" in facts["listening"] and "tcp/8881" in facts["listening"]
    assert facts["unit"]["active_state"] == "active"
    assert {"/tti/acme", "/tti/bootstrap", "/tti/lorawan-stack/config.yml"} <= {e["path"] for e in doc["tree"]}
    assert doc["certificates"]["status"] == "ok"


def test_host_text_and_cat_never_show_a_secret(sandbox: RunningSandbox) -> None:
    text = host(sandbox)
    assert text.returncode == 0 and "The Things Stack Enterprise 3.33.1" in text.stdout
    assert "/tti/bootstrap/shadow.log -> ../../etc/shadow  (outside /tti)" in text.stdout
    config = host(sandbox, "cat", "/tti/lorawan-stack/config.yml")
    assert config.returncode == 0 and "password: ••••" in config.stdout and "11 secret values masked" in config.stderr
    as_json = host(sandbox, "cat", "/tti/lorawan-stack/config.yml", "--json")
    assert json.loads(as_json.stdout)["masked_values"] == 11
    env = host(sandbox, "cat", "lorawan-stack/environment")
    assert "TTN_LW_REDIS_PASSWORD=••••" in env.stdout
    acme = host(sandbox, "cat", "/tti/acme/acme_account+key")
    assert "(private key not shown)" in acme.stdout
    deploy = host(sandbox, "cat", "/tti/bootstrap/deploy.log")
    assert "the last" in deploy.stderr and deploy.stdout.rstrip().endswith("Deployment complete")


@pytest.mark.parametrize(
    ("path", "sentence"),
    [
        ("/tti/../etc/shadow", "Refused to read /tti/../etc/shadow: '..' is not allowed"),
        ("/tti/bootstrap/shadow.log", "it is a symlink to /etc/shadow, outside /tti"),
        ("/etc/passwd", "the console reads only files under /tti"),
        ("/tti/lorawan-stack/tti-lw-stack", "is a binary file"),
    ],
)
def test_cat_refuses_paths_out_of_tti_and_binaries(sandbox: RunningSandbox, path: str, sentence: str) -> None:
    result = host(sandbox, "cat", path)
    assert result.returncode == 1 and result.stdout == ""
    assert sentence in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_doctor_is_clear_on_a_healthy_deployment(sandbox: RunningSandbox) -> None:
    result = host(sandbox, "doctor", "--json")
    assert result.returncode == 0, result.stdout
    assert json.loads(result.stdout)["verdict"] == "clear"


def test_read_only_restart_is_refused_in_one_sentence() -> None:
    result = run_cli("--demo", "--read-only", "host", "restart", "--confirm", "ttes-demo")
    assert_clean(result)
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.strip() == (
        "ttes-console: Refused to restart service ttes-demo/lorawan-stack.service: the console runs with --read-only."
    )


def test_restart_streams_until_a_new_invocation_and_passing_checks() -> None:
    result = run_cli("--demo", "host", "restart", "--confirm", "ttes-demo", "--json")
    assert_clean(result)
    assert result.returncode == 0, result.stderr
    steps = [json.loads(line) for line in result.stdout.splitlines()]
    assert steps[0]["phase"] == "requested" and steps[-1]["phase"] == "done"
    assert steps[-1]["invocation_after"] != steps[-1]["invocation_before"]
    assert any(s["phase"] == "state" and s["active_state"] == "activating" for s in steps)
    assert all(s["status"] == "ok" for s in steps if s["phase"] == "check" and "status" in s)


def test_ssh_blocked_doctor_names_range_address_and_parameter() -> None:
    result = run_cli("--demo", "--demo-scenario", "ssh-blocked", "host", "doctor")
    assert_clean(result)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Your address 198.51.100.200" in result.stdout and "outside 203.0.113.0/24" in result.stdout
    assert "'Restrict SSH Access to IP Range' (SSHLocation, now 203.0.113.0/24)" in result.stdout
    assert "connection refused" in result.stdout


def test_instance_impaired_doctor_shows_status_checks_and_console_output() -> None:
    result = run_cli("--demo", "--demo-scenario", "instance-impaired", "host", "doctor", "--json")
    assert_clean(result)
    assert result.returncode == 2
    doc = json.loads(result.stdout)
    sentences = " ".join(f["finding"] for f in doc["findings"])
    assert "system status impaired, instance status impaired" in sentences
    console = next(f for f in doc["findings"] if "console output" in f["finding"])
    assert "the disk is full" in console["finding"]
    assert any("No space left on device" in line for line in console["lines"])


def test_cert_not_reloaded_is_a_warning_in_host() -> None:
    result = run_cli("--demo", "--demo-scenario", "cert-not-reloaded", "host")
    assert_clean(result)
    assert result.returncode == 1
    assert "WARNING  A renewed certificate" in result.stdout and "restart the service to load it" in result.stdout


def test_disk_full_is_critical_in_host() -> None:
    result = run_cli("--demo", "--demo-scenario", "disk-full", "host", "--json")
    assert_clean(result)
    assert result.returncode == 2
    doc = json.loads(result.stdout)
    assert doc["facts"]["disks"][0]["percent"] == 97
    assert any(
        f["status"] == "critical" and f["finding"].startswith("/ and /tti (/dev/nvme0n1p1) are 97 % full")
        for f in doc["findings"]
    )


def test_a_failing_ssh_check_carries_the_doctor_verdict() -> None:
    result = run_cli("--demo", "--demo-scenario", "ssh-blocked", "check", "--json")
    assert_clean(result)
    ssh = next(c for c in json.loads(result.stdout)["checks"] if c["name"] == "ssh")
    assert ssh["status"] == "critical"
    assert ssh["details"]["doctor"]["verdict"] == "blocked"
    assert "outside 203.0.113.0/24" in ssh["summary"] or "outside 203.0.113.0/24" in json.dumps(ssh["details"])


def test_host_when_ssh_is_refused_points_at_the_doctor() -> None:
    result = run_cli("--demo", "--demo-scenario", "ssh-blocked", "host")
    assert_clean(result)
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.strip().endswith("connection refused; `ttes-console host doctor` asks AWS why.")
