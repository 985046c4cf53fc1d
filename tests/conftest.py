"""Shared fixtures: one simulated deployment per test session, reached over real sockets."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from sandbox.core import Sandbox
from sandbox.process import SandboxProcess
from services.core.config import Profile, load_profile

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class RunningSandbox:
    """A sandbox in a child process: its profile file and the credentials it accepts."""

    config_path: Path
    environ: dict[str, str]
    workdir: Path

    def profile(self, **overrides: str) -> Profile:
        from services.core.config import Overrides

        return load_profile(self.config_path, Overrides(**overrides), environ={})


@pytest.fixture(autouse=True, scope="session")
def _own_state_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Files the console keeps between runs (the device history) go to a directory of the test run."""
    previous = os.environ.get("XDG_STATE_HOME")
    os.environ["XDG_STATE_HOME"] = str(tmp_path_factory.mktemp("state"))
    yield
    if previous is None:
        os.environ.pop("XDG_STATE_HOME", None)
    else:
        os.environ["XDG_STATE_HOME"] = previous


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSandbox]:
    """The whole simulated deployment (moto, and every other part registered), shared by the session."""
    with SandboxProcess(workdir=tmp_path_factory.mktemp("sandbox")) as proc:
        yield RunningSandbox(proc.config_path, proc.environ, proc.workdir)


AMBIENT_AWS = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_REGION", "AWS_DEFAULT_REGION")


def use_sandbox_env(sandbox: RunningSandbox, monkeypatch: pytest.MonkeyPatch) -> RunningSandbox:
    """A running sandbox's credentials in this test's environment, and nothing ambient."""
    for key in AMBIENT_AWS:
        monkeypatch.delenv(key, raising=False)
    for key, value in sandbox.environ.items():
        monkeypatch.setenv(key, value)
    return sandbox


@pytest.fixture
def aws_env(sandbox: RunningSandbox, monkeypatch: pytest.MonkeyPatch) -> RunningSandbox:
    """The sandbox's credentials in this test's environment, and nothing ambient."""
    return use_sandbox_env(sandbox, monkeypatch)


def run_cli(*args: str, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run the installed command line in a child process, as an operator would."""
    full_env = dict(os.environ)
    full_env.pop("TTES_CONSOLE_CONFIG", None)
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "tui.cli", *args],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=timeout,
        cwd=ROOT,
    )


async def start_in_process_sandbox(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, scenarios: tuple[str, ...] = ()
) -> Sandbox:
    """A fresh sandbox in this process (moto in a thread), its slow operations sped up.

    For tests that change the stack (snapshots, change sets): each gets a clean moto, without
    the incident history of sandbox/history.py (they count their own events and audit records),
    and the process-wide IAM switch and timings are restored afterwards.
    """
    from moto import settings
    from moto.moto_api._internal.models import moto_api_backend

    import sandbox.changesets as sandbox_changesets
    import sandbox.snapshots as sandbox_snapshots

    monkeypatch.setattr(settings, "INITIAL_NO_AUTH_ACTION_COUNT", settings.INITIAL_NO_AUTH_ACTION_COUNT)
    monkeypatch.setattr(sandbox_snapshots, "PROGRESS_SECONDS", 0.6)
    monkeypatch.setattr(sandbox_changesets, "EXECUTE_SECONDS", 1.5)
    monkeypatch.setattr(sandbox_changesets, "PENDING_SECONDS", 0.1)
    monkeypatch.setattr(sandbox_changesets, "CREATE_SECONDS", 0.3)
    for key in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(key, raising=False)
    moto_api_backend.reset()
    sb = Sandbox(tmp_path / "sandbox", scenarios, history=False)
    await sb.__aenter__()
    for key, value in sb.environ.items():
        monkeypatch.setenv(key, value)
    return sb


@pytest.fixture
async def sb(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Sandbox]:
    """A fresh in-process sandbox for this test."""
    sandbox = await start_in_process_sandbox(tmp_path, monkeypatch)
    yield sandbox
    await sandbox.aclose()


@pytest.fixture
async def sb_read_only_iam(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Sandbox]:
    """A fresh in-process sandbox whose operator may only read (scenario read-only-iam)."""
    sandbox = await start_in_process_sandbox(tmp_path, monkeypatch, ("read-only-iam",))
    yield sandbox
    await sandbox.aclose()


@pytest.fixture
async def sb_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Sandbox]:
    """A fresh in-process sandbox whose next stack update fails and rolls back (update-fails)."""
    sandbox = await start_in_process_sandbox(tmp_path, monkeypatch, ("update-fails",))
    yield sandbox
    await sandbox.aclose()


@pytest.fixture
async def broker(tmp_path: Path) -> AsyncIterator[Any]:
    """The sandbox's MQTT broker and uplink simulator alone (100 uplinks/s), on loopback."""
    from sandbox.core import SandboxContext
    from sandbox.mqtt import MqttPart

    part = MqttPart(rate=100.0)
    await part.start(SandboxContext(workdir=tmp_path, scenarios=frozenset(), stack_name="ttes-demo"))
    yield part
    await part.stop()


@pytest.fixture
def fake_aws_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """The sandbox broker does not check SigV4 signatures; awscrt still needs something to sign with."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_PROFILE", raising=False)


@pytest.fixture(autouse=True)
def _own_state_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Files the console keeps in the user's state directory (the health history) go to a temporary one."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path_factory.mktemp("state")))
