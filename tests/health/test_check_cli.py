"""`ttes-console check` as an operator (or Nagios) runs it: a child process against the whole sandbox."""

from __future__ import annotations

import json
from pathlib import Path

from services.core.config import render_profile_toml
from tests.conftest import RunningSandbox, run_cli
from tests.health_sandbox import closed_port
from tui.cli.check_cmd import plain_line

CHECKS = ["stack", "dns", "tls", "https", "plaintext", "ssh"]


def test_demo_check_json_is_all_ok_and_exits_0() -> None:
    done = run_cli("--demo", "check", "--json")
    document = json.loads(done.stdout)
    assert document["status"] == "ok", done.stdout
    assert done.returncode == 0
    assert [c["name"] for c in document["checks"]][: len(CHECKS)] == CHECKS
    for check in document["checks"]:
        assert set(check) == {"name", "status", "summary", "details"}
        assert check["status"] == "ok", check["summary"]
    assert done.stderr == ""


def test_broken_deployment_exits_2_and_says_what_is_wrong() -> None:
    scenarios = ["dns-mismatch", "cert-expired", "plaintext-open"]
    done = run_cli("--demo", *(a for s in scenarios for a in ("--demo-scenario", s)), "check")
    assert done.returncode == 2, done.stdout + done.stderr
    lines = {line.split()[1]: line for line in done.stdout.splitlines()}
    assert lines["dns"].startswith("CRITICAL  dns        demo.ttes.test → 203.0.113.10 ≠ PublicIP 198.51.100.7 at ")
    assert lines["tls"].startswith("CRITICAL  tls        The certificate for demo.ttes.test expired 2 days ago")
    assert "serves pages in plaintext (200); it must redirect to https or refuse" in lines["plaintext"]
    assert lines["https"].startswith("CRITICAL  https") and "certificate has expired" in lines["https"]
    assert "Traceback" not in done.stderr


def test_an_expiring_certificate_is_a_warning_exit_1() -> None:
    done = run_cli("--demo", "--demo-scenario", "cert-expiring", "check", "--json")
    document = json.loads(done.stdout)
    statuses = {c["name"]: c["status"] for c in document["checks"]}
    assert statuses["tls"] == "warn"
    assert set(statuses.values()) == {"ok", "warn"}, done.stdout
    assert done.returncode == 1
    tls = next(c for c in document["checks"] if c["name"] == "tls")
    assert tls["details"]["days_left"] == 10
    assert "expires in 10 days" in tls["summary"]


def test_unreachable_deployment_gives_a_verdict_not_a_traceback(sandbox: RunningSandbox, tmp_path: Path) -> None:
    from dataclasses import replace

    profile = sandbox.profile()
    dead = replace(profile, endpoint_url=f"http://127.0.0.1:{closed_port()}")
    config = tmp_path / "dead.toml"
    config.write_text(render_profile_toml(dead))
    done = run_cli("--config", str(config), "check", env={"AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x"})
    assert done.returncode == 3, done.stdout + done.stderr
    assert done.stdout.splitlines()[0].startswith("UNKNOWN   stack      Could not reach http://127.0.0.1:")
    assert "Traceback" not in done.stdout + done.stderr


def test_plain_lines_neutralise_remote_text() -> None:
    from services.health.run import CheckResult, Status

    line = plain_line(CheckResult("ssh", Status.OK, "SSH-2.0-evil\x1b]0;owned\x07 answers"))
    assert "\x1b" not in line and "\x07" not in line
    assert "\\x1b]0;owned\\x07" in line
    assert line.startswith("OK        ssh        SSH-2.0-evil")
