"""Discovery: the TTES stacks an AWS profile can see, recognised by the template's signature.

``describe_stacks`` (one paginated call per region) returns every stack with its parameters and
outputs. A stack is TTES when it has a ``Domain`` parameter, a ``PublicIP`` output (the two facts
the deployment guide documents) and parameters from at least :data:`MIN_FAMILIES` of the
template's other families (Redis/ElastiCache, RDS/database, admin account, snapshot restore,
AWS IoT telemetry, network title). Logical names of the published template are not all public,
so families match words in the key, not exact keys.
"""

from __future__ import annotations

import asyncio
import dataclasses
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from services.core.aws import AwsClients
from services.core.config import Profile
from services.core.errors import ConsoleError

FAMILIES: Mapping[str, tuple[str, ...]] = {
    "redis": ("redis", "elasticache"),
    "database": ("rds", "database", "postgres"),
    "admin": ("admin",),
    "snapshot": ("snapshot",),
    "telemetry": ("telemetry",),
    "network": ("networktitle",),
}
MIN_FAMILIES = 3
LIVE_STATES_EXCLUDED = ("DELETE_COMPLETE",)
REGION_TIMEOUT = 30.0
CONCURRENCY = 8


@dataclass(frozen=True)
class FoundStack:
    """A TTES stack discovery saw."""

    stack: str
    region: str
    aws_profile: str
    account: str
    status: str
    domain: str
    public_ip: str


@dataclass(frozen=True)
class RegionProblem:
    """A region or AWS profile discovery could not read, and why."""

    region: str
    aws_profile: str
    reason: str


@dataclass(frozen=True)
class Discovery:
    """What a discovery run found, and what it could not look at."""

    stacks: tuple[FoundStack, ...]
    problems: tuple[RegionProblem, ...]
    regions: tuple[str, ...]


def _norm(key: str) -> str:
    return re.sub(r"[^a-z0-9]", "", key.lower())


def is_ttes(parameters: Iterable[str], outputs: Iterable[str]) -> bool:
    """The template's signature: Domain, PublicIP, and enough of its parameter families."""
    keys = {_norm(k) for k in parameters}
    if "domain" not in keys or "publicip" not in {_norm(o) for o in outputs}:
        return False
    families = sum(1 for words in FAMILIES.values() if any(w in k for k in keys for w in words))
    return families >= MIN_FAMILIES


def all_regions(endpoint_url: str = "") -> list[str]:
    """Every region where CloudFormation exists (botocore's own list; no call)."""
    import boto3

    return sorted(boto3.session.Session().get_available_regions("cloudformation"))


async def _scan(base: Profile, region: str, aws_profile: str) -> list[FoundStack]:
    clients = AwsClients(dataclasses.replace(base, region=region, aws_profile=aws_profile))
    found: list[FoundStack] = []
    kwargs: dict[str, Any] = {}
    while True:
        page = await clients.call("cloudformation", "describe_stacks", **kwargs)
        for raw in page.get("Stacks", []):
            if raw.get("StackStatus") in LIVE_STATES_EXCLUDED:
                continue
            params = [p.get("ParameterKey", "") for p in raw.get("Parameters", [])]
            outputs = {o.get("OutputKey", ""): str(o.get("OutputValue", "")) for o in raw.get("Outputs", [])}
            if not is_ttes(params, outputs):
                continue
            values = {_norm(p.get("ParameterKey", "")): str(p.get("ParameterValue", "")) for p in raw.get("Parameters", [])}
            stack_id = str(raw.get("StackId", ""))
            parts = stack_id.split(":")
            found.append(
                FoundStack(
                    stack=str(raw.get("StackName", "")),
                    region=region,
                    aws_profile=aws_profile,
                    account=parts[4] if len(parts) > 5 else "",
                    status=str(raw.get("StackStatus", "")),
                    domain=outputs.get("Domain") or values.get("domain", ""),
                    public_ip=next((v for k, v in outputs.items() if _norm(k) == "publicip"), ""),
                )
            )
        token = page.get("NextToken")
        if not token:
            return found
        kwargs["NextToken"] = token


async def discover(
    base: Profile,
    regions: Sequence[str],
    aws_profiles: Sequence[str] = ("",),
    *,
    concurrency: int = CONCURRENCY,
    region_timeout: float = REGION_TIMEOUT,
) -> Discovery:
    """Look in every region with every AWS profile ("" = boto3's default chain); never raises for one region."""
    gate = asyncio.Semaphore(max(1, concurrency))

    async def one(region: str, aws_profile: str) -> list[FoundStack] | RegionProblem:
        async with gate:
            try:
                return await asyncio.wait_for(_scan(base, region, aws_profile), region_timeout)
            except TimeoutError:
                return RegionProblem(region, aws_profile, f"CloudFormation in {region} did not answer within {region_timeout:g} s.")
            except ConsoleError as exc:
                return RegionProblem(region, aws_profile, str(exc))

    pairs = [(r, p) for p in dict.fromkeys(aws_profiles or ("",)) for r in dict.fromkeys(regions)]
    outcomes = await asyncio.gather(*(one(r, p) for r, p in pairs))
    stacks: list[FoundStack] = []
    problems: list[RegionProblem] = []
    for outcome in outcomes:
        if isinstance(outcome, RegionProblem):
            problems.append(outcome)
        else:
            stacks.extend(outcome)
    # One account seen through two AWS profiles is one stack: keep the first profile that saw it.
    unique: dict[tuple[str, str, str], FoundStack] = {}
    for s in stacks:
        unique.setdefault((s.account, s.region, s.stack), s)
    ordered = sorted(unique.values(), key=lambda s: (s.region, s.stack))
    return Discovery(tuple(ordered), tuple(problems), tuple(dict.fromkeys(regions)))
