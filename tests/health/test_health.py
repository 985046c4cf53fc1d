"""The check runner: concurrency, timeouts, the registry, the stack and ssh checks, against real peers."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from services.core.config import Profile
from services.core.errors import Unreachable
from services.health import reach
from services.health import run as health
from services.health.checks import CHECKS
from services.health.run import Check, CheckContext, CheckResult, Status
from services.health.stack_check import check_stack
from tests.health_sandbox import (
    PEER_CHECKS,
    closed_port,
    health_peers,
    make_stack,
    peer_checks,
    silent_tcp,
    silent_udp,
    with_settings,
)

BUILTINS = list(PEER_CHECKS)


def test_nagios_codes_and_the_overall_verdict() -> None:
    assert [s.exit_code for s in Status] == [0, 1, 2, 3]
    assert [s.nagios for s in Status] == ["OK", "WARNING", "CRITICAL", "UNKNOWN"]
    assert health.worst([]) is Status.OK
    assert health.worst([Status.OK, Status.WARN]) is Status.WARN
    assert health.worst([Status.WARN, Status.UNKNOWN, Status.OK]) is Status.UNKNOWN
    assert health.worst([Status.UNKNOWN, Status.CRITICAL]) is Status.CRITICAL


@pytest.mark.parametrize(
    ("state", "status"),
    [
        ("CREATE_COMPLETE", Status.OK),
        ("UPDATE_COMPLETE", Status.OK),
        ("UPDATE_IN_PROGRESS", Status.WARN),
        ("UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", Status.WARN),
        ("UPDATE_ROLLBACK_IN_PROGRESS", Status.CRITICAL),
        ("UPDATE_ROLLBACK_COMPLETE", Status.CRITICAL),
        ("CREATE_FAILED", Status.CRITICAL),
        ("DELETE_COMPLETE", Status.CRITICAL),
    ],
)
async def test_stack_states(state: str, status: Status) -> None:
    result = await check_stack(CheckContext(Profile(name="t", stack="ttes-demo"), make_stack(state, "why")))
    assert result.status is status
    assert state in result.summary
    assert result.details["status"] == state


async def test_a_failing_reason_is_repeated_and_a_missing_stack_is_unknown() -> None:
    profile = Profile(name="t", stack="ttes-demo")
    failed = await check_stack(
        CheckContext(profile, make_stack("UPDATE_ROLLBACK_COMPLETE", "Resource Db failed"))
    )
    assert failed.summary == "Stack ttes-demo is UPDATE_ROLLBACK_COMPLETE: Resource Db failed"
    missing = await check_stack(CheckContext(profile, None, "Stack ttes-demo not found in eu-west-1."))
    assert (missing.status, missing.summary) == (Status.UNKNOWN, "Stack ttes-demo not found in eu-west-1.")


async def test_a_hung_or_broken_check_never_blocks_the_others() -> None:
    release = asyncio.Event()

    async def hung(ctx: CheckContext) -> CheckResult:
        await release.wait()
        return CheckResult("hung", Status.OK, "never")

    async def broken(ctx: CheckContext) -> CheckResult:
        raise RuntimeError("boom")

    async def denied(ctx: CheckContext) -> CheckResult:
        raise Unreachable("Nothing answers on 192.0.2.1:22.")

    async def fine(ctx: CheckContext) -> CheckResult:
        return CheckResult("fine", Status.OK, "fine")

    checks = [Check("hung", hung, 0.2), Check("broken", broken), Check("denied", denied), Check("fine", fine)]
    profile = Profile(name="t", stack="ttes-demo")
    arrived = [r.name async for r in health.iter_checks(profile, stack=make_stack(), checks=checks)]
    assert arrived[-1] == "hung"  # the others were reported while it was still running
    results = await health.run_checks(profile, stack=make_stack(), checks=checks)
    assert [r.name for r in results] == ["hung", "broken", "denied", "fine"]
    assert [r.status for r in results] == [Status.UNKNOWN, Status.UNKNOWN, Status.UNKNOWN, Status.OK]
    assert results[0].summary == "The hung check did not finish within 0.2 s."
    assert results[1].summary == "The broken check failed unexpectedly: RuntimeError: boom"
    assert results[2].summary == "Nothing answers on 192.0.2.1:22."


def test_one_explicit_list_holds_every_check_in_display_order() -> None:
    assert [c.name for c in CHECKS] == [*BUILTINS, "service", "iot"]
    assert health.all_checks() is CHECKS
    assert len({c.run for c in CHECKS}) == len(CHECKS)  # no check listed twice under two names


async def test_every_check_is_ok_against_healthy_peers(tmp_path: Path) -> None:
    async with health_peers(tmp_path) as peers:
        results = await health.run_checks(peers.profile, stack=peers.stack, checks=peer_checks())
    document = health.report_json(results)
    assert document["status"] == "ok", [r.summary for r in results if r.status is not Status.OK]
    assert [c["name"] for c in document["checks"]] == BUILTINS
    assert all(set(c) == {"name", "status", "summary", "details"} for c in document["checks"])


async def test_ssh_reachability_reads_the_banner(tmp_path: Path) -> None:
    async with health_peers(tmp_path) as peers:
        banner = await reach.ssh_banner("127.0.0.1", peers.ssh_port, timeout=3)
        result = await reach.check(CheckContext(peers.profile, peers.stack))
    assert banner.banner.startswith("SSH-2.0-AsyncSSH_")
    assert result.status is Status.OK, result.summary
    assert result.summary.startswith(f"{banner.banner} answers on ")
    assert f"@127.0.0.1:{peers.ssh_port}; host key verified, logged in in " in result.summary
    assert result.details["banner"] == banner.banner


async def test_ssh_on_a_closed_or_silent_port_is_critical_in_words(tmp_path: Path) -> None:
    profile = Profile(name="t", stack="ttes-demo")
    port = closed_port()
    closed = await reach.check(
        CheckContext(with_settings(profile, ssh={"host": "127.0.0.1", "port": port}), make_stack())
    )
    assert closed.status is Status.CRITICAL
    assert closed.summary == f"Cannot reach SSH on ec2-user@127.0.0.1:{port}: connection refused"
    with silent_tcp() as hung:
        ssh = {"host": "127.0.0.1", "port": hung, "connect_timeout": 0.3}
        silent = await reach.check(CheckContext(with_settings(profile, ssh=ssh), make_stack()))
    assert silent.status is Status.CRITICAL
    assert silent.summary == f"Cannot reach SSH on ec2-user@127.0.0.1:{hung}: timed out"


async def test_hosts_that_do_not_answer_give_verdicts_not_exceptions(tmp_path: Path) -> None:
    async with health_peers(tmp_path) as peers:
        with silent_udp() as dns_port, silent_tcp() as tcp_port:
            profile = with_settings(
                peers.profile,
                dns={"port": dns_port, "timeout": 0.3},
                tls={"port": tcp_port, "http_port": tcp_port, "timeout": 0.3},
                ssh={"port": tcp_port, "connect_timeout": 0.3},
            )
            ran = await health.run_checks(profile, stack=peers.stack, checks=peer_checks())
            results = {r.name: r for r in ran}
    assert {n: r.status for n, r in results.items()} == {
        "stack": Status.OK,
        "dns": Status.UNKNOWN,
        "tls": Status.CRITICAL,
        "https": Status.CRITICAL,
        "plaintext": Status.OK,  # a port that never answers does not serve plaintext either
        "ssh": Status.CRITICAL,
    }
    assert "did not answer within 0.3 s" in results["dns"].summary
    assert results["tls"].summary == f"127.0.0.1:{tcp_port} did not complete a TLS handshake within 0.3 s"


async def test_a_stack_that_cannot_be_loaded_makes_the_others_unknown(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    profile = Profile(name="t", stack="ttes-demo", region="eu-west-1", endpoint_url=f"http://127.0.0.1:{closed_port()}")
    results = await health.run_checks(profile, checks=peer_checks())
    assert {r.status for r in results} == {Status.UNKNOWN}
    assert results[0].summary.startswith(f"Could not reach {profile.endpoint_url}")
    assert results[1].summary.startswith("No Domain to check: the stack could not be loaded (Could not reach")

