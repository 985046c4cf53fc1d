"""Smaller safety items: host keys in `check`, demo scenario typos, private files of the sandbox."""

from __future__ import annotations

import stat
from pathlib import Path

import asyncssh

from sandbox.core import SandboxContext
from sandbox.ssh import SshPart, profile_for
from services.health.run import CheckContext, Status
from services.health.unit_check import check_service
from tests.conftest import RunningSandbox, run_cli
from tests.health_sandbox import make_stack


async def test_a_changed_host_key_is_critical_in_check(tmp_path: Path) -> None:
    part = SshPart()
    await part.start(SandboxContext(workdir=tmp_path, scenarios=frozenset()))
    try:
        other = asyncssh.generate_private_key("ssh-ed25519").export_public_key().decode().strip()
        part.known_hosts_path.write_text(f"[127.0.0.1]:{part.port} {other}\n")
        result = await check_service(CheckContext(profile_for(part), make_stack()))
    finally:
        await part.stop()
    assert result.status is Status.CRITICAL and result.status.exit_code == 2
    assert part.host_key.get_fingerprint("sha256") in result.summary


def test_an_unknown_demo_scenario_is_a_usage_sentence_and_leaves_nothing(tmp_path: Path) -> None:
    proc = run_cli("--demo", "--demo-scenario", "bogus", "stack", env={"TMPDIR": str(tmp_path)})
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.startswith("ttes-console: there is no demo scenario 'bogus'; the scenarios are: dns-mismatch")
    assert proc.stderr.count("\n") == 1 and list(tmp_path.iterdir()) == []


def test_the_sandbox_keeps_its_keys_and_credentials_private(sandbox: RunningSandbox) -> None:
    secret_files = [
        sandbox.config_path.with_name(sandbox.config_path.name + ".env"),
        sandbox.workdir / "ssh_client_key",
        sandbox.workdir / "mqtt-client.key",
        sandbox.workdir / "mqtt-server.pem",
    ]
    for path in secret_files:
        assert path.exists(), path
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
