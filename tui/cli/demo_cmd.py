"""The interactive console on the simulated deployment (the same as --demo)."""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The demo takes the global options only (--demo-scenario, --read-only)."""
