"""What every command runs with: the resolved profile, read-only mode, and the demo sandbox."""

from __future__ import annotations

import argparse
import os
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from services.core.config import Overrides, Profile, load_profile

if TYPE_CHECKING:
    from sandbox.process import SandboxProcess


@dataclass(frozen=True)
class Session:
    """The profile a command acts on and the operator's safety switches."""

    profile: Profile
    read_only: bool = False


def overrides_from(args: argparse.Namespace) -> Overrides:
    return Overrides(profile=args.profile, stack=args.stack, region=args.region, aws_profile=args.aws_profile)


@contextmanager
def session_for(args: argparse.Namespace) -> Iterator[Session]:
    """Resolve the session; with ``--demo`` first start the simulated deployment beside us."""
    if not args.demo:
        yield Session(load_profile(args.config, overrides_from(args)), read_only=args.read_only)
        return
    from sandbox.process import SandboxProcess

    with SandboxProcess(scenarios=args.demo_scenario) as sandbox:
        yield Session(demo_profile(sandbox, args), read_only=args.read_only)


def demo_profile(
    sandbox: SandboxProcess, args: argparse.Namespace, progress: Callable[[str], None] | None = None
) -> Profile:
    """Wait for a launched sandbox (``progress`` hears its parts come up); its profile and credentials."""
    sandbox.wait_ready(progress)
    # The sandbox accepts its own credentials only; ambient AWS settings would point elsewhere.
    for key in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN"):
        os.environ.pop(key, None)
    os.environ.update(sandbox.environ)
    return load_profile(sandbox.config_path, overrides_from(args), environ={})


@asynccontextmanager
async def open_session(args: argparse.Namespace) -> AsyncIterator[Session]:
    """The async form used by headless commands."""
    with session_for(args) as session:
        yield session
