"""services/host against the sandbox's instance over real SSH and SFTP, and its EC2 answers (moto)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import asyncssh
import pytest

from sandbox.core import Sandbox
from sandbox.host_files import SECRETS
from sandbox.ssh import SshPart, profile_for
from services.core.audit import read_records
from services.core.config import Profile
from services.core.errors import ExecutionRefused, ReadOnlyRefused
from services.health.run import Status
from services.host.doctor import run_doctor
from services.host.files import MAX_BYTES, UnreadableFile, list_tree, read_file, read_new
from services.host.overview import load_overview, open_host
from services.host.paths import PathRefused
from services.host.restart import RestartStep, restart_service


def profile_of(sb: Sandbox) -> Profile:
    assert sb.profile is not None
    return sb.profile


def assert_no_secret(text: str) -> None:
    assert not [s for s in SECRETS if s in text]


async def test_overview_reads_facts_tree_and_certificates(sb: Sandbox) -> None:
    overview = await load_overview(profile_of(sb))
    facts = overview.facts
    assert facts.version["version"] == "3.33.1" and facts.version["git_commit"] == "5f1c9a2e"
    assert [d.mount for d in facts.disks] == ["/", "/tti"] and facts.disks[0].percent == 41
    assert facts.clock_synchronized is True
    assert {"tcp/443", "tcp/1881", "tcp/8887", "udp/1700"} <= set(facts.listening) and not facts.missing_listeners()
    assert facts.unit is not None and facts.unit.active and len(facts.invocation_id) == 32
    paths = [e.path for e in overview.tree]
    assert "/tti/lorawan-stack/config.yml" in paths and "/tti/acme/demo.ttes.test" in paths
    logs = [p for p in paths if p.startswith("/tti/bootstrap/") and p.endswith(".log") and "shadow" not in p]
    assert logs == ["/tti/bootstrap/restart-2.log", "/tti/bootstrap/restart-1.log", "/tti/bootstrap/deploy.log"]
    link = next(e for e in overview.tree if e.path.endswith("shadow.log"))
    assert link.kind == "link" and link.leaves_tti
    assert overview.certificates.status is Status.OK  # the newest on disk is the one served
    assert overview.status is Status.OK
    assert_no_secret(repr(overview.as_json()))


async def test_files_are_read_masked_by_sftp_or_sudo_and_confined_to_tti(sb: Sandbox) -> None:
    async with await open_host(profile_of(sb)) as conn:
        config = await read_file(conn, "/tti/lorawan-stack/config.yml")
        assert config.via == "sudo" and config.masked == 11 and "redis:" in config.text
        assert_no_secret(config.text)
        log = await read_file(conn, "/tti/bootstrap/restart-1.log")
        assert log.via == "sftp" and "[restart]" in log.text and not log.truncated
        big = await read_file(conn, "/tti/bootstrap/deploy.log")
        assert big.truncated and big.size > MAX_BYTES and big.text.rstrip().endswith("Deployment complete")
        assert len(big.text.encode()) <= MAX_BYTES
        acme = await read_file(conn, "/tti/acme/demo.ttes.test")
        assert "BEGIN CERTIFICATE" in acme.text and "(private key not shown)" in acme.text
        with pytest.raises(PathRefused, match=r"'\.\.' is not allowed"):
            await read_file(conn, "/tti/../etc/shadow")
        with pytest.raises(PathRefused, match="symlink to /etc/shadow, outside /tti"):
            await read_file(conn, "/tti/bootstrap/shadow.log")
        with pytest.raises(UnreadableFile, match="binary file"):
            await read_file(conn, "/tti/lorawan-stack/tti-lw-stack")
        with pytest.raises(UnreadableFile, match="is a directory"):
            await read_file(conn, "/tti/acme")
        with pytest.raises(UnreadableFile, match="does not exist"):
            await read_file(conn, "/tti/nothing-here")
        # Following a log: what is appended arrives, masked.
        on_disk = sb.ctx.workdir / "host" / "tti" / "bootstrap" / "restart-2.log"
        with on_disk.open("a") as fh:
            fh.write("appended line with password=hunter2-secret\n")
        text, size = await read_new(conn, log.path.replace("restart-1", "restart-2"), on_disk.stat().st_size - 44)
        assert "appended line" in text and "hunter2-secret" not in text and size == on_disk.stat().st_size


async def test_neither_sftp_nor_sudo_is_one_sentence(tmp_path: Path) -> None:
    from sandbox.core import SandboxContext

    part = SshPart(sudo_password=True, backlog=10)
    await part.start(SandboxContext(workdir=tmp_path, scenarios=frozenset()))
    try:
        async with await open_host(profile_for(part)) as conn:
            with pytest.raises(UnreadableFile, match="SFTP was refused and `sudo -n` failed"):
                await read_file(conn, "/tti/lorawan-stack/environment")
    finally:
        await part.stop()


async def test_restart_is_refused_read_only_then_comes_back_with_a_new_invocation(sb: Sandbox) -> None:
    profile = profile_of(sb)
    with pytest.raises(ExecutionRefused, match="type the stack name"):
        await restart_service(profile, confirm="wrong", read_only=False, on_step=lambda s: None)
    with pytest.raises(ReadOnlyRefused, match="--read-only"):
        await restart_service(profile, confirm="ttes-demo", read_only=True, on_step=lambda s: None)
    steps: list[RestartStep] = []
    outcome = await restart_service(profile, confirm="ttes-demo", read_only=False, on_step=steps.append)
    assert outcome.invocation_after != outcome.invocation_before and len(outcome.invocation_after) == 32
    states = [s.data.get("active_state") for s in steps if s.phase == "state"]
    assert states[0] == "activating" and states[-1] == "active"
    journal = [s.message for s in steps if s.phase == "journal"]
    assert journal[0] == "Started The Things Stack." and "Setting up Gateway Server" in journal
    assert outcome.checks_status is Status.OK and {c.name for c in outcome.checks} >= {"service", "ssh", "tls"}
    assert steps[-1].phase == "done"
    records = [(r.action, r.outcome, r.target) for r in read_records(profile)]
    assert records == [
        ("restart_service", "refused", "ttes-demo/lorawan-stack.service"),
        ("restart_service", "ok", "ttes-demo/lorawan-stack.service"),
    ]


async def test_doctor_clear_then_a_foreign_key_and_an_outside_address(sb: Sandbox, tmp_path: Path) -> None:
    profile = profile_of(sb)
    report = await run_doctor(profile)
    assert report.verdict == "clear" and report.exit_code == 0, report.as_json()
    other = asyncssh.generate_private_key("ssh-ed25519")
    key_path = tmp_path / "other_key"
    other.write_private_key(str(key_path))
    foreign = dataclasses.replace(
        profile, ssh=dataclasses.replace(profile.ssh, identity_file=str(key_path), source_address="192.0.2.9")
    )
    report = await run_doctor(foreign)
    assert report.exit_code == 2 and report.address == "192.0.2.9"
    sentences = [f.sentence for f in report.findings if f.status is Status.CRITICAL]
    assert any("None of your keys is key pair ttes-demo-key" in s for s in sentences)
    # 0.0.0.0/0 admits any address: the range is not the problem here.
    assert not any("outside" in s for s in sentences)


async def test_hostile_names_and_contents_are_safe_text(sb: Sandbox) -> None:
    bootstrap = sb.ctx.workdir / "host" / "tti" / "bootstrap"
    (bootstrap / "evil\x1b]0;owned\x07.log").write_text("line \x1b[2J with [bold]markup[/] and \u202e bidi\n")
    async with await open_host(profile_of(sb)) as conn:
        tree = await list_tree(conn)
        evil = next(e for e in tree if "evil" in e.path)
        assert "\x1b" not in evil.path and "\\x1b]0;owned\\x07" in evil.path
        shown = await read_file(conn, "/tti/bootstrap/evil\x1b]0;owned\x07.log")
        assert "\x1b" not in shown.text and "\u202e" not in shown.text and "[bold]markup[/]" in shown.text


async def test_a_unit_that_does_not_come_back_is_reported_with_its_last_lines(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from services.host.restart import RestartFailed
    from tests.conftest import start_in_process_sandbox

    down = await start_in_process_sandbox(tmp_path, monkeypatch, ("service-down",))
    try:
        steps: list[RestartStep] = []
        with pytest.raises(RestartFailed, match="did not come back: it failed, exit status 255"):
            await restart_service(profile_of(down), confirm="ttes-demo", read_only=False, on_step=steps.append)
        journal = [s.message for s in steps if s.phase == "journal"]
        assert any("Main process exited, code=exited, status=255/EXCEPTION" in line for line in journal)
        assert [(r.action, r.outcome) for r in read_records(profile_of(down))] == [("restart_service", "failed")]
    finally:
        await down.aclose()
