"""Scenario ``fleet``: more TTES stacks beside ``ttes-demo``, in three regions, and one that is not TTES.

- ``ttes-staging`` (eu-west-1): its last update rolled back (``UPDATE_ROLLBACK_COMPLETE``);
- ``ttes-us`` (us-east-1): its certificate expires in 10 days (Let's Encrypt renewal failing);
- ``ttes-apac`` (ap-southeast-2): uplinks stopped an hour ago (CloudWatch ``AWS/IoT`` says 0);
- ``ttes-lab`` (us-east-1): healthy;
- ``billing-api`` (eu-west-1): an unrelated stack with a ``Domain`` parameter and a ``PublicIP``
  output, which discovery must not mistake for TTES.

Each TTES stack has its own Domain (answered by the sandbox DNS, served by the web part with its
own certificate, chosen by SNI) and its own Elastic IP. With ``TTES_SANDBOX_FLEET_STACKS=N`` the
scenario makes N healthy stacks across five regions instead (the fleet benchmark).

``AWS/IoT`` metrics belong to an account and region, not to a stack: stacks sharing a region share
them, as on AWS.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from dataclasses import dataclass
from typing import Any

from sandbox.context import SandboxContext

FLEET_STACKS_ENV = "TTES_SANDBOX_FLEET_STACKS"
BENCH_REGIONS = ("eu-west-1", "us-east-1", "ap-southeast-2", "eu-central-1", "us-west-2")
UNRELATED_STACK = "billing-api"
UNRELATED_REGION = "eu-west-1"
STOPPED_SECONDS = 3600  # how long ago the ``uplinks-stopped`` stack's uplinks stopped
LIVE_INTERVAL = 60.0

UNRELATED_TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Description: Billing API (not a LoRaWAN server).
Parameters:
  Domain:
    Type: String
  Environment:
    Type: String
    Default: production
Resources:
  Invoices:
    Type: AWS::S3::Bucket
Outputs:
  PublicIP:
    Value: 192.0.2.80
  BucketName:
    Value: !Ref Invoices
"""


@dataclass(frozen=True)
class FleetStack:
    """One extra stack of the scenario; ``state`` is what is wrong with it."""

    name: str
    region: str
    domain: str
    public_ip: str
    state: str = "healthy"  # healthy | rolled-back | cert-expiring | uplinks-stopped


def fleet_stacks(scenarios: frozenset[str], environ: dict[str, str] | None = None) -> list[FleetStack]:
    """The extra stacks the scenarios ask for (none without ``fleet``)."""
    if "fleet" not in scenarios:
        return []
    count = int((environ if environ is not None else os.environ).get(FLEET_STACKS_ENV, "0") or 0)
    if count > 0:
        # ttes-demo is the first stack; TEST-NET-2 addresses from .10 on.
        return [
            FleetStack(
                f"ttes-fleet-{i:02d}",
                BENCH_REGIONS[i % len(BENCH_REGIONS)],
                f"fleet-{i:02d}.ttes.test",
                f"198.51.100.{10 + i}",
            )
            for i in range(1, count)
        ]
    return [
        FleetStack("ttes-staging", "eu-west-1", "staging.ttes.test", "198.51.100.21", "rolled-back"),
        FleetStack("ttes-us", "us-east-1", "us.ttes.test", "198.51.100.22", "cert-expiring"),
        FleetStack("ttes-apac", "ap-southeast-2", "apac.ttes.test", "198.51.100.23", "uplinks-stopped"),
        FleetStack("ttes-lab", "us-east-1", "lab.ttes.test", "198.51.100.24"),
    ]


