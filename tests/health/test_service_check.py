"""The ``service`` health line: systemd's view of the unit, over real SSH to the sandbox."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sandbox.process import SandboxProcess
from services.health.run import CheckContext, Status
from services.health.unit_check import check_service
from tests.conftest import RunningSandbox


@pytest.fixture(scope="module")
def service_down(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSandbox]:
    with SandboxProcess(["service-down"], workdir=tmp_path_factory.mktemp("down")) as proc:
        yield RunningSandbox(proc.config_path, proc.environ, proc.workdir)


async def test_a_running_unit_is_ok(sandbox: RunningSandbox) -> None:
    result = await check_service(CheckContext(sandbox.profile(), None))
    assert result.status is Status.OK, result.summary
    assert result.summary.startswith("lorawan-stack.service is active (running)")
    assert result.details["active_state"] == "active"


async def test_a_failed_unit_is_critical_and_says_where_to_look(service_down: RunningSandbox) -> None:
    result = await check_service(CheckContext(service_down.profile(), None))
    assert result.status is Status.CRITICAL
    assert "failed" in result.summary and "ttes-console logs" in result.summary
    assert result.details["result"] != "success"


async def test_an_unreachable_host_is_unknown_with_a_sentence(sandbox: RunningSandbox) -> None:
    from dataclasses import replace

    profile = sandbox.profile()
    profile = replace(profile, ssh=replace(profile.ssh, port=9, connect_timeout=2.0))
    result = await check_service(CheckContext(profile, None))
    assert result.status is Status.UNKNOWN
    assert "127.0.0.1" in result.summary and "Traceback" not in result.summary
