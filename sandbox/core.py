"""The simulated deployment: starts its parts on loopback and describes them as a profile.

``async with Sandbox(workdir) as sb:`` starts every part in the running event loop (moto in a
thread); ``sb.profile`` is a complete :class:`services.core.config.Profile` pointing at them and
``sb.environ`` holds the AWS credentials the sandbox accepts. The parts speak the real
protocols, so the console's production code runs against them unchanged.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

from sandbox.context import DOMAIN, PUBLIC_IP, REGION, STACK_NAME, SandboxContext, SandboxPart
from services.core.config import SECTIONS, Profile

__all__ = ["DOMAIN", "PUBLIC_IP", "REGION", "SCENARIOS", "STACK_NAME", "Sandbox", "SandboxContext", "SandboxPart"]

SCENARIOS = (
    "dns-mismatch",
    "cert-expiring",
    "cert-expired",
    "plaintext-open",
    "service-down",
    "ssh-flaky",
    "broker-flaky",
    "uplink-garbage",
    "log-garbage",
    "aws-throttle",
    "update-fails",
    "read-only-iam",
    "ssh-blocked",
    "instance-impaired",
    "cert-not-reloaded",
    "disk-full",
    "fleet",
    "gateway-down",
)


PART_NAMES = {
    "AwsPart": "AWS (moto: CloudFormation, RDS, ElastiCache, IoT, CloudWatch)",
    "DnsPart": "DNS for the domain",
    "WebPart": "HTTPS with the sandbox CA's certificate",
    "SshPart": "SSH with the service journal and /tti",
    "MqttPart": "AWS IoT broker (MQTT) and the uplink simulator",
    "HostAwsPart": "EC2 status checks, console output and key pair",
    "FleetPart": "the fleet's other stacks",
}


def _stages() -> list[list[SandboxPart]]:
    """Parts started together, stage after stage: MQTT's metrics need the AWS part's endpoint."""
    # Imported here: each part pulls its protocol library (moto, amqtt, asyncssh) when it loads.
    from sandbox.aws import AwsPart
    from sandbox.dns import DnsPart
    from sandbox.ec2_host import HostAwsPart
    from sandbox.fleet import FleetPart
    from sandbox.mqtt import MqttPart
    from sandbox.ssh import SshPart
    from sandbox.web import WebPart

    return [[AwsPart(), DnsPart(), WebPart(), SshPart(story=True)], [MqttPart(), HostAwsPart(), FleetPart()]]


class Sandbox:
    """A whole simulated TTES deployment on loopback."""

    def __init__(
        self,
        workdir: Path,
        scenarios: Sequence[str] = (),
        progress: Callable[[str], None] | None = None,
        *,
        history: bool = True,
    ) -> None:
        unknown = sorted(set(scenarios) - set(SCENARIOS))
        if unknown:
            raise ValueError(f"unknown scenario(s): {', '.join(unknown)}; known: {', '.join(SCENARIOS)}")
        workdir.mkdir(parents=True, exist_ok=True)
        self.ctx = SandboxContext(workdir=workdir, scenarios=frozenset(scenarios), history=history)
        from sandbox.fleet import fleet_stacks

        self.ctx.fleet = fleet_stacks(self.ctx.scenarios)
        self._parts: list[SandboxPart] = []
        self.profile: Profile | None = None
        self.profiles: list[Profile] = []  # the profile, then one per stack of the fleet scenario
        self._progress = progress  # told each part's name as it comes up (the demo shows them)

    @property
    def environ(self) -> dict[str, str]:
        """Environment variables a client needs (AWS credentials the sandbox accepts)."""
        return dict(self.ctx.environ)

    async def __aenter__(self) -> Sandbox:
        quiet_logging()
        try:
            for stage in _stages():
                self._parts.extend(stage)  # stopped on failure too: a part may be half started
                outcomes = await asyncio.gather(*(part.start(self.ctx) for part in stage), return_exceptions=True)
                for outcome in outcomes:
                    if isinstance(outcome, BaseException):
                        raise outcome
                if self._progress is not None:
                    for part in stage:
                        self._progress(PART_NAMES.get(type(part).__name__, type(part).__name__))
        except BaseException:
            await self.aclose()
            raise
        self.profile = self._build_profile()
        self.profiles = [self.profile] + [
            dataclasses.replace(self.profile, name=s.name, stack=s.name, region=s.region) for s in self.ctx.fleet
        ]
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        while self._parts:
            part = self._parts.pop()
            try:
                await part.stop()
            except Exception:
                logging.getLogger("sandbox").exception("stopping %s failed", type(part).__name__)

    def _build_profile(self) -> Profile:
        sections: dict[str, dict[str, Any]] = {key: {} for key in SECTIONS}
        for part in self._parts:
            for key, values in part.settings().items():
                sections[key].update(values)
        built = {key: dataclasses.replace(cls(), **sections[key]) for key, cls in SECTIONS.items()}
        return Profile(
            name="sandbox",
            stack=self.ctx.stack_name,
            region=self.ctx.region,
            endpoint_url=self.ctx.endpoint_url,
            audit_log=str(self.ctx.workdir / "audit.jsonl"),
            health_history=str(self.ctx.workdir / "health-history.jsonl"),
            **built,
        )


def quiet_logging() -> None:
    """Keep the simulated peers' chatter out of the terminal the console draws on."""
    warnings.filterwarnings("ignore", module="moto")
    for name in ("werkzeug", "moto", "amqtt", "asyncssh", "transitions", "botocore", "urllib3"):
        logger = logging.getLogger(name)
        logger.setLevel(logging.CRITICAL)
        logger.propagate = False