def deploy_fleet(ctx: SandboxContext) -> None:
    """Create the extra stacks (and the unrelated one) and put them in their states."""
    from sandbox.aws import STACK_PARAMETERS, fix_elastic_ip, template_body
    from sandbox.context import ACCOUNT_ID

    body = template_body()
    clients: dict[str, Any] = {}
    try:
        for stack in ctx.fleet:
            cfn = clients.setdefault(stack.region, ctx.aws_client("cloudformation", stack.region))
            fix_elastic_ip(stack.public_ip)
            params = dict(STACK_PARAMETERS, Domain=stack.domain, NetworkTitle=f"TTES {stack.name}")
            cfn.create_stack(
                StackName=stack.name,
                TemplateBody=body,
                Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in params.items()],
                Capabilities=["CAPABILITY_IAM"],
                Tags=[{"Key": "Application", "Value": "The Things Enterprise Stack"}],
            )
            if stack.state == "rolled-back":
                _roll_back(ACCOUNT_ID, stack)
    finally:
        fix_elastic_ip(ctx.public_ip)
    if not os.environ.get(FLEET_STACKS_ENV):
        ctx.aws_client("cloudformation", UNRELATED_REGION).create_stack(
            StackName=UNRELATED_STACK,
            TemplateBody=UNRELATED_TEMPLATE,
            Parameters=[{"ParameterKey": "Domain", "ParameterValue": "billing.example.test"}],
        )


def _roll_back(account: str, stack: FleetStack) -> None:
    """Tell moto's stack the story of an update that failed and was rolled back."""
    from moto.cloudformation.models import cloudformation_backends

    fake = cloudformation_backends[account][stack.region].get_stack(stack.name)
    reason = "Resource handler returned message: Instance type t3.nano is not supported by the AMI"
    fake._add_stack_event("UPDATE_IN_PROGRESS", resource_status_reason="User Initiated")
    fake._add_stack_event("UPDATE_ROLLBACK_IN_PROGRESS", resource_status_reason=f"The following resource(s) failed to update: [Instance]. {reason}")
    fake._add_stack_event("UPDATE_ROLLBACK_COMPLETE")
    fake.status = "UPDATE_ROLLBACK_COMPLETE"
    # moto's Stack has no such attribute, but its serializer reads one as StackStatusReason.
    fake.status_reason = "The following resource(s) failed to update: [Instance]."  # type: ignore[attr-defined]


def _history(ctx: SandboxContext, rate: float, region: str, stopped: bool) -> None:
    from sandbox.uplink_metrics import NAMESPACE, history

    now = time.time()
    data = history(rate, now - STOPPED_SECONDS if stopped else now)
    client = ctx.aws_client("cloudwatch", region)
    for i in range(0, len(data), 500):
        client.put_metric_data(Namespace=NAMESPACE, MetricData=data[i : i + 500])


class FleetPart:
    """Sandbox part: the fleet's stacks, their regions' ``AWS/IoT`` history and live figures."""

    def __init__(self) -> None:
        self._task: asyncio.Task[None] | None = None

    async def start(self, ctx: SandboxContext) -> None:
        if not ctx.fleet or not ctx.endpoint_url:
            return
        await asyncio.to_thread(deploy_fleet, ctx)
        rate = float(os.environ.get("TTES_SANDBOX_UPLINK_RATE", "20"))
        stopped = {s.region for s in ctx.fleet if s.state == "uplinks-stopped"}
        regions = sorted({s.region for s in ctx.fleet} - {ctx.region})
        live = [r for r in regions if r not in stopped]
        await asyncio.gather(*(asyncio.to_thread(_history, ctx, rate, r, r in stopped) for r in regions))
        self._task = asyncio.create_task(self._report(ctx, rate, live), name="sandbox-fleet-metrics")

    async def _report(self, ctx: SandboxContext, rate: float, regions: list[str]) -> None:
        """The other regions' stacks keep publishing at the configured rate (not simulated message by message)."""
        from sandbox.uplink_metrics import NAMESPACE, _datum

        while True:
            await asyncio.sleep(LIVE_INTERVAL)
            for region in regions:
                with contextlib.suppress(Exception):
                    sent = rate * LIVE_INTERVAL
                    data = [_datum("PublishIn.Success", time.time(), sent), _datum("PublishOut.Success", time.time(), sent)]
                    await asyncio.to_thread(
                        ctx.aws_client("cloudwatch", region).put_metric_data, Namespace=NAMESPACE, MetricData=data
                    )

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    def settings(self) -> dict[str, dict[str, Any]]:
        return {}
