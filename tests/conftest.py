"""Shared fixtures: one simulated deployment per test session, reached over real sockets."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from sandbox.process import SandboxProcess
from services.config import Profile, load_profile

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class RunningSandbox:
    """A sandbox in a child process: its profile file and the credentials it accepts."""

    config_path: Path
    environ: dict[str, str]
    workdir: Path

    def profile(self, **overrides: str) -> Profile:
        from services.config import Overrides

        return load_profile(self.config_path, Overrides(**overrides), environ={})


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSandbox]:
    """The whole simulated deployment (moto, and every other part registered), shared by the session."""
    with SandboxProcess(workdir=tmp_path_factory.mktemp("sandbox")) as proc:
        yield RunningSandbox(proc.config_path, proc.environ, proc.workdir)


@pytest.fixture
def aws_env(sandbox: RunningSandbox, monkeypatch: pytest.MonkeyPatch) -> RunningSandbox:
    """The sandbox's credentials in this test's environment, and nothing ambient."""
    for key in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_REGION", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(key, raising=False)
    for key, value in sandbox.environ.items():
        monkeypatch.setenv(key, value)
    return sandbox


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
