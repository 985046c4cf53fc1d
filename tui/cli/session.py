"""What every command runs with: the resolved profile, read-only mode, and the demo sandbox."""

from __future__ import annotations

import argparse
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from services.core.config import Overrides, Profile, load_profile
from services.core.errors import ConfigError

if TYPE_CHECKING:
    from sandbox.process import SandboxProcess


@dataclass(frozen=True)
class Session:
    """The profile a command acts on and the operator's safety switches."""

    profile: Profile
    read_only: bool = False
    config_path: Path | None = None  # the file the profile came from (None: the default location)


def overrides_from(args: argparse.Namespace) -> Overrides:
    return Overrides(profile=args.profile, stack=args.stack, region=args.region, aws_profile=args.aws_profile)


# What `pip install 'ttes-console[sandbox]'` brings (import names), checked before a demo starts.
SANDBOX_MODULES = ("moto", "trustme", "dnslib", "amqtt")


def require_sandbox_extra() -> None:
    """Name the extra to install when the simulated deployment's packages are missing."""
    import importlib.util

    missing = [name for name in SANDBOX_MODULES if importlib.util.find_spec(name) is None]
    if missing:
        raise ConfigError(
            f"The simulated deployment needs the sandbox extra ({', '.join(missing)} not installed): "
            "run pip install 'ttes-console[sandbox]' and retry."
        )


@contextmanager
def session_for(args: argparse.Namespace) -> Iterator[Session]:
    """Resolve the session; with ``--demo`` first start the simulated deployment beside us."""
    if not args.demo:
        yield Session(load_profile(args.config, overrides_from(args)), read_only=args.read_only, config_path=args.config)
        return
    from sandbox.process import SandboxProcess

    with SandboxProcess(scenarios=args.demo_scenario) as sandbox:
        yield Session(demo_profile(sandbox, args), read_only=args.read_only, config_path=sandbox.config_path)


def demo_profile(
    sandbox: SandboxProcess, args: argparse.Namespace, progress: Callable[[str], None] | None = None
) -> Profile:
    """Wait for a launched sandbox (``progress`` hears its parts come up); its profile, its credentials exported."""
    sandbox.wait_ready(progress)
    # The sandbox accepts its own credentials only: the launcher puts them where boto3 looks
    # (and takes them back when it stops).
    sandbox.export_credentials()
    return load_profile(sandbox.config_path, overrides_from(args), environ={})


@asynccontextmanager
async def open_session(args: argparse.Namespace) -> AsyncIterator[Session]:
    """The async form used by headless commands."""
    with session_for(args) as session:
        yield session
