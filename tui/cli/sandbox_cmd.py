"""Run only the simulated deployment (a moto server with the stack, and the other peers).

With --write-config PATH it writes a complete profile for it (and PATH.env with the AWS
credentials it accepts) and keeps running until Ctrl-C; other shells then use
`ttes-console --config PATH …` after `source PATH.env`.
"""

from __future__ import annotations

import argparse

from sandbox.runner import add_arguments as _add_sandbox_arguments
from tui.cli.session import Session

NEEDS_SESSION = False
WARM_IMPORTS = ()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    _add_sandbox_arguments(parser)


async def run(args: argparse.Namespace, session: Session | None) -> int:
    from sandbox.runner import serve

    scenarios = list(dict.fromkeys([*args.demo_scenario, *args.scenario]))
    await serve(args.write_config, args.workdir, scenarios, announce=True)
    return 0
