"""Run the sandbox in the foreground until interrupted, and publish its profile."""

from __future__ import annotations

import argparse
import asyncio
import os
import shlex
import signal
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from sandbox.core import SCENARIOS, Sandbox
from services.core.config import render_profile_toml
from services.core.files import write_private_text


def env_path_for(config_path: Path) -> Path:
    """The shell file beside a written profile holding the credentials the sandbox accepts."""
    return config_path.with_name(config_path.name + ".env")


def write_profile(sandbox: Sandbox, config_path: Path) -> None:
    """Write the profile and its credentials file; the profile appears last and atomically."""
    assert sandbox.profile is not None
    env_file = env_path_for(config_path)
    write_private_text(env_file, "".join(f"export {k}={shlex.quote(v)}\n" for k, v in sandbox.environ.items()))
    tmp = config_path.with_name(config_path.name + ".tmp")
    tmp.write_text(render_profiles(sandbox))
    os.replace(tmp, config_path)


def render_profiles(sandbox: Sandbox) -> str:
    """The sandbox's profile; with the fleet scenario every stack's, and no default (the console opens on the fleet)."""
    assert sandbox.profile is not None
    if len(sandbox.profiles) < 2:
        return render_profile_toml(sandbox.profile)
    parts = []
    for profile in sandbox.profiles:
        text = render_profile_toml(profile)
        parts.append(text.split("\n", 2)[2] if text.startswith("default_profile") else text)
    return "\n".join(parts)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--write-config", metavar="PATH", type=Path, help="write a profile for the sandbox here")
    parser.add_argument("--workdir", metavar="DIR", type=Path, help="where the sandbox keeps its files")
    parser.add_argument(
        "--scenario",
        metavar="NAME",
        action="append",
        default=[],
        choices=SCENARIOS,
        help="a scenario to enable (repeatable): " + ", ".join(SCENARIOS),
    )


async def serve(
    config_path: Path | None,
    workdir: Path | None,
    scenarios: Sequence[str],
    announce: bool,
    exit_with_parent: bool = False,
    progress: bool = False,
) -> None:
    """Start the sandbox, write its profile, and wait for SIGINT/SIGTERM (or the parent's end)."""
    work = workdir or Path(tempfile.mkdtemp(prefix="ttes-sandbox-"))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    watcher = asyncio.create_task(_watch_parent(os.getppid(), stop)) if exit_with_parent else None
    def started(name: str) -> None:
        print(f"ready: {name}", flush=True)

    async with Sandbox(work, scenarios, progress=started if progress else None) as sandbox:
        target = config_path or work / "config.toml"
        write_profile(sandbox, target)
        if announce:
            print(f"Sandbox running (stack {sandbox.ctx.stack_name}, files in {work}).")
            print(f"Profile written to {target}. In another shell:")
            print(f"  source {env_path_for(target)}")
            print(f"  ttes-console --config {target} stack")
            print("Ctrl-C stops it.", flush=True)
        await stop.wait()
    if watcher is not None:
        watcher.cancel()


async def _watch_parent(parent: int, stop: asyncio.Event) -> None:
    """A console killed outright (terminal closed) cannot stop its sandbox: notice and stop."""
    while not stop.is_set():
        if os.getppid() != parent:
            stop.set()
            return
        await asyncio.sleep(0.5)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sandbox", description=__doc__)
    add_arguments(parser)
    parser.add_argument("--exit-with-parent", action="store_true", help="stop when the starting process ends")
    args = parser.parse_args(argv)
    asyncio.run(
        serve(
            args.write_config,
            args.workdir,
            args.scenario,
            announce=False,
            exit_with_parent=args.exit_with_parent,
            progress=args.exit_with_parent,  # started by a console: it reads the parts' progress from the log
        )
    )
    # Everything is stopped and written; skip the interpreter's teardown of moto's many modules
    # (about half a second that the console would otherwise wait for on exit).
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
